"""Lambda REQUEST authorizers on `$connect`, against API Gateway's documentation.

Pages (AWS, docs.aws.amazon.com/apigateway/latest/...):
- WS-AUTH: developer guide, "Control access to WebSocket APIs with AWS Lambda REQUEST
  authorizers" (developerguide/apigateway-websocket-api-lambda-auth.html);
- OUTPUT: developer guide, "Output from an API Gateway Lambda authorizer"
  (developerguide/api-gateway-lambda-authorizer-output.html);
- CREATE: apigatewayv2 API reference, Authorizers, CreateAuthorizer: ``IdentitySource``
  and ``AuthorizerResultTtlInSeconds`` (api-reference/apis-apiid-authorizers.html).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from emulator import Authorizer, Emulator
from tests.emulator.processes import emulator_process
from tests.emulator.test_emulator_parity import Recorder, handler
from tests.waiting import eventually

EmulatorFactory = Callable[..., Awaitable[Emulator]]
ROOT = Path(__file__).resolve().parents[2]


def policy(effect: str, resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {
        "principalId": "user-7",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        **extra,
    }


class Authorize:
    """An in-process authorizer recording its events and answering with `answer(event)`."""

    def __init__(self, answer: Callable[[dict[str, Any]], Any]) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self._lock:
            self.events.append(event)
        return self.answer(event)


def allow_all(**extra: Any) -> Authorize:
    return Authorize(lambda event: policy("Allow", event["methodArn"], **extra))


async def refused_with(url: str, **options: Any) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, open_timeout=30, **options):
            pass
    return refused.value.response.status_code, refused.value.response.body


async def test_a_missing_identity_source_is_401_without_calling_the_authorizer(
    apigw_emulator: EmulatorFactory,
) -> None:
    """Every identity source must be present and non-empty, else 401 and the function is not
    called. AWS: CREATE (IdentitySource)."""
    authorize, connects = allow_all(), Recorder()
    emu = await apigw_emulator(
        {"$connect": connects, "$default": Recorder()},
        authorizer=Authorizer(
            authorize,
            identity_sources=["route.request.header.Auth", "route.request.querystring.token"],
        ),
    )
    assert await refused_with(emu.url + "?token=t") == (401, b'{"message": "Unauthorized"}')
    assert (await refused_with(emu.url, additional_headers={"Auth": "a"}))[0] == 401
    assert (await refused_with(emu.url + "?token=", additional_headers={"Auth": "a"}))[0] == 401
    assert authorize.events == [] and connects.events == []
    async with connect(emu.url + "?token=t", additional_headers={"auth": "a"}):
        pass
    assert len(authorize.events) == 1


async def test_the_authorizer_event_has_the_documented_shape(
    apigw_emulator: EmulatorFactory,
) -> None:
    """type REQUEST, methodArn ending in /$connect, headers (the handshake's, Upgrade included),
    query parameters, stageVariables and the requestContext. AWS: WS-AUTH (its example input)."""
    authorize, connects = allow_all(), Recorder()
    emu = await apigw_emulator(
        {"$connect": connects, "$default": Recorder()},
        stage="dev",
        region="eu-west-1",
        account_id="111122223333",
        authorizer=Authorizer(authorize, identity_sources=["route.request.header.HeaderAuth1"]),
    )
    async with connect(
        emu.url + "?QueryString1=queryValue1", additional_headers={"HeaderAuth1": "headerValue1"}
    ):
        pass
    event = authorize.events[0]
    assert event["type"] == "REQUEST"
    assert (
        event["methodArn"]
        == f"arn:aws:execute-api:eu-west-1:111122223333:{emu.api_id}/dev/$connect"
    )
    assert event["headers"]["HeaderAuth1"] == "headerValue1"
    assert event["headers"]["Upgrade"] == "websocket"
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["multiValueHeaders"]["HeaderAuth1"] == ["headerValue1"]
    assert event["queryStringParameters"] == {"QueryString1": "queryValue1"}
    assert event["multiValueQueryStringParameters"] == {"QueryString1": ["queryValue1"]}
    assert event["stageVariables"] == {}
    context = event["requestContext"]
    assert context["routeKey"] == "$connect" and context["eventType"] == "CONNECT"
    assert context["stage"] == "dev" and context["apiId"] == emu.api_id
    assert context["messageDirection"] == "IN"
    assert context["identity"] == {"sourceIp": "127.0.0.1"}
    assert context["connectionId"] == connects.events[0]["requestContext"]["connectionId"]
    assert "authorizer" not in context


async def test_allow_connects_and_every_later_event_carries_principal_and_context(
    apigw_emulator: EmulatorFactory,
) -> None:
    """principalId and the context map (string, number, boolean values) appear in
    requestContext.authorizer of $connect, each message and $disconnect. AWS: OUTPUT; WS-AUTH."""
    seen = Recorder()
    emu = await apigw_emulator(
        {"$connect": seen, "$default": seen, "$disconnect": seen},
        authorizer=Authorizer(allow_all(context={"team": "blue", "level": 3, "admin": True})),
    )
    async with connect(emu.url) as ws:
        await ws.send("hello")
        await eventually(lambda: len(seen.events) == 2)
    await eventually(lambda: len(seen.events) == 3)
    assert seen.routes() == ["$connect", "$default", "$disconnect"]
    for event in seen.events:
        assert event["requestContext"]["authorizer"] == {
            "principalId": "user-7",
            "team": "blue",
            "level": 3,
            "admin": True,
        }


@pytest.mark.parametrize(
    "answer",
    [
        lambda e: policy("Deny", e["methodArn"]),
        lambda e: policy("Allow", e["methodArn"].replace("$connect", "$default")),
        lambda e: {
            **policy("Allow", "*"),
            "policyDocument": {
                "Statement": [
                    {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"},
                    {"Action": "execute-api:*", "Effect": "Deny", "Resource": e["methodArn"]},
                ]
            },
        },
    ],
    ids=["deny", "allow-elsewhere", "deny-wins"],
)
async def test_a_policy_that_does_not_allow_connect_is_403(
    apigw_emulator: EmulatorFactory, answer: Callable[[dict[str, Any]], Any]
) -> None:
    """Deny (or no Allow for the $connect ARN) refuses the handshake with 403; $connect is not
    invoked. AWS: WS-AUTH; OUTPUT (policy statements, wildcards)."""
    connects = Recorder()
    emu = await apigw_emulator(
        {"$connect": connects, "$default": Recorder()}, authorizer=Authorizer(Authorize(answer))
    )
    assert await refused_with(emu.url) == (403, b'{"message": "Forbidden"}')
    assert connects.events == []


async def test_a_wildcard_resource_allows(apigw_emulator: EmulatorFactory) -> None:
    """``*`` and ``?`` in Resource match as in IAM. AWS: OUTPUT."""
    authorize = Authorize(lambda e: policy("Allow", "arn:aws:execute-api:*:*:*/loca?/*"))
    emu = await apigw_emulator({"$default": Recorder()}, authorizer=Authorizer(authorize))
    async with connect(emu.url):
        pass


def _raise(message: str) -> Any:
    raise RuntimeError(message)


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (lambda e: _raise("Unauthorized"), 401),
        (lambda e: _raise("database down"), 500),
        (lambda e: None, 500),
        (lambda e: {"policyDocument": policy("Allow", "*")["policyDocument"]}, 500),
        (lambda e: policy("Allow", e["methodArn"], context={"nested": {"a": 1}}), 500),
        (lambda e: {"principalId": "u", "policyDocument": {"Statement": []}}, 500),
        (
            lambda e: {
                **policy("Allow", "*"),
                "policyDocument": {"Statement": [{"Effect": "Allow"}]},
            },
            500,
        ),
    ],
    ids=[
        "raises-Unauthorized",
        "raises",
        "returns-nothing",
        "no-principal",
        "nested-context",
        "no-statements",
        "statement-without-resource",
    ],
)
async def test_an_authorizer_error_or_malformed_answer_refuses(
    apigw_emulator: EmulatorFactory, answer: Callable[[dict[str, Any]], Any], status: int
) -> None:
    """The error "Unauthorized" is 401 (as in AWS's example authorizer); any other error or a
    malformed answer is 500. AWS: WS-AUTH (example function); OUTPUT."""
    connects = Recorder()
    emu = await apigw_emulator(
        {"$connect": connects, "$default": Recorder()}, authorizer=Authorizer(Authorize(answer))
    )
    assert (await refused_with(emu.url))[0] == status
    assert connects.events == []


async def test_results_are_not_cached(apigw_emulator: EmulatorFactory) -> None:
    """Every connection calls the authorizer, even with the same identity. AWS: CREATE
    (AuthorizerResultTtlInSeconds: HTTP APIs only)."""
    answers = iter(["Allow", "Deny"])
    authorize = Authorize(lambda e: policy(next(answers), e["methodArn"]))
    emu = await apigw_emulator(
        {"$default": Recorder()},
        authorizer=Authorizer(authorize, identity_sources=["route.request.header.Auth"]),
    )
    async with connect(emu.url, additional_headers={"Auth": "same"}):
        pass
    assert (await refused_with(emu.url, additional_headers={"Auth": "same"}))[0] == 403
    assert len(authorize.events) == 2


async def test_an_authorizer_in_a_worker_process(apigw_emulator: EmulatorFactory) -> None:
    """An authorizer named ``module.function`` runs in a worker like any function. AWS: WS-AUTH."""
    seen = Recorder()
    emu = await apigw_emulator(
        {"$default": seen},
        authorizer=Authorizer(handler("authorize"), identity_sources=["route.request.header.Auth"]),
    )
    assert (await refused_with(emu.url, additional_headers={"Auth": "wrong"}))[0] == 403
    async with connect(emu.url, additional_headers={"Auth": "letmein"}) as ws:
        await ws.send("hi")
        await eventually(lambda: len(seen.events) == 1)
    assert seen.events[0]["requestContext"]["authorizer"] == {
        "principalId": "user-1",
        "team": "blue",
        "level": 3,
        "admin": False,
    }
    assert emu.metrics.invocations["$connect authorizer"] == 2


def test_identity_sources_are_checked() -> None:
    with pytest.raises(ValueError, match=re.escape("route.request.header.NAME")):
        Authorizer(lambda e, c: None, identity_sources=["method.request.header.Auth"])


def test_the_command_line_serves_an_authorizer() -> None:
    with emulator_process(
        "--authorizer",
        "tests.emulator.parity_handlers.authorize",
        "--identity-source",
        "route.request.header.Auth",
        handler="tests.emulator.parity_handlers.echo",
    ) as (_, url):
        assert re.match(r"ws://127\.0\.0\.1:\d+/local$", url)

        async def attempts() -> tuple[int, str]:
            status = (await refused_with(url))[0]
            async with connect(url, additional_headers={"Auth": "letmein"}) as ws:
                await ws.send("in")
                return status, str(await asyncio.wait_for(ws.recv(), 30))

        assert asyncio.run(attempts()) == (401, "in")
