"""`emulator.stack`: the Pulumi program, run under mocks, read into what `--stack` serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.pulumi_program import FUNCTION, INTEGRATION, ROUTE, STAGE, Deployment, load_program
from emulator.stack import Stack, StackError, describe, read_stack
from functions import settings
from functions.routes import ROUTE_SELECTION_EXPRESSION, ROUTES
from functions.table import HASH_KEY, TTL_ATTRIBUTE

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_program(REPO_ROOT, {"stageName": "prod", "lambdaMemoryMb": "512"})


@pytest.fixture(scope="module")
def stack(deployment: Deployment) -> Stack:
    return describe(deployment)


def test_the_routes_served_are_the_routes_declared(stack: Stack) -> None:
    served = {route.key: (route.function.handler, route.two_way) for route in stack.routes}
    assert served == {route.key: (route.handler, route.two_way) for route in ROUTES}
    assert stack.route_selection_expression == ROUTE_SELECTION_EXPRESSION


def test_the_stage_name_is_the_configured_one(stack: Stack) -> None:
    assert stack.stage == "prod"
    assert stack.api_endpoint == f"wss://{stack.account.api_id}.execute-api.us-east-1.amazonaws.com"


def test_each_function_has_its_declared_environment_memory_and_timeout(stack: Stack) -> None:
    (table,) = stack.tables
    for function in stack.functions:
        assert function.environment == {
            settings.TABLE_NAME: table.name,
            settings.CONNECTIONS_URL: f"{stack.connections_endpoint}/prod",
            settings.GAME_TTL_SECONDS: "86400",
        }, function.name
        assert (function.memory_mb, function.timeout_s) == (512, 20), function.name


def test_each_function_has_its_own_role_and_least_privilege_policy(stack: Stack) -> None:
    (table,) = stack.tables
    play = next(route.function for route in stack.routes if route.key == "play")
    start = next(route.function for route in stack.routes if route.key == "start")
    assert play.role_arn != start.role_arn
    table_grants = [
        statement
        for policy in play.policies
        for statement in policy["Statement"]
        if statement["Resource"] == [table.arn]
    ]
    assert [statement["Action"] for statement in table_grants] == [["dynamodb:UpdateItem"]]


def test_the_code_is_the_archive_the_program_builds(stack: Stack) -> None:
    files = stack.functions[0].code.files
    assert "functions/play.py" in files and "game/rules.py" in files
    assert not [name for name in files if name.startswith(("tests/", "client/", "emulator/"))]
    assert files["game/rules.py"] == (REPO_ROOT / "game/rules.py").read_bytes()


def test_the_table_has_the_declared_key_and_ttl(stack: Stack) -> None:
    (table,) = stack.tables
    assert table.create_request["KeySchema"] == [{"AttributeName": HASH_KEY, "KeyType": "HASH"}]
    assert table.create_request["AttributeDefinitions"] == [
        {"AttributeName": HASH_KEY, "AttributeType": "S"}
    ]
    assert table.create_request["BillingMode"] == "PAY_PER_REQUEST"
    assert table.ttl_attribute == TTL_ATTRIBUTE


def test_stage_throttling_default_and_per_route(deployment: Deployment) -> None:
    (stage,) = deployment.of_type(STAGE)
    stage.inputs["routeSettings"] = [
        {"routeKey": "start", "throttlingRateLimit": 2.0, "throttlingBurstLimit": 4}
    ]
    try:
        stack = describe(deployment)
    finally:
        del stage.inputs["routeSettings"]
    assert (stack.throttle("play").rate, stack.throttle("play").burst) == (50.0, 100)  # type: ignore[union-attr]
    assert (stack.throttle("start").rate, stack.throttle("start").burst) == (2.0, 4)  # type: ignore[union-attr]


def test_what_is_not_served_is_listed_one_line_each(stack: Stack) -> None:
    lines = "\n".join(stack.not_honoured)
    assert "pointInTimeRecovery" in lines
    assert "accessLogSettings" in lines
    assert 'architectures=["arm64"]' in lines
    assert "aws:apigateway/account:Account" not in lines  # opt-in: xo:manageApiGatewayAccount
    assert all("\n" not in line for line in stack.not_honoured)


def test_a_route_whose_integration_is_missing_cannot_be_served(deployment: Deployment) -> None:
    integration = next(r for r in deployment.of_type(INTEGRATION) if r.name.startswith("xo-play"))
    deployment.resources.remove(integration)
    try:
        with pytest.raises(StackError, match="integration"):
            describe(deployment)
    finally:
        deployment.resources.append(integration)


def test_a_route_left_out_is_not_served(deployment: Deployment) -> None:
    route = next(r for r in deployment.of_type(ROUTE) if r.inputs["routeKey"] == "play")
    deployment.resources.remove(route)
    try:
        assert "play" not in {r.key for r in describe(deployment).routes}
    finally:
        deployment.resources.append(route)


def test_stack_files_configure_the_program(tmp_path: Path) -> None:
    stack = read_stack(REPO_ROOT, {"stageName": "qa"}, stack_name="dev")
    assert stack.stage == "qa"  # explicit settings win over Pulumi.dev.yaml
    assert json.dumps(stack.default_throttle.__dict__) == '{"rate": 50.0, "burst": 100}'


def test_api_gateway_may_invoke_every_declared_function(stack: Stack) -> None:
    assert [route.key for route in stack.routes if route.not_invocable] == []


def test_new_games_are_throttled_below_moves_as_declared(stack: Stack) -> None:
    start, join, play = (stack.throttle(key) for key in ("start", "join", "play"))
    assert start is not None and join is not None and play is not None
    assert (start.rate, start.burst) == (join.rate, join.burst) == (10.0, 20)
    assert (play.rate, play.burst) == (50.0, 100)


def test_a_reserved_variable_is_refused_as_lambda_refuses_it(deployment: Deployment) -> None:
    function = deployment.find(FUNCTION, handler="functions.play.handler")[0]
    variables = function.inputs["environment"]["variables"]
    variables["AWS_REGION"] = "eu-west-1"
    try:
        with pytest.raises(StackError, match="reserved environment variables AWS_REGION"):
            describe(deployment)
    finally:
        del variables["AWS_REGION"]
