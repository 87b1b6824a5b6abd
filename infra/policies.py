"""IAM policy documents for xo, as plain Python structures.

Every function here is pure: it takes ARNs as strings and returns a `dict`
ready for `json.dumps`. The component calls them inside `Output.apply` once
the ARNs are known; the tests call them directly.

Least privilege is the rule: a handler's policy names only the DynamoDB actions
its route entry lists, on the game table only; `execute-api:ManageConnections`
only for the `@connections` methods it lists, on this API and stage only; and
log writes to its own log group only. No statement has a wildcard action or a
bare `*` resource.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from functions.routes import Route

POLICY_VERSION = "2012-10-17"
LAMBDA_SERVICE = "lambda.amazonaws.com"
API_GATEWAY_SERVICE = "apigateway.amazonaws.com"
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
MANAGE_CONNECTIONS_ACTION = "execute-api:ManageConnections"
CONNECTIONS_METHODS = frozenset({"POST", "GET", "DELETE"})
"""The methods `@connections` accepts (send, inspect, close)."""

PUSH_TO_CLOUDWATCH_LOGS_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
"""AWS's managed policy that lets API Gateway write a stage's logs."""

PolicyDocument = dict[str, Any]
Statement = dict[str, Any]


def assume_role_policy(service: str) -> PolicyDocument:
    """Trust policy letting one AWS service principal (e.g. `LAMBDA_SERVICE`) assume a role."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def push_to_cloudwatch_logs_policy_arn(partition: str) -> str:
    """The ARN of AWS's managed `PUSH_TO_CLOUDWATCH_LOGS_POLICY` in `partition` (`aws`, `aws-cn`)."""
    return f"arn:{partition}:iam::aws:policy/{PUSH_TO_CLOUDWATCH_LOGS_POLICY}"


def invoke_source_arn(execution_arn: str, stage: str, route_key: str) -> str:
    """The ARN API Gateway invokes a route from: `{execution arn}/{stage}/{route key}`."""
    return f"{execution_arn}/{stage}/{route_key}"


def connections_arns(execution_arn: str, stage: str, methods: Iterable[str]) -> list[str]:
    """`@connections` ARNs for the given methods: `{execution arn}/{stage}/{METHOD}/@connections/*`.

    Raises `ValueError` for a method `@connections` does not have.
    """
    arns = []
    for method in dict.fromkeys(methods):
        if method not in CONNECTIONS_METHODS:
            raise ValueError(f"@connections has no method {method!r}")
        arns.append(f"{execution_arn}/{stage}/{method}/@connections/*")
    return arns


def dynamodb_actions(actions: Iterable[str]) -> list[str]:
    """IAM action names (`dynamodb:GetItem`) for DynamoDB API names (`GetItem`), once each.

    Raises `ValueError` for anything but a plain API name, so a wildcard or a
    foreign service can never slip into a policy through the route table.
    """
    names = []
    for action in dict.fromkeys(actions):
        if not (action.isascii() and action.isalpha()):
            raise ValueError(f"not a DynamoDB API action name: {action!r}")
        names.append(f"dynamodb:{action}")
    return names


def handler_policy(
    route: Route,
    *,
    table_arn: str,
    log_group_arn: str,
    execution_arn: str,
    stage: str,
) -> PolicyDocument:
    """The inline policy of the role of `route`'s Lambda function.

    `log_group_arn` is the function's own log group ARN without the trailing
    `:*` (as `aws.cloudwatch.LogGroup.arn` gives it); `execution_arn` is the
    API's (`arn:aws:execute-api:{region}:{account}:{api id}`). A route with no
    DynamoDB actions gets no DynamoDB statement; a route with no `@connections`
    methods gets no execute-api statement.
    """
    statements: list[Statement] = [
        _allow("WriteOwnLogs", list(LOG_WRITE_ACTIONS), [f"{log_group_arn}:*"]),
    ]
    if route.dynamodb_actions:
        statements.append(
            _allow("UseGameTable", dynamodb_actions(route.dynamodb_actions), [table_arn])
        )
    if route.connections_methods:
        statements.append(
            _allow(
                "ReachConnections",
                [MANAGE_CONNECTIONS_ACTION],
                connections_arns(execution_arn, stage, route.connections_methods),
            )
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


def _allow(sid: str, actions: list[str], resources: list[str]) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
