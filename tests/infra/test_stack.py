"""The Pulumi program under mocks, with no stack configuration: every resource and its defaults."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from functions import settings as handler_settings
from functions.routes import ROUTE_SELECTION_EXPRESSION, ROUTES, Route
from functions.table import HASH_KEY, TTL_ATTRIBUTE
from tests.infra.stack_harness import (
    API,
    API_GATEWAY_ACCOUNT,
    EXECUTION_ARN,
    FUNCTION,
    LOG_GROUP,
    REGION,
    REPO_ROOT,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
    ROUTE,
    ROUTE_RESPONSE,
    STAGE,
    TABLE,
    Deployment,
    grants,
    load_program,
)

DEFAULT_STAGE = "dev"
DEFAULT_GAME_TTL_SECONDS = "86400"
DEFAULT_THROTTLING_RATE = 50
DEFAULT_THROTTLING_BURST = 100
DEFAULT_LOG_RETENTION_DAYS = 14
DEFAULT_MEMORY_MB = 256
ROUTE_IDS = [route.key for route in ROUTES]


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_program()


def test_every_resource_is_a_child_of_the_component(deployment: Deployment) -> None:
    """Every AWS resource is created with `parent=` the component, named after it."""
    component = deployment.component()
    for resource in deployment.resources:
        if resource is component:
            continue
        assert resource.parent == component.urn, f"{resource} is not a child of {component}"
        assert resource.name.startswith(f"{component.name}-"), (
            f"{resource} is not named after {component}"
        )


def test_table_key_ttl_billing_and_point_in_time_recovery(deployment: Deployment) -> None:
    """The game table: `GameId` (S) partition key, TTL on `ttl`, on-demand, PITR on."""
    (table,) = deployment.of_type(TABLE)
    assert table.inputs.get("hashKey") == HASH_KEY == "GameId", f"{table}: partition key"
    assert table.inputs.get("attributes") == [{"name": "GameId", "type": "S"}], (
        f"{table}: attributes"
    )
    assert "rangeKey" not in table.inputs, f"{table}: has a sort key"
    assert table.inputs.get("ttl") == {"attributeName": TTL_ATTRIBUTE, "enabled": True}, (
        f"{table}: TTL"
    )
    assert table.inputs.get("billingMode") == "PAY_PER_REQUEST", f"{table}: billing"
    assert table.inputs.get("pointInTimeRecovery", {}).get("enabled") is True, f"{table}: PITR"


def test_api_is_websocket_routed_on_the_body_type(deployment: Deployment) -> None:
    """One WebSocket API whose route selection expression is the route table's."""
    (api,) = deployment.of_type(API)
    assert api.inputs.get("protocolType") == "WEBSOCKET", f"{api}: protocol"
    assert api.inputs.get("routeSelectionExpression") == ROUTE_SELECTION_EXPRESSION, f"{api}"
    assert ROUTE_SELECTION_EXPRESSION == "$request.body.type"


def test_deployed_route_keys_are_exactly_the_route_table(deployment: Deployment) -> None:
    """The API has one route per route-table entry and no other."""
    deployed = [route.inputs["routeKey"] for route in deployment.of_type(ROUTE)]
    assert sorted(deployed) == sorted(route.key for route in ROUTES), "routes differ from ROUTES"
    assert len(deployment.of_type(FUNCTION)) == len(ROUTES), "one function per route"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_route_targets_an_aws_proxy_integration_of_its_own_function(
    deployment: Deployment, route: Route
) -> None:
    """Route -> integration (AWS_PROXY, POST) -> the invoke ARN of the function with its handler."""
    found = deployment.for_route(route)
    integration = found.integration
    assert integration.inputs.get("integrationType") == "AWS_PROXY", f"{integration}: type"
    assert integration.inputs.get("integrationMethod") == "POST", f"{integration}: method"
    assert integration.inputs.get("integrationUri") == found.function.outputs["invokeArn"], (
        f"{integration}: target is not {found.function}"
    )
    assert integration.inputs.get("apiId") == deployment.one(API).id, f"{integration}: API"
    assert found.route.inputs.get("target") == f"integrations/{integration.id}", (
        f"{found.route}: target is not {integration}"
    )
    assert found.route.inputs.get("apiId") == deployment.one(API).id, f"{found.route}: API"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_only_two_way_routes_have_a_route_response(deployment: Deployment, route: Route) -> None:
    """Two-way: selection expression and route response `$default`; one-way: neither."""
    api_route = deployment.for_route(route).route
    responses = [
        response
        for response in deployment.of_type(ROUTE_RESPONSE)
        if response.inputs.get("routeId") == api_route.id
    ]
    expression = api_route.inputs.get("routeResponseSelectionExpression")
    if route.two_way:
        assert expression == "$default", f"{api_route}: route response selection expression"
        assert [r.inputs.get("routeResponseKey") for r in responses] == ["$default"], (
            f"{api_route}: route responses {[str(r) for r in responses]}"
        )
    else:
        assert expression is None, f"{api_route}: one-way route with a selection expression"
        assert responses == [], f"{api_route}: one-way route with {[str(r) for r in responses]}"


def test_every_route_response_belongs_to_a_two_way_route(deployment: Deployment) -> None:
    two_way = {deployment.for_route(route).route.id for route in ROUTES if route.two_way}
    for response in deployment.of_type(ROUTE_RESPONSE):
        assert response.inputs.get("routeId") in two_way, f"{response}: not for a two-way route"


def test_stage_auto_deploys_with_default_throttling(deployment: Deployment) -> None:
    (stage,) = deployment.of_type(STAGE)
    assert stage.inputs.get("name") == DEFAULT_STAGE, f"{stage}: name"
    assert stage.inputs.get("apiId") == deployment.one(API).id, f"{stage}: API"
    assert stage.inputs.get("autoDeploy") is True, f"{stage}: auto-deploy"
    settings = stage.inputs.get("defaultRouteSettings", {})
    assert settings.get("throttlingRateLimit") == DEFAULT_THROTTLING_RATE, f"{stage}: rate"
    assert settings.get("throttlingBurstLimit") == DEFAULT_THROTTLING_BURST, f"{stage}: burst"


def test_stage_writes_json_access_logs_to_a_log_group_with_retention(
    deployment: Deployment,
) -> None:
    (stage,) = deployment.of_type(STAGE)
    settings = stage.inputs.get("accessLogSettings", {})
    log_group = deployment.one(LOG_GROUP, arn=settings.get("destinationArn"))
    assert log_group.inputs.get("retentionInDays") == DEFAULT_LOG_RETENTION_DAYS, f"{log_group}"
    pre_quoted_as_json = re.sub(r"(\$context[.A-Za-z]+String)", r'"\1"', settings["format"])
    fields = json.loads(pre_quoted_as_json)
    for key, variable in {
        "requestId": "$context.requestId",
        "connectionId": "$context.connectionId",
        "routeKey": "$context.routeKey",
        "eventType": "$context.eventType",
        "status": "$context.status",
        "errorMessage": "$context.error.messageString",
        "integrationLatency": "$context.integration.latency",
    }.items():
        assert fields.get(key) == variable, f"{stage}: access log field {key}"
    assert all(value.startswith("$context.") for value in fields.values()), f"{stage}: format"


def test_api_gateway_may_write_logs_before_the_stage_exists() -> None:
    """Opted in: account-wide CloudWatch role with the managed push policy, set before the stage."""
    deployment = load_program({"manageApiGatewayAccount": "true"})
    (account,) = deployment.of_type(API_GATEWAY_ACCOUNT)
    role = deployment.one(ROLE, arn=account.inputs.get("cloudwatchRoleArn"))
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert _trusted_services(trust) == {"apigateway.amazonaws.com"}, f"{role}: trust policy"
    (attachment,) = deployment.of_type(ROLE_POLICY_ATTACHMENT)
    assert attachment.inputs == {
        "role": role.outputs["name"],
        "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    }, f"{attachment}"
    assert attachment.urn in account.dependencies, f"{account}: set before its role has the policy"
    (stage,) = deployment.of_type(STAGE)
    assert account.urn in stage.dependencies, f"{stage}: created before {account}"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_function_runtime_architecture_handler_and_sizing(
    deployment: Deployment, route: Route
) -> None:
    function = deployment.for_route(route).function
    assert function.inputs.get("runtime") == "python3.13", f"{function}: runtime"
    assert function.inputs.get("architectures") == ["arm64"], f"{function}: architecture"
    assert function.inputs.get("handler") == route.handler, f"{function}: handler"
    assert function.inputs.get("memorySize") == DEFAULT_MEMORY_MB, f"{function}: memory"
    assert function.inputs.get("timeout") == 20, f"{function}: timeout"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_function_environment_reaches_the_table_and_connections(
    deployment: Deployment, route: Route
) -> None:
    function = deployment.for_route(route).function
    (table,) = deployment.of_type(TABLE)
    assert function.inputs.get("environment", {}).get("variables") == {
        handler_settings.TABLE_NAME: table.outputs["name"],
        handler_settings.CONNECTIONS_URL: (
            f"https://{deployment.one(API).id}.execute-api.{REGION}.amazonaws.com/{DEFAULT_STAGE}"
        ),
        handler_settings.GAME_TTL_SECONDS: DEFAULT_GAME_TTL_SECONDS,
    }, f"{function}: environment"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_function_logs_to_its_own_log_group_with_retention(
    deployment: Deployment, route: Route
) -> None:
    found = deployment.for_route(route)
    assert found.log_group.inputs.get("retentionInDays") == DEFAULT_LOG_RETENTION_DAYS, (
        f"{found.log_group}: retention"
    )
    assert (
        found.function.inputs.get("loggingConfig", {}).get("logGroup")
        == (found.log_group.outputs["name"])
    ), f"{found.function}: logs elsewhere than {found.log_group}"
    assert found.log_group.urn in found.function.dependencies, (
        f"{found.function}: may start before {found.log_group} exists"
    )


def test_every_log_group_has_the_default_retention(deployment: Deployment) -> None:
    for log_group in deployment.of_type(LOG_GROUP):
        assert log_group.inputs.get("retentionInDays") == DEFAULT_LOG_RETENTION_DAYS, f"{log_group}"
    assert len(deployment.of_type(LOG_GROUP)) == len(ROUTES) + 1, "one per function + access logs"


def _expected_archive() -> set[str]:
    """Every .py file git tracks under functions/ and game/, found independently of infra.archive."""
    listed = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "ls-files", "functions", "game"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {
        name
        for name in listed
        if name.endswith(".py") and "__pycache__" not in name and (REPO_ROOT / name).is_file()
    }


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_function_code_is_exactly_the_handler_packages(
    deployment: Deployment, route: Route
) -> None:
    """The archive holds every tracked .py of functions/ and game/ (handler module included)."""
    function = deployment.for_route(route).function
    assets = function.inputs["code"].assets
    names = set(assets)
    assert names == _expected_archive(), (
        f"{function}: archive {sorted(names ^ _expected_archive())}"
    )
    assert all(name.split("/")[0] in {"functions", "game"} for name in names), f"{function}"
    assert not any(
        part in {"tests", "client", "emulator", "infra", ".venv", "__pycache__"}
        for name in names
        for part in name.split("/")
    ), f"{function}: archive holds code Lambda does not need"
    module, _, _ = route.handler.rpartition(".")
    assert f"{module.replace('.', '/')}.py" in names, f"{function}: no module for {route.handler}"
    for name, asset in assets.items():
        assert Path(asset.path).resolve() == REPO_ROOT / name, f"{function}: {name} -> {asset.path}"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_role_policy_grants_exactly_what_the_route_table_lists(
    deployment: Deployment, route: Route
) -> None:
    """Least privilege: its DynamoDB actions on the table, its @connections methods, own logs."""
    found = deployment.for_route(route)
    (table,) = deployment.of_type(TABLE)
    expected: dict[str, set[str]] = {
        "logs:CreateLogStream": {f"{found.log_group.outputs['arn']}:*"},
        "logs:PutLogEvents": {f"{found.log_group.outputs['arn']}:*"},
    }
    for action in route.dynamodb_actions:
        expected[f"dynamodb:{action}"] = {table.outputs["arn"]}
    if route.connections_methods:
        expected["execute-api:ManageConnections"] = {
            f"{EXECUTION_ARN}/{DEFAULT_STAGE}/{method}/@connections/*"
            for method in route.connections_methods
        }
    policy = found.policy.policy()
    assert policy.get("Version") == "2012-10-17", f"{found.policy}: version"
    allowed = grants(policy)
    assert allowed == expected, f"{found.policy}: grants {allowed}, expected {expected}"
    for action, resources in allowed.items():
        assert "*" not in action, f"{found.policy}: wildcard action {action}"
        assert "*" not in resources, f"{found.policy}: {action} on every resource"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_function_role_is_its_own_with_no_managed_policies(
    deployment: Deployment, route: Route
) -> None:
    """Each function has its own role, trusted by Lambda only, with only the inline policy."""
    found = deployment.for_route(route)
    trust = json.loads(found.role.inputs["assumeRolePolicy"])
    assert _trusted_services(trust) == {"lambda.amazonaws.com"}, f"{found.role}: trust policy"
    assert not found.role.inputs.get("managedPolicyArns"), f"{found.role}: managed policies"
    attached = [
        attachment
        for attachment in deployment.of_type(ROLE_POLICY_ATTACHMENT)
        if attachment.inputs.get("role") == found.role.outputs["name"]
    ]
    assert attached == [], f"{found.role}: attached {[str(a) for a in attached]}"
    others = [r.function for r in map(deployment.for_route, ROUTES) if r.role is found.role]
    assert others == [found.function], f"{found.role}: shared by {[str(f) for f in others]}"
    assert found.policy.urn in found.function.dependencies, (
        f"{found.function}: may run before {found.policy} is in place"
    )


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_only_this_api_stage_and_route_may_invoke_the_function(
    deployment: Deployment, route: Route
) -> None:
    permission = deployment.for_route(route).permission
    assert permission.inputs.get("action") == "lambda:InvokeFunction", f"{permission}: action"
    assert permission.inputs.get("principal") == "apigateway.amazonaws.com", f"{permission}"
    assert permission.inputs.get("sourceArn") == f"{EXECUTION_ARN}/{DEFAULT_STAGE}/{route.key}", (
        f"{permission}: source ARN"
    )


def test_exports(deployment: Deployment) -> None:
    """websocketUrl = wss://{api id}.execute-api.{region}.amazonaws.com/{stage}; table; API;
    webUrl (the browser page, tests/infra/test_web.py)."""
    api_id = deployment.one(API).id
    assert set(deployment.exports) == {"websocketUrl", "tableName", "apiId", "webUrl"}
    assert re.fullmatch(
        rf"wss://{api_id}\.execute-api\.{REGION}\.amazonaws\.com/{DEFAULT_STAGE}",
        deployment.exports["websocketUrl"],
    ), f"websocketUrl {deployment.exports['websocketUrl']}"
    assert deployment.exports["tableName"] == deployment.one(TABLE).outputs["name"]
    assert deployment.exports["apiId"] == api_id


def _trusted_services(trust_policy: dict[str, Any]) -> set[str]:
    services: set[str] = set()
    for statement in trust_policy["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
        principal = statement["Principal"]
        assert set(principal) == {"Service"}, f"unexpected principal {principal}"
        services.add(principal["Service"])
    return services
