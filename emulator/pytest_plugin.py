"""pytest fixtures for testing your own WebSocket API against the emulator.

Installed as a pytest plugin (entry point ``apigw_emulator``), so any test can ask for:

- ``apigw_emulator``: an async factory. ``emu = await apigw_emulator(routes, **options)``
  starts an `emulator.Emulator` (same arguments) and the fixture stops it after the
  test, running every pending `$disconnect`. Needs pytest-asyncio::

      async def test_echo(apigw_emulator):
          emu = await apigw_emulator({"$default": "app.handlers.echo"}, two_way_routes=["$default"])
          async with websockets.connect(emu.url) as ws:
              await ws.send("hi")
              assert await ws.recv() == "hi"

- ``apigw_emulator_thread``: the same for synchronous tests; the factory returns an
  `emulator.ThreadedEmulator` (``url``, ``management_url``, ``metrics``)
  serving from a background thread.

A test calling ``@connections`` or the embedded DynamoDB itself signs with the
credentials the emulator issued: ``boto3.client(..., **emu.credentials.client_kwargs())``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest

from .runtime import RouteTarget
from .server import Emulator
from .threaded import ThreadedEmulator

EmulatorFactory = Callable[..., Awaitable[Emulator]]
ThreadedEmulatorFactory = Callable[..., ThreadedEmulator]


async def _started_emulators() -> AsyncIterator[EmulatorFactory]:
    """Factory: ``await apigw_emulator(routes, **options)`` -> a started `Emulator`, stopped after the test."""
    started: list[Emulator] = []

    async def factory(routes: Mapping[str, RouteTarget], **options: Any) -> Emulator:
        emulator = Emulator(routes, **options)
        await emulator.start()
        started.append(emulator)
        return emulator

    try:
        yield factory
    finally:
        for emulator in reversed(started):
            await emulator.stop()


def _needs_pytest_asyncio() -> EmulatorFactory:
    pytest.skip("the apigw_emulator fixture needs pytest-asyncio")


apigw_emulator: Any
try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - depends on the environment
    apigw_emulator = pytest.fixture(_needs_pytest_asyncio, name="apigw_emulator")
else:
    apigw_emulator = pytest_asyncio.fixture(_started_emulators, name="apigw_emulator")


@pytest.fixture
def apigw_emulator_thread() -> Iterator[ThreadedEmulatorFactory]:
    """Factory: ``apigw_emulator_thread(routes, **options)`` -> a `ThreadedEmulator`, stopped after the test."""
    started: list[ThreadedEmulator] = []

    def factory(routes: Mapping[str, RouteTarget], **options: Any) -> ThreadedEmulator:
        threaded = Emulator(routes, **options).serve_in_thread()
        started.append(threaded)
        return threaded

    try:
        yield factory
    finally:
        for threaded in reversed(started):
            threaded.stop()
