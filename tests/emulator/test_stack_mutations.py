"""Mutation tests of `--stack`: break one thing in the declared stack, and a game breaks
with a message that names the cause.

Each test runs the real Pulumi program under mocks once (module fixture), alters the
declared resources in memory (never a file on disk), serves the result with
`xo local --stack`'s emulator, and plays until the break shows. The unaltered stack
plays a whole game (tests/e2e/test_stack_games.py).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from client.local import STACK_NAME, stack_emulator
from emulator.pulumi_program import (
    FUNCTION,
    PERMISSION,
    ROLE_POLICY,
    ROUTE,
    Deployment,
    load_program,
)
from emulator.stack import describe, stack_config
from functions import settings
from tests.e2e.players import X_WINS, new_game

REPO_ROOT = Path(__file__).resolve().parents[2]
INTERNAL_ERROR = "Internal server error"


@pytest.fixture(scope="module")
def declared() -> Deployment:
    return load_program(REPO_ROOT, stack_config(REPO_ROOT / f"Pulumi.{STACK_NAME}.yaml"))


def play_function(deployment: Deployment) -> Any:
    return deployment.one(FUNCTION, handler="functions.play.handler")


async def first_move(
    declared: Deployment,
    mutate: Callable[[Deployment], None],
    caplog: pytest.LogCaptureFixture,
    answered: bool = True,
) -> tuple[dict[str, Any], str]:
    """Serve the mutated stack; x starts, o joins, x plays. Returns x's answer (`{}` when
    not `answered`: x is checked to hear nothing) and the log."""
    deployment = copy.deepcopy(declared)
    mutate(deployment)
    caplog.set_level(logging.INFO, logger="emulator")
    with stack_emulator(stack=describe(deployment), report=lambda _: None) as emu:
        async with emu:
            x, o, init, _ = await new_game(emu.url)
            await x.send(type="play", id=init["id"], tile=X_WINS[0])
            answer = await x.recv() if answered else {}
            if not answered:
                assert await x.silent(2), "x heard an answer"
            assert await o.silent(0.5), "the move reached the opponent"
            await x.close()
            await o.close()
    return answer, caplog.text


async def test_a_misspelt_handler(declared: Deployment, caplog: pytest.LogCaptureFixture) -> None:
    def misspell(deployment: Deployment) -> None:
        play_function(deployment).inputs["handler"] = "functions.play.handlr"

    answer, log = await first_move(declared, misspell, caplog)
    assert answer["message"] == INTERNAL_ERROR
    assert "Runtime.HandlerNotFound: Handler 'handlr' missing on module 'functions.play'" in log


async def test_an_environment_variable_dropped(
    declared: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    def drop(deployment: Deployment) -> None:
        del play_function(deployment).inputs["environment"]["variables"][settings.TABLE_NAME]

    answer, log = await first_move(declared, drop, caplog)
    assert answer["message"] == INTERNAL_ERROR
    assert "KeyError: 'TABLE_NAME'" in log


async def test_a_route_left_out(declared: Deployment, caplog: pytest.LogCaptureFixture) -> None:
    def leave_out(deployment: Deployment) -> None:
        deployment.resources.remove(deployment.one(ROUTE, routeKey="play"))

    answer, _ = await first_move(declared, leave_out, caplog)
    assert (answer["type"], answer["code"]) == ("error", "unknown_type")
    assert answer["message"] == "This server has no route for that message type."


async def test_a_module_left_out_of_the_archive(
    declared: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    def leave_out(deployment: Deployment) -> None:
        function = play_function(deployment)
        assets = dict(function.inputs["code"].assets)
        del assets["game/rules.py"]
        function.inputs["code"] = pulumi.AssetArchive(assets)

    answer, log = await first_move(declared, leave_out, caplog)
    assert answer["message"] == INTERNAL_ERROR
    assert "Runtime.ImportModuleError" in log and "No module named 'game.rules'" in log


def without_action(deployment: Deployment, role_of: str, action: str) -> None:
    """Take `action` out of every statement of the inline policy of `role_of`'s role."""
    function = deployment.one(FUNCTION, handler=role_of)
    role_name = function.inputs["role"].rpartition("/")[2]
    policy = deployment.one(ROLE_POLICY, role=role_name)
    document = policy.policy()
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != action]
    document["Statement"] = [s for s in document["Statement"] if s["Action"]]
    policy.inputs["policy"] = json.dumps(document)


async def test_a_dynamodb_action_removed_from_one_role(
    declared: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    answer, log = await first_move(
        declared,
        lambda d: without_action(d, "functions.play.handler", "dynamodb:UpdateItem"),
        caplog,
    )
    assert answer.get("type") != "play", answer
    assert "(AccessDeniedException) when calling the UpdateItem operation" in log
    assert "User: arn:aws:sts::123456789012:assumed-role/xo-play-role-" in log
    assert (
        "is not authorized to perform: dynamodb:UpdateItem on resource: "
        "arn:aws:dynamodb:us-east-1:123456789012:table/xo-games-"
    ) in log


async def test_connections_permission_removed_from_one_role(
    declared: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    answer, log = await first_move(
        declared,
        lambda d: without_action(d, "functions.play.handler", "execute-api:ManageConnections"),
        caplog,
        answered=False,  # the move is stored; a post that fails is logged, not reported
    )
    assert answer == {}
    assert "(ForbiddenException) when calling the PostToConnection operation" in log
    assert "User: arn:aws:sts::123456789012:assumed-role/xo-play-role-" in log
    assert (
        "is not authorized to perform: execute-api:ManageConnections on resource: "
        "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/POST/@connections/"
    ) in log


async def test_an_invoke_permission_left_out(
    declared: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    def leave_out(deployment: Deployment) -> None:
        name = play_function(deployment).outputs["name"]
        deployment.resources.remove(deployment.one(PERMISSION, function=name))

    answer, log = await first_move(declared, leave_out, caplog)
    assert answer["message"] == INTERNAL_ERROR
    assert "PermissionError: API Gateway may not invoke xo-local-play" in log
    assert "no lambda:InvokeFunction permission for apigateway.amazonaws.com from " in log
