"""Safe in a shared AWS account: what the program must not take over, collide with or leave behind.

Each test here pins one fix from a review of the program (issue 9, part 3) and fails if
that fix is reverted.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re

import pytest

from emulator.pulumi_program import MockAccount
from functions.routes import ROUTES
from tests.infra.stack_harness import (
    API_GATEWAY_ACCOUNT,
    FUNCTION,
    LOG_GROUP,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
    STAGE,
    Deployment,
    load_program,
)


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_program()


def test_the_account_wide_api_gateway_logging_role_is_left_alone_by_default(
    deployment: Deployment,
) -> None:
    """API Gateway's CloudWatch role is one setting per account and region: not ours to take."""
    assert deployment.of_type(API_GATEWAY_ACCOUNT) == []
    assert deployment.of_type(ROLE_POLICY_ATTACHMENT) == []
    trusted_by_api_gateway = [
        role for role in deployment.of_type(ROLE) if "apigateway" in role.inputs["assumeRolePolicy"]
    ]
    assert trusted_by_api_gateway == []


def test_when_opted_in_the_setting_and_its_role_outlive_the_stack() -> None:
    """`pulumi destroy` must not reset the region's setting nor delete the role it names."""
    opted_in = load_program({"manageApiGatewayAccount": "true"})
    (account,) = opted_in.of_type(API_GATEWAY_ACCOUNT)
    role = opted_in.one(ROLE, arn=account.inputs["cloudwatchRoleArn"])
    (attachment,) = opted_in.of_type(ROLE_POLICY_ATTACHMENT)
    for resource in (account, role, attachment):
        assert resource.retain_on_delete, f"{resource}: deleted (or reset) by pulumi destroy"
    (stage,) = opted_in.of_type(STAGE)
    assert account.urn in stage.dependencies, f"{stage}: access logs before the role is set"


def test_access_logs_stay_on_without_the_account_setting(deployment: Deployment) -> None:
    """Off by default, the stage still writes access logs (the account's role must exist)."""
    (stage,) = deployment.of_type(STAGE)
    assert stage.inputs.get("accessLogSettings", {}).get("destinationArn"), f"{stage}"


def test_access_logs_can_be_turned_off() -> None:
    """For an account whose API Gateway logging role is not set and not ours to set."""
    (stage,) = load_program({"accessLogs": "false"}).of_type(STAGE)
    assert "accessLogSettings" not in stage.inputs, f"{stage}: still writes access logs"


LAMBDA_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What Lambda accepts as a function name."""
AUTO_NAME_SUFFIX = len("-1a2b3c4")
"""What Pulumi's auto-naming adds to a logical name: a dash and 7 random hex digits."""


def test_functions_and_their_log_groups_are_auto_named(deployment: Deployment) -> None:
    """No fixed physical names: two people with one stack name in one account do not collide."""
    functions = deployment.of_type(FUNCTION)
    assert len(functions) == len(ROUTES)
    for function in functions:
        assert "name" not in function.inputs, f"{function}: fixed name {function.inputs['name']}"
        log_group = function.inputs["loggingConfig"]["logGroup"]
        (own,) = [g for g in deployment.of_type(LOG_GROUP) if g.outputs["name"] == log_group]
        assert "name" not in own.inputs, f"{own}: fixed name {own.inputs['name']}"
        assert LAMBDA_NAME.fullmatch(function.outputs["name"]), f"{function}"


def test_function_names_say_which_stack_they_belong_to(deployment: Deployment) -> None:
    for function in deployment.of_type(FUNCTION):
        assert function.name.startswith("xo-test-"), f"{function}: stack name not in its name"


@pytest.mark.parametrize("stack", ["feature.x", "a" * 43, "has space"])
def test_a_stack_name_that_makes_an_invalid_lambda_name_fails_before_anything_is_created(
    stack: str,
) -> None:
    with pytest.raises(ValueError, match=r"cannot be part of a Lambda function name") as error:
        load_program(stack=stack)
    assert str(error.value).endswith("."), "a sentence"
    assert stack in str(error.value)


def test_the_longest_stack_name_allowed_gives_valid_lambda_names() -> None:
    for function in load_program(stack="a" * 42).of_type(FUNCTION):
        assert len(function.name) + AUTO_NAME_SUFFIX <= 64, f"{function}"


def _strings(value: object) -> list[str]:
    """Every string inside a resource's inputs (JSON documents included, as text)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def test_every_arn_is_in_the_partition_the_provider_reports() -> None:
    """China and GovCloud regions have their own partitions (`aws-cn`, `aws-us-gov`)."""
    china = MockAccount(region="cn-north-1", partition="aws-cn")
    deployed = load_program({"manageApiGatewayAccount": "true"}, account=china)
    for resource in deployed.resources:
        for text in _strings(resource.inputs):
            for arn in re.findall(r"arn:[a-z-]*:", text):
                assert arn == "arn:aws-cn:", f"{resource}: {text}"


def test_json_function_logs_name_both_log_levels(deployment: Deployment) -> None:
    """AWS fills in unset levels of JSON logs, so leaving them out diffs on every `pulumi up`."""
    for function in deployment.of_type(FUNCTION):
        logging_config = function.inputs["loggingConfig"]
        assert logging_config.get("logFormat") == "JSON", f"{function}"
        assert logging_config.get("applicationLogLevel") == "INFO", f"{function}: handlers log info"
        assert logging_config.get("systemLogLevel") == "INFO", f"{function}: REPORT lines are info"


def _takes_tags(resource_type: str) -> bool:
    """Whether pulumi-aws's resource class for `aws:module/x:Name` has a `tags` argument."""
    module, _, name = resource_type.removeprefix("aws:").partition("/")
    class_name = name.partition(":")[2]
    package = importlib.import_module(
        f"pulumi_aws.{module}_" if module == "lambda" else f"pulumi_aws.{module}"
    )
    parameters = inspect.signature(getattr(package, f"{class_name}Args").__init__).parameters
    return "tags" in parameters


@pytest.mark.parametrize(
    "config", [{}, {"manageApiGatewayAccount": "true"}], ids=["default", "opted-in"]
)
def test_every_taggable_resource_names_its_project_and_stack(config: dict[str, str]) -> None:
    """So that a shared account's bill and console say whose each resource is."""
    deployed = load_program(config)
    tagged = [r for r in deployed.resources if r.type.startswith("aws:") and _takes_tags(r.type)]
    assert {r.type for r in tagged} >= {FUNCTION, LOG_GROUP, ROLE, STAGE}
    for resource in tagged:
        assert resource.inputs.get("tags") == {"project": "xo", "stack": "test"}, f"{resource}"


HOSTILE = 'a " quote, a \\ backslash, \\" both, a }, a\nnewline and \u2028 \x00'
"""What a client may put in anything it controls (its user agent, a message AWS echoes)."""
AWS_TOKENS = {
    "$context.requestId": "Zx1d3EbxoAMFkPA=",
    "$context.extendedRequestId": "Zx1d3EbxoAMFkPA=",
    "$context.requestTime": "30/Nov/2026:10:00:00 +0000",
    "$context.requestTimeEpoch": "1795860000000",
    "$context.apiId": "abc123",
    "$context.stage": "dev",
    "$context.connectionId": "Zx1d3cBvIAMCJlw=",
    "$context.eventType": "MESSAGE",
    "$context.routeKey": "$default",
    "$context.messageId": "Zx1d3fj8IAMCJlw=",
    "$context.status": "200",
    "$context.identity.sourceIp": "203.0.113.7",
    "$context.error.responseType": "INTEGRATION_FAILURE",
    "$context.integration.status": "200",
    "$context.integration.latency": "12",
    "$context.integration.requestId": "5bd3c6a1-2f6e-4cb0-9a1c-0d2b0c1d2e3f",
}
"""Variables whose values AWS makes (ids, times, numbers, enums, our own route keys and stage
name): they never hold a quote or a backslash, so they may sit inside quotes."""


def render_access_log(log_format: str, client_value: str) -> str:
    """What API Gateway writes for one request: each `$context` variable replaced by its value.

    An AWS-made variable gets a typical value; a pre-quoted one (`...String`) gets
    `client_value` quoted and escaped, as AWS documents it; any other gets `client_value`
    as it is (a client controls it, or may: nothing promises it is safe inside quotes).
    """

    def value(match: re.Match[str]) -> str:
        variable = match.group(0)
        if variable in AWS_TOKENS:
            return AWS_TOKENS[variable]
        if variable.endswith("String"):
            return json.dumps(client_value)
        return client_value

    return re.sub(r"\$context(\.[A-Za-z]+)+", value, log_format)


def test_access_log_lines_stay_json_whatever_a_client_sends(deployment: Deployment) -> None:
    (stage,) = deployment.of_type(STAGE)
    log_format = stage.inputs["accessLogSettings"]["format"]
    line = render_access_log(log_format, HOSTILE)
    fields = json.loads(line)
    assert fields["errorMessage"] == HOSTILE, "API Gateway's error message, pre-quoted"
    assert fields["requestId"] == AWS_TOKENS["$context.requestId"]
    assert "$context.identity.userAgent" not in log_format, "no pre-quoted form exists"
