"""The asyncio layer (`emulator.transport`) and the emulator's stop: a failing handler call
never stalls a connection, nothing starts once stopping has given up waiting, and a
failed clean-up step still leaves the emulator stopped."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import connect

from emulator import Emulator
from emulator.gateway import Gateway, Settings
from emulator.iam import Authority
from emulator.lambdas import Lambdas
from emulator.metering import Meter
from emulator.routing import SelectionExpression
from emulator.runtime import Invocation
from emulator.transport import Transport


class Handlers:
    """Records each call; raises (as a runner that failed would) on the calls asked to."""

    def __init__(self, raise_on: set[int] | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.raise_on = raise_on or set()

    async def __call__(self, route: str, connection_id: str, event: dict[str, Any]) -> Invocation:
        self.calls.append((route, event.get("body")))
        if len(self.calls) in self.raise_on:
            raise RuntimeError("the runner failed")
        return Invocation(result={"statusCode": 200, "body": event.get("body")})


@asynccontextmanager
async def serve(handlers: Handlers, **settings: Any) -> AsyncIterator[tuple[Transport, str]]:
    transport = Transport(invoke=handlers, request_timeout=5, max_connections=10)
    server = await asyncio.start_server(transport.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    values: dict[str, Any] = {
        "stage": "local",
        "expression": SelectionExpression.parse("$request.body.action"),
        "route_keys": frozenset({"$default", "$disconnect"}),
        "two_way": frozenset({"$default"}),
        "region": "us-east-1",
        "account_id": "123456789012",
        "api_id": "abcdef1234",
        "authority": f"127.0.0.1:{port}",
        "port": port,
        "idle_timeout": 600.0,
        "max_connection_duration": 7200.0,
        "max_frame_size": 32 * 1024,
        "max_message_size": 128 * 1024,
        "client_buffer_limit": 1 << 22,
        "close_timeout": 10.0,
        **settings,
    }
    transport.gateway = Gateway(
        Settings(**values),
        meter=Meter(),
        iam=Authority("123456789012"),
        buffered=transport.buffered,
    )
    try:
        yield transport, f"ws://127.0.0.1:{port}/local"
    finally:
        server.close()


async def test_a_handler_call_that_fails_is_an_internal_server_error_and_the_connection_goes_on() -> (
    None
):
    handlers = Handlers(raise_on={1})
    async with serve(handlers) as (_, url):
        async with connect(url) as ws:
            await ws.send("one")
            assert "Internal server error" in str(await asyncio.wait_for(ws.recv(), 30))
            await ws.send("two")
            assert await asyncio.wait_for(ws.recv(), 30) == "two"


async def test_no_handler_starts_once_stopping_has_given_up_waiting() -> None:
    handlers = Handlers()
    async with serve(handlers, close_timeout=300.0) as (transport, url):
        port = int(url.split(":")[2].split("/")[0])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            "GET /local HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await reader.readuntil(b"\r\n\r\n")  # open; this client will never answer our close
        await transport.close_websockets(limit=0.5)
        called = list(handlers.calls)
        for _ in range(20):
            await asyncio.sleep(0)
        assert handlers.calls == called == []
        writer.close()


async def test_a_clean_up_step_that_fails_still_leaves_the_emulator_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu = Emulator({"$default": lambda event, context: {"statusCode": 200}})
    await emu.start()
    assert emu.ca_bundle is not None and emu.ca_bundle.exists()
    bundle = emu.ca_bundle

    async def fails(self: Lambdas) -> None:
        raise RuntimeError("a runner did not close")

    with monkeypatch.context() as patch:
        patch.setattr(Lambdas, "close", fails)
        with pytest.raises(RuntimeError, match="a runner did not close"):
            await emu.stop()
    assert emu.ca_bundle is None and not bundle.exists()
    await emu.start()  # not "already started"
    await emu.stop()
