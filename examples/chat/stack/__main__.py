"""The chat example (`examples/chat/handlers.py`) as a Pulumi program: a WebSocket API whose
`$connect` route has a Lambda REQUEST authorizer, three routes, a table, and one role per
function with only what that function does.

Served locally, exactly as declared, by ``python -m emulator --stack examples/chat/stack``;
deployable with ``pulumi up`` from this directory. The tokens come from the ``chat:tokens``
setting (``name:token`` pairs, comma-separated), a secret in a real deployment.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

HANDLERS = Path(__file__).resolve().parent.parent / "handlers.py"
config = pulumi.Config()
tokens = config.get_secret("tokens") or "ann:secret-a,bob:secret-b"
stage_name = "dev"

table = aws.dynamodb.Table(
    "connections",
    attributes=[aws.dynamodb.TableAttributeArgs(name="connectionId", type="S")],
    hash_key="connectionId",
    billing_mode="PAY_PER_REQUEST",
)
api = aws.apigatewayv2.Api(
    "chat", protocol_type="WEBSOCKET", route_selection_expression="$request.body.action"
)
code = pulumi.AssetArchive({"handlers.py": pulumi.FileAsset(str(HANDLERS))})
connections_arn = pulumi.Output.concat(api.execution_arn, f"/{stage_name}/POST/@connections/*")


def function(name: str, statements: list[dict[str, object]]) -> aws.lambda_.Function:
    """A function running `handlers.<name>`, with a role allowed `statements` and nothing else."""
    role = aws.iam.Role(
        f"{name}-role",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    if statements:
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.name,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
        )
    return aws.lambda_.Function(
        name,
        runtime="python3.13",
        handler=f"handlers.{name}",
        code=code,
        role=role.arn,
        timeout=10,
        environment=aws.lambda_.FunctionEnvironmentArgs(
            variables={"TABLE_NAME": table.name, "CHAT_TOKENS": tokens}
        ),
    )


def on_table(*actions: str) -> dict[str, object]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": table.arn}


authorize = function("authorize", [])
routes = {
    "$connect": function("connect", [on_table("dynamodb:PutItem")]),
    "$disconnect": function("disconnect", [on_table("dynamodb:DeleteItem")]),
    "sendmessage": function(
        "send",
        [
            on_table("dynamodb:Scan", "dynamodb:DeleteItem"),
            {
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": connections_arn,
            },
        ],
    ),
}

authorizer = aws.apigatewayv2.Authorizer(
    "token",
    api_id=api.id,
    authorizer_type="REQUEST",
    authorizer_uri=authorize.invoke_arn,
    identity_sources=["route.request.querystring.token"],
)
aws.lambda_.Permission(
    "authorize-invoke",
    action="lambda:InvokeFunction",
    function=authorize.name,
    principal="apigateway.amazonaws.com",
    source_arn=pulumi.Output.concat(api.execution_arn, "/authorizers/", authorizer.id),
)

for key, handler in routes.items():
    name = key.strip("$")
    integration = aws.apigatewayv2.Integration(
        name, api_id=api.id, integration_type="AWS_PROXY", integration_uri=handler.invoke_arn
    )
    is_connect = key == "$connect"
    aws.apigatewayv2.Route(
        name,
        api_id=api.id,
        route_key=key,
        target=integration.id.apply(lambda id_: f"integrations/{id_}"),
        authorization_type="CUSTOM" if is_connect else "NONE",
        authorizer_id=authorizer.id if is_connect else None,
    )
    aws.lambda_.Permission(
        f"{name}-invoke",
        action="lambda:InvokeFunction",
        function=handler.name,
        principal="apigateway.amazonaws.com",
        source_arn=pulumi.Output.concat(api.execution_arn, f"/{stage_name}/{key}"),
    )

stage = aws.apigatewayv2.Stage("dev", api_id=api.id, name=stage_name, auto_deploy=True)
pulumi.export("url", pulumi.Output.concat(api.api_endpoint, f"/{stage_name}"))
