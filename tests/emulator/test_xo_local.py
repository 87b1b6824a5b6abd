"""xo's wiring of the emulator (client/local.py): our route table, table and settings on the emulator."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import boto3
import pytest
from websockets.asyncio.client import connect
from websockets.sync.client import connect as connect_sync

from client.local import LAMBDA_MEMORY_MB, STAGE, TABLE_NAME, start_in_background, xo_emulator
from functions import default
from functions.routes import ROUTE_SELECTION_EXPRESSION, ROUTES
from tests.waiting import eventually


def test_xo_emulator_serves_the_route_table() -> None:
    """Every route of functions.routes.ROUTES, its two-way routes and its selection expression."""
    emu = xo_emulator()
    assert {key: f.handler for key, f in emu.functions.items()} == {
        route.key: route.handler for route in ROUTES
    }
    assert emu.two_way_routes == {route.key for route in ROUTES if route.two_way}
    assert emu.route_selection_expression == ROUTE_SELECTION_EXPRESSION
    assert emu.stage == STAGE


async def test_xo_emulator_creates_the_table_and_configures_the_handlers() -> None:
    """The game table exists in the embedded DynamoDB with TTL on; handlers get TABLE_NAME and CONNECTIONS_URL;
    a `start` message is answered by functions.start."""
    async with xo_emulator(game_ttl_seconds=60) as emu:
        for route in ROUTES:
            env = emu.handler_environment(route.key)
            assert env["TABLE_NAME"] == TABLE_NAME
            assert env["CONNECTIONS_URL"] == emu.management_url
            assert env["GAME_TTL_SECONDS"] == "60"
            assert env["AWS_ENDPOINT_URL_DYNAMODB"] == emu.dynamodb_endpoint_url
        dynamodb: Any = boto3.client(
            "dynamodb",
            endpoint_url=emu.dynamodb_endpoint_url,
            region_name=emu.region,
            **emu.credentials.client_kwargs(),
        )
        ttl = await asyncio.to_thread(dynamodb.describe_time_to_live, TableName=TABLE_NAME)
        assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
        async with connect(emu.url) as ws:
            await ws.send(json.dumps({"type": "start"}))
            answer = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert answer["type"] == "init"
        # the handler posts `init`, then returns: its counts come a moment later
        await eventually(lambda: emu.metrics.invocations["start"], what="start's invocation")
        assert emu.metrics.dynamodb_writes >= 1


def test_start_in_background_returns_the_url_and_a_stop_function() -> None:
    """`xo new` with nothing configured: a ws:// URL served from a thread of this process, until
    stop(). `$default` is two-way: what is not JSON gets functions.default's error back."""
    url, stop = start_in_background()
    try:
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/local")
        with connect_sync(url) as ws:
            ws.send("not json")
            reply = json.loads(ws.recv(timeout=30))
    finally:
        stop()
    assert reply["type"] == "error" and reply["code"] == "bad_request"
    assert reply == json.loads(default.handler({"body": "not json"})["body"])


def test_xo_functions_have_the_deployed_memory() -> None:
    """Each function reports (and is billed for) the memory infra deploys it with."""
    emu = xo_emulator()
    assert {f.memory_mb for f in emu.functions.values()} == {LAMBDA_MEMORY_MB}


def test_the_deployed_memory_is_infras_default() -> None:
    """client.local's memory is the one infra deploys by default (needs pulumi, a test extra)."""
    pytest.importorskip("pulumi")
    from infra.websocket_game import XoStackArgs

    fields = {f.name: f.default for f in dataclasses.fields(XoStackArgs)}
    assert fields["lambda_memory_mb"] == LAMBDA_MEMORY_MB
