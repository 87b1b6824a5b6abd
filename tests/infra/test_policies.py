"""IAM documents from `infra.policies`, checked directly (no Pulumi runtime)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.routes import Route
from infra import policies
from tests.infra.stack_harness import grants

EXECUTION_ARN = "arn:aws:execute-api:eu-west-1:210987654321:xyz789"
TABLE_ARN = "arn:aws:dynamodb:eu-west-1:210987654321:table/games"
LOG_GROUP_ARN = "arn:aws:logs:eu-west-1:210987654321:log-group:/aws/lambda/fn"


def policy_for(route: Route) -> dict[str, Any]:
    document = policies.handler_policy(
        route,
        table_arn=TABLE_ARN,
        log_group_arn=LOG_GROUP_ARN,
        execution_arn=EXECUTION_ARN,
        stage="live",
    )
    received: dict[str, Any] = json.loads(json.dumps(document))  # what IAM receives
    return received


def test_route_with_no_dynamodb_actions_gets_no_dynamodb_statement() -> None:
    allowed = grants(policy_for(Route("x", "functions.x.handler", "x", (), ("POST",))))
    assert not any(action.startswith("dynamodb:") for action in allowed)
    assert allowed["execute-api:ManageConnections"] == {f"{EXECUTION_ARN}/live/POST/@connections/*"}


def test_route_with_no_connections_methods_gets_no_execute_api_statement() -> None:
    allowed = grants(policy_for(Route("x", "functions.x.handler", "x", ("GetItem",), ())))
    assert set(allowed) == {"logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:GetItem"}
    assert allowed["dynamodb:GetItem"] == {TABLE_ARN}


def test_one_execute_api_resource_per_method() -> None:
    allowed = grants(
        policy_for(Route("x", "functions.x.handler", "x", (), ("POST", "DELETE", "POST")))
    )
    assert allowed["execute-api:ManageConnections"] == {
        f"{EXECUTION_ARN}/live/POST/@connections/*",
        f"{EXECUTION_ARN}/live/DELETE/@connections/*",
    }


def test_logs_go_to_the_function_log_group_streams_only() -> None:
    allowed = grants(policy_for(Route("x", "functions.x.handler", "x", (), ())))
    assert allowed == {
        "logs:CreateLogStream": {f"{LOG_GROUP_ARN}:*"},
        "logs:PutLogEvents": {f"{LOG_GROUP_ARN}:*"},
    }


@pytest.mark.parametrize("action", ["*", "Get*", "dynamodb:GetItem", "", "Get Item"])
def test_a_dynamodb_action_that_is_not_a_plain_name_is_refused(action: str) -> None:
    with pytest.raises(ValueError):
        policy_for(Route("x", "functions.x.handler", "x", (action,), ()))


@pytest.mark.parametrize("method", ["*", "PUT", "post"])
def test_a_method_connections_does_not_have_is_refused(method: str) -> None:
    with pytest.raises(ValueError):
        policy_for(Route("x", "functions.x.handler", "x", (), (method,)))


def test_invoke_source_arn_names_api_stage_and_route_key() -> None:
    assert policies.invoke_source_arn(EXECUTION_ARN, "live", "$default") == (
        f"{EXECUTION_ARN}/live/$default"
    )


@pytest.mark.parametrize("service", [policies.LAMBDA_SERVICE, policies.API_GATEWAY_SERVICE])
def test_assume_role_policy_trusts_one_service(service: str) -> None:
    assert policies.assume_role_policy(service) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
