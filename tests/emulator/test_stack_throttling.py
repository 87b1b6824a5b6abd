"""Stage throttling as API Gateway applies it (`emulator.throttling`): a token bucket per route
(its route settings, else the stage's default) and the account's; a throttled message gets
`Too Many Requests` and invokes nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from client.local import STACK_NAME, stack_emulator
from emulator import Emulator
from emulator.pulumi_program import STAGE, load_program
from emulator.stack import describe, stack_config
from emulator.throttling import StageThrottle, Throttle, TokenBucket
from tests.e2e.players import Player

REPO_ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(Throttle(rate=2.0, burst=3), clock)
    taken = 0
    while bucket.has_token():
        bucket.take()
        taken += 1
    assert taken == 3
    clock.now = 0.5  # one token back at 2 per second
    assert bucket.has_token()
    bucket.take()
    assert not bucket.has_token()
    clock.now = 100.0  # never more than the burst
    assert [bucket.has_token() and (bucket.take() or True) for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]


def test_routes_have_their_own_buckets_and_route_settings_win() -> None:
    clock = Clock()
    throttle = StageThrottle(Throttle(1.0, 2), {"start": Throttle(1.0, 1)}, clock=clock)
    assert [throttle.allow("start") for _ in range(2)] == [True, False]
    assert [throttle.allow("play") for _ in range(3)] == [True, True, False]
    assert throttle.allow("join")  # a route of its own, untouched by play's requests


def test_the_account_limit_applies_across_routes() -> None:
    throttle = StageThrottle(None, account=Throttle(1.0, 2), clock=Clock())
    assert [throttle.allow(route) for route in ("start", "play", "join")] == [True, True, False]


async def test_a_throttled_message_is_answered_and_its_route_not_invoked() -> None:
    deployment = load_program(REPO_ROOT, stack_config(REPO_ROOT / f"Pulumi.{STACK_NAME}.yaml"))
    deployment = copy.deepcopy(deployment)
    (stage,) = deployment.of_type(STAGE)
    stage.inputs["routeSettings"] = [
        {"routeKey": "start", "throttlingRateLimit": 0.001, "throttlingBurstLimit": 2}
    ]
    with stack_emulator(stack=describe(deployment), report=lambda _: None) as emu:
        async with emu:
            player = await Player.connect(emu.url)
            answers = []
            for _ in range(3):
                await player.send(type="start")
                answers.append(await player.recv())
            await player.send(type="ping")  # $default keeps the stage's default limit
            pong = await player.recv()
            await player.close()
            invocations = emu.metrics.invocations["start"]
    assert [answer.get("type") for answer in answers[:2]] == ["init", "init"]
    assert answers[2]["message"] == "Too Many Requests"
    assert set(answers[2]) == {"message", "connectionId", "requestId"}
    assert pong == {"type": "pong"}
    assert invocations == 2


async def test_a_throttled_connect_is_refused_with_429(
    apigw_emulator: Callable[..., Awaitable[Emulator]],
) -> None:
    connects: list[str] = []

    def on_connect(event: dict[str, Any], context: Any) -> dict[str, Any]:
        connects.append(event["requestContext"]["connectionId"])
        return {"statusCode": 200}

    emu = await apigw_emulator(
        {"$connect": on_connect, "$default": on_connect},
        throttling=StageThrottle(None, {"$connect": Throttle(rate=0.001, burst=1)}),
    )
    async with connect(emu.url):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(emu.url):
                pass
    assert refused.value.response.status_code == 429
    assert json.loads(refused.value.response.body) == {"message": "Too Many Requests"}
    assert len(connects) == 1
