"""Stack settings: configured values reach the resources; values AWS would refuse are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions import settings as handler_settings
from functions.routes import ROUTES
from infra.websocket_game import CONFIG_KEYS, XoStackArgs
from tests.infra.stack_harness import (
    EXECUTION_ARN,
    FUNCTION,
    LOG_GROUP,
    PERMISSION,
    REPO_ROOT,
    ROLE_POLICY,
    STAGE,
    Deployment,
    load_program,
)

CONFIG = {
    "stageName": "prod",
    "gameLifetimeHours": "2",
    "throttlingRateLimit": "12.5",
    "throttlingBurstLimit": "7",
    "newGameRateLimit": "1.5",
    "newGameBurstLimit": "3",
    "logRetentionDays": "30",
    "lambdaMemoryMb": "512",
    "accessLogs": "true",
    "manageApiGatewayAccount": "true",
}


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_program(CONFIG)


def test_the_test_configuration_sets_every_setting() -> None:
    assert set(CONFIG) == set(CONFIG_KEYS)


def test_stage_name_reaches_stage_urls_policies_and_permissions(deployment: Deployment) -> None:
    (stage,) = deployment.of_type(STAGE)
    assert stage.inputs.get("name") == "prod", f"{stage}: name"
    assert deployment.exports["websocketUrl"].endswith(".amazonaws.com/prod")
    for function in deployment.of_type(FUNCTION):
        url = function.inputs["environment"]["variables"][handler_settings.CONNECTIONS_URL]
        assert url.startswith("https://") and url.endswith(".amazonaws.com/prod"), f"{function}"
    for permission in deployment.of_type(PERMISSION):
        assert permission.inputs["sourceArn"].startswith(f"{EXECUTION_ARN}/prod/"), f"{permission}"
    for policy in deployment.of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if statement["Action"] == ["execute-api:ManageConnections"]:
                assert all(
                    arn.startswith(f"{EXECUTION_ARN}/prod/") for arn in statement["Resource"]
                ), f"{policy}: {statement['Resource']}"


def test_throttling_reaches_the_stage(deployment: Deployment) -> None:
    (stage,) = deployment.of_type(STAGE)
    assert stage.inputs["defaultRouteSettings"] == {
        "throttlingRateLimit": 12.5,
        "throttlingBurstLimit": 7,
    }, f"{stage}: throttling"


def test_game_lifetime_reaches_every_function_in_seconds(deployment: Deployment) -> None:
    for function in deployment.of_type(FUNCTION):
        variables = function.inputs["environment"]["variables"]
        assert variables[handler_settings.GAME_TTL_SECONDS] == "7200", f"{function}"


def test_memory_reaches_every_function(deployment: Deployment) -> None:
    functions = deployment.of_type(FUNCTION)
    assert len(functions) == len(ROUTES)
    for function in functions:
        assert function.inputs.get("memorySize") == 512, f"{function}: memory"


def test_log_retention_reaches_every_log_group(deployment: Deployment) -> None:
    log_groups = deployment.of_type(LOG_GROUP)
    assert len(log_groups) == len(ROUTES) + 1
    for log_group in log_groups:
        assert log_group.inputs.get("retentionInDays") == 30, f"{log_group}: retention"


def test_dev_stack_file_sets_the_region_and_only_known_settings() -> None:
    """Pulumi.dev.yaml names the region and no misspelt xo setting (which would be ignored)."""
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert config.get("aws:region"), "Pulumi.dev.yaml: aws:region"
    project_keys = {key.removeprefix("xo:") for key in config if key.startswith("xo:")}
    assert project_keys <= set(CONFIG_KEYS), f"unknown settings {project_keys - set(CONFIG_KEYS)}"
    assert set(config) - {f"xo:{key}" for key in project_keys} == {"aws:region"}


def test_project_file_runs_the_program_in_the_repository_virtualenv() -> None:
    yaml = pytest.importorskip("yaml")
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "xo"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": ".venv"},
    }


@pytest.mark.parametrize(
    "change",
    [
        {"stage_name": ""},
        {"stage_name": "has space"},
        {"game_lifetime_hours": 0},
        {"throttling_rate_limit": 0.0},
        {"throttling_burst_limit": 0},
        {"log_retention_days": 10},
        {"lambda_memory_mb": 64},
        {"lambda_timeout_seconds": 0},
        {"routes": ()},
    ],
    ids=lambda change: next(iter(change)),
)
def test_settings_aws_would_refuse_are_refused_early(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        XoStackArgs(source_root=Path("."), **change)  # type: ignore[arg-type]
