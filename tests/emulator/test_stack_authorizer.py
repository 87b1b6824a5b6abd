"""`--stack` serves the `$connect` authorizer a Pulumi program declares.

The program is `examples/chat/stack`: the chat example's functions, deployed with a Lambda
REQUEST authorizer on `$connect` (an `aws.apigatewayv2.Authorizer` the route names with
``authorization_type="CUSTOM"``). AWS: API Gateway developer guide, "Control access to
WebSocket APIs with AWS Lambda REQUEST authorizers" (apigateway-websocket-api-lambda-auth.html):
an authorizer serves the `$connect` route only.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from emulator.pulumi_program import AUTHORIZER, PERMISSION, ROUTE, Deployment, load_program
from emulator.stack import StackError, describe, stack_emulator

PROGRAM = Path(__file__).resolve().parents[2] / "examples" / "chat" / "stack"


@pytest.fixture(scope="module")
def declared() -> Deployment:
    return load_program(PROGRAM)


def mutated(declared: Deployment, mutate: Callable[[Deployment], None]) -> Deployment:
    deployment = copy.deepcopy(declared)
    mutate(deployment)
    return deployment


async def status_of(url: str) -> int:
    """The handshake's status: 101 when the connection opens."""
    try:
        async with connect(url, open_timeout=60):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def test_the_declared_authorizer_is_read_with_its_function_and_identity_sources(
    declared: Deployment,
) -> None:
    stack = describe(declared)
    assert stack.authorizer is not None
    assert stack.authorizer.function.handler == "handlers.authorize"
    assert stack.authorizer.identity_sources == ("route.request.querystring.token",)
    assert stack.authorizer.not_invocable is None
    declared_here = (f"{AUTHORIZER} ", f"{ROUTE} ")
    assert not [line for line in stack.not_honoured if line.startswith(declared_here)]


async def test_the_stack_serves_its_authorizer_as_declared(
    declared: Deployment, tmp_path: Path
) -> None:
    async with stack_emulator(describe(declared), tmp_path) as emu:
        async with (
            connect(f"{emu.url}?token=secret-a", open_timeout=60) as ann,
            connect(f"{emu.url}?token=secret-b", open_timeout=60) as bob,
        ):
            await ann.send(json.dumps({"action": "sendmessage", "text": "hello, Bob"}))
            assert await asyncio.wait_for(bob.recv(), 60) == "ann: hello, Bob"
        assert await status_of(f"{emu.url}?token=guess") == 403
        assert await status_of(emu.url) == 401
        assert emu.metrics.invocations.get("$connect authorizer") == 3  # not for the 401


async def test_an_authorizer_api_gateway_may_not_invoke_refuses_every_connection(
    declared: Deployment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def leave_out_its_permission(deployment: Deployment) -> None:
        deployment.resources.remove(deployment.one(PERMISSION, function="authorize-1a2b3c4"))

    stack = describe(mutated(declared, leave_out_its_permission))
    assert stack.authorizer is not None and stack.authorizer.not_invocable is not None
    caplog.set_level(logging.INFO, logger="emulator")
    async with stack_emulator(stack, tmp_path) as emu:
        assert await status_of(f"{emu.url}?token=secret-a") == 500
    assert "API Gateway may not invoke authorize-1a2b3c4" in caplog.text


def test_an_authorizer_on_a_route_other_than_connect_cannot_be_served(
    declared: Deployment,
) -> None:
    def authorize_messages(deployment: Deployment) -> None:
        route = deployment.one(ROUTE, routeKey="sendmessage")
        route.inputs["authorizationType"] = "CUSTOM"

    with pytest.raises(StackError, match=r"authorizes a WebSocket API on its \$connect route only"):
        describe(mutated(declared, authorize_messages))


def test_only_a_request_authorizer_can_be_served(declared: Deployment) -> None:
    def make_it_jwt(deployment: Deployment) -> None:
        deployment.one(AUTHORIZER, authorizerType="REQUEST").inputs["authorizerType"] = "JWT"

    with pytest.raises(StackError, match="a Lambda REQUEST authorizer, not 'JWT'"):
        describe(mutated(declared, make_it_jwt))


def test_iam_authorization_on_connect_is_listed_as_not_enforced(declared: Deployment) -> None:
    def use_iam(deployment: Deployment) -> None:
        route = deployment.one(ROUTE, routeKey="$connect")
        route.inputs["authorizationType"] = "AWS_IAM"
        del route.inputs["authorizerId"]

    stack = describe(mutated(declared, use_iam))
    assert stack.authorizer is None
    assert any("'AWS_IAM' is not enforced" in line for line in stack.not_honoured)
