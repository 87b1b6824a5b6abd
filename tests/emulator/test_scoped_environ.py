"""emulator.scoped_environ: callables' variables live in their own context, not in the
process's environment; the patch applies to this Python and can be turned off."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect

from emulator import Emulator, Function, scoped_environ

EmulatorFactory = Callable[..., Awaitable[Emulator]]


def test_the_patch_applies_to_this_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(scoped_environ.SHARED_ENVIRON, raising=False)
    assert scoped_environ.install()
    assert scoped_environ.installed()


def test_variables_show_only_in_their_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(scoped_environ.SHARED_ENVIRON, raising=False)
    monkeypatch.setenv("EMULATOR_TEST_KEPT", "process")
    assert scoped_environ.install()
    seen_elsewhere: list[object] = []
    with scoped_environ.variables({"EMULATOR_TEST_VAR": "mine", "EMULATOR_TEST_KEPT": "over"}):
        assert os.environ["EMULATOR_TEST_VAR"] == "mine"
        assert os.getenv("EMULATOR_TEST_VAR") == "mine" and "EMULATOR_TEST_VAR" in os.environ
        assert dict(os.environ)["EMULATOR_TEST_KEPT"] == "over"
        assert os.environ.copy()["EMULATOR_TEST_VAR"] == "mine"
        other = threading.Thread(
            target=lambda: seen_elsewhere.append(os.getenv("EMULATOR_TEST_VAR"))
        )
        other.start()
        other.join()
    assert seen_elsewhere == [None]
    assert "EMULATOR_TEST_VAR" not in os.environ
    assert os.environ["EMULATOR_TEST_KEPT"] == "process"


async def test_shared_environ_gives_callables_the_process_environment(
    apigw_emulator: EmulatorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EMULATOR_SHARED_ENVIRON=1: the old behaviour, variables in os.environ while it runs."""
    monkeypatch.setenv(scoped_environ.SHARED_ENVIRON, "1")

    def reader(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": json.dumps(os.environ.get("WHO"))}

    emu = await apigw_emulator(
        {"$default": Function(reader, environment={"WHO": "everyone"})},
        two_way_routes=["$default"],
    )
    assert os.environ.get("WHO") == "everyone"
    async with connect(emu.url) as ws:
        await ws.send("hi")
        assert json.loads(await ws.recv()) == "everyone"
    await emu.stop()
    assert "WHO" not in os.environ
