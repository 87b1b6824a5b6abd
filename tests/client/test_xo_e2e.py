"""End to end: the `xo` command itself, against the real handlers in the local emulator,
playing a scripted game against a raw WebSocket client that speaks the tutorial's protocol."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from client.local import xo_emulator
from emulator import ThreadedEmulator
from emulator.sigv4 import sign

KEEPALIVE = os.environ.get("XO_TEST_KEEPALIVE", "0.3")
TUTORIAL_TYPES = {"init", "join", "play"}
"""All the tutorial's client ever expects to receive."""
GRACE: tuple[str, ...] = ()


def xo_command() -> list[str]:
    script = shutil.which("xo", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "from client.app import main; main()"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    threaded = xo_emulator().serve_in_thread()
    yield threaded
    threaded.stop()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "WEBSOCKET_URL"}
    environ["XO_STATE_DIR"] = str(tmp_path / "state")
    return environ


@dataclass
class Xo:
    """A running `xo` process; `lines` collects its merged stdout and stderr."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)

    async def line_matching(self, pattern: str, timeout: float = 10) -> re.Match[str]:
        async def scan() -> re.Match[str]:
            for line in self.lines:
                if match := re.search(pattern, line):
                    return match
            while True:
                raw = await self.process.stdout.readline()  # type: ignore[union-attr]
                if not raw:
                    raise AssertionError(f"xo ended without {pattern!r}:\n" + "\n".join(self.lines))
                line = raw.decode().rstrip("\n")
                self.lines.append(line)
                if match := re.search(pattern, line):
                    return match

        return await asyncio.wait_for(scan(), timeout)

    async def finish(self, timeout: float = 15) -> int:
        rest, _ = await asyncio.wait_for(self.process.communicate(), timeout)
        self.lines += rest.decode().splitlines()
        assert self.process.returncode is not None
        return self.process.returncode

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


async def start_xo(*args: str, env: dict[str, str]) -> Xo:
    process = await asyncio.create_subprocess_exec(
        *xo_command(),
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    return Xo(process)


@pytest.fixture
async def raw(emulator: ThreadedEmulator) -> AsyncIterator[ClientConnection]:
    async with connect(emulator.url, ping_interval=None) as ws:
        yield ws


async def receive(ws: ClientConnection, *types: str, timeout: float = 10) -> dict[str, Any]:
    """The next message, which must be of one of `types`."""
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert message.get("type") in types, message
    return message


async def test_xo_new_beats_a_raw_client(
    emulator: ThreadedEmulator, raw: ClientConnection, env: dict[str, str]
) -> None:
    """`xo new --moves` plays x; a tutorial-style client joins and receives only join and play. xo
    learns of its win from the server's answer to its move (it asks for `ack`), as the loser does."""
    xo = await start_xo("new", "--url", emulator.url, "--moves", "0,0 0,1 0,2", env=env)
    game_id = (await xo.line_matching(r"^Game id: (\S+)$"))[1]
    assert f"xo join {emulator.url}#{game_id}" in (await xo.line_matching(r"xo join")).string
    await raw.send(json.dumps({"type": "join", "id": game_id}))
    seen = [await receive(raw, "join")]
    for tile in ["1,0", "1,1"]:
        seen.append(await receive(raw, "play"))
        await raw.send(json.dumps({"type": "play", "id": game_id, "tile": tile}))
    final = await receive(raw, "play")
    won = time.monotonic()
    assert final["winner"] == "x" and final["tile"] == "0,2"
    assert await xo.finish() == 0, xo.text
    assert time.monotonic() - won < 4, "xo lingered after its answer"
    assert xo.lines[-1] == "You won."
    assert {m["type"] for m in [*seen, final]} <= TUTORIAL_TYPES
    assert not list((Path(env["XO_STATE_DIR"])).glob("*.json"))


async def test_xo_join_loses_to_a_raw_client(
    emulator: ThreadedEmulator, raw: ClientConnection, env: dict[str, str]
) -> None:
    """A raw client starts (x); `xo join --moves` plays o and loses; exit 0, "You lost: x won."."""
    await raw.send(json.dumps({"type": "start"}))
    game_id = (await receive(raw, "init"))["id"]
    xo = await start_xo(
        "join", "--url", emulator.url, "--id", game_id, "--moves", "1,0 1,1", env=env
    )
    await receive(raw, "join")
    for tile in ["0,0", "0,1"]:
        await raw.send(json.dumps({"type": "play", "id": game_id, "tile": tile}))
        await receive(raw, "play")
    await raw.send(json.dumps({"type": "play", "id": game_id, "tile": "0,2"}))
    assert await xo.finish() == 5, xo.text
    assert xo.lines[-1] == "You lost: x won."


async def test_xo_join_an_unknown_game(emulator: ThreadedEmulator, env: dict[str, str]) -> None:
    """The server's game_not_found: exit 1 and its sentence."""
    xo = await start_xo("join", "--url", emulator.url, "--id", "A" * 22, env=env)
    assert await xo.finish() == 1
    assert "No game has that id" in xo.text


async def test_xo_reconnects_after_its_connection_is_deleted(
    emulator: ThreadedEmulator, env: dict[str, str]
) -> None:
    """DELETE @connections on xo's connection mid-game: xo says it is reconnecting, resumes, and wins."""
    before = set(emulator.emulator.connection_ids)
    xo = await start_xo("new", "--url", emulator.url, "--moves", "0,0 0,1 0,2", *GRACE, env=env)
    game_id = (await xo.line_matching(r"^Game id: (\S+)$"))[1]
    (xo_connection,) = set(emulator.emulator.connection_ids) - before
    async with connect(emulator.url, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "join", "id": game_id}))
        await receive(ws, "join")
        await receive(ws, "play")  # x played 0,0
        url = f"{emulator.management_url}/@connections/{xo_connection}"
        signed = sign(
            "DELETE",
            url,
            emulator.credentials,
            region=emulator.emulator.region,
            service="execute-api",
        )
        request = urllib.request.Request(url, method="DELETE", headers=signed)
        await asyncio.to_thread(urllib.request.urlopen, request, timeout=5)
        await receive(ws, "opponent_left")
        await ws.send(json.dumps({"type": "play", "id": game_id, "tile": "1,0"}))  # while x is away
        await receive(ws, "opponent_back")
        await receive(ws, "play")  # x played 0,1
        await ws.send(json.dumps({"type": "play", "id": game_id, "tile": "1,1"}))
        assert (await receive(ws, "play"))["winner"] == "x"
    assert await xo.finish() == 0, xo.text
    assert re.search(
        r"^Connection lost \(.*\); reconnecting in .* s \(attempt 1 of 5\)\.\.\.$", xo.text, re.M
    ), xo.text
    assert "Reconnected: the game goes on." in xo.lines
    assert xo.lines[-1] == "You won."


async def test_xo_resume_after_the_process_was_killed(
    emulator: ThreadedEmulator, env: dict[str, str]
) -> None:
    """SIGKILL xo mid-game; `xo resume` finds the saved game, gets the board back and wins it."""
    xo = await start_xo("new", "--url", emulator.url, "--moves", "0,0", env=env)
    game_id = (await xo.line_matching(r"^Game id: (\S+)$"))[1]
    saved = Path(env["XO_STATE_DIR"]) / f"{game_id}.x.json"
    async with connect(emulator.url, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "join", "id": game_id}))
        await receive(ws, "join")
        await receive(ws, "play")  # x played 0,0
        xo.process.kill()
        await xo.process.wait()
        await receive(ws, "opponent_left")
        await ws.send(json.dumps({"type": "play", "id": game_id, "tile": "1,0"}))
        assert saved.exists()
        again = await start_xo("resume", "--moves", "0,1 0,2", *GRACE, env=env)
        await receive(ws, "opponent_back")
        await receive(ws, "play")  # x played 0,1
        await ws.send(json.dumps({"type": "play", "id": game_id, "tile": "1,1"}))
        assert (await receive(ws, "play"))["winner"] == "x"
    assert await again.finish() == 0, again.text
    assert f"Resumed game {game_id}: you are x." in again.lines
    assert again.lines[-1] == "You won."
    assert not saved.exists()


async def test_keepalive_beats_the_idle_timeout(
    emulator: ThreadedEmulator, env: dict[str, str]
) -> None:
    """With a 3 s idle timeout, xo's pings (every 0.3 s idle) keep its connection open while the
    opponent thinks for 4.5 s (a wide margin: the machine running the tests may be loaded)."""
    emulator.emulator.idle_timeout = 3.0  # read when each connection opens; AWS's is 600 s

    async def stay_alive(
        ws: ClientConnection,
    ) -> None:  # the raw side keeps itself open the same way
        while True:
            await ws.send(json.dumps({"type": "ping"}))
            await asyncio.sleep(0.25)

    async def receive_game(ws: ClientConnection, kind: str) -> dict[str, Any]:
        while (message := await receive(ws, kind, "pong"))["type"] == "pong":
            pass
        return message

    try:
        xo = await start_xo(
            "new",
            "--url",
            emulator.url,
            "--moves",
            "0,0 0,1 0,2",
            "--keepalive",
            KEEPALIVE,
            *GRACE,
            env=env,
        )
        game_id = (await xo.line_matching(r"^Game id: (\S+)$"))[1]
        async with connect(emulator.url, ping_interval=None) as ws:
            pinging = asyncio.create_task(stay_alive(ws))
            await ws.send(json.dumps({"type": "join", "id": game_id}))
            await receive_game(ws, "join")
            await receive_game(ws, "play")
            await asyncio.sleep(4.5)  # think
            for tile in ["1,0", "1,1"]:
                await ws.send(json.dumps({"type": "play", "id": game_id, "tile": tile}))
                await receive_game(ws, "play")
            pinging.cancel()
        assert await xo.finish() == 0, xo.text
        assert "reconnecting" not in xo.text, xo.text
        assert xo.lines[-1] == "You won."
    finally:
        emulator.emulator.idle_timeout = 600.0


async def test_xo_local_prints_its_url_first(env: dict[str, str]) -> None:
    """`xo local --port 0` prints its ws:// URL alone on the first line, at once; it serves; Ctrl-C stops it."""
    process = await asyncio.create_subprocess_exec(
        *xo_command(),
        "local",
        "--port",
        "0",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 15)).decode()  # type: ignore[union-attr]
        assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/local\n", first), first
        async with connect(first.strip(), ping_interval=None) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "pong"}
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 10)


async def start_piped(*args: str, env: dict[str, str]) -> Xo:
    """`xo` whose standard input stays open (a pipe nobody writes to yet): it waits for moves."""
    process = await asyncio.create_subprocess_exec(
        *xo_command(),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    return Xo(process)


async def test_two_players_on_one_machine_each_killed_and_resumed(
    emulator: ThreadedEmulator, env: dict[str, str]
) -> None:
    """Issue 11: both players share one state directory. Each is killed in turn; `xo resume`
    brings each back in its own seat (never the other's), and the game ends for both."""
    x = await start_piped("new", "--url", emulator.url, "--moves", "0,0", env=env)
    join_line = (await x.line_matching(r"xo join (\S+)"))[1]
    o = await start_piped("join", join_line, "--moves", "1,1", env=env)
    await x.line_matching(r"o's last move: 1,1\.")
    x.process.kill()
    await x.process.wait()
    x = await start_piped("resume", "--moves", "0,1", env=env)
    await x.line_matching(r"^Resumed game \S+: you are x\.$")
    await o.line_matching(r"x's last move: 0,1\.")
    o.process.kill()
    await o.process.wait()
    o = await start_piped("resume", "--moves", "2,2", env=env)
    await o.line_matching(r"^Resumed game \S+: you are o\.$")
    await x.line_matching(r"o's last move: 2,2\.")
    assert x.process.stdin is not None
    x.process.stdin.write(b"0,2\n")
    await x.process.stdin.drain()
    assert await x.finish() == 0, x.text
    assert await o.finish() == 5, o.text
    assert x.lines[-1] == "You won." and o.lines[-1] == "You lost: x won."
    assert not list(Path(env["XO_STATE_DIR"]).glob("*.json"))


async def test_a_seat_taken_from_another_machine_is_told_at_once(
    emulator: ThreadedEmulator, raw: ClientConnection, env: dict[str, str], tmp_path: Path
) -> None:
    """x's save copied to another machine and resumed there: the first terminal is told (exit
    7: at once on the server's `seat_taken`, else at its next move, refused as not_a_player)
    and keeps its save; the game goes on from the second."""
    x = await start_piped("new", "--url", emulator.url, "--moves", "0,0", env=env)
    game_id = (await x.line_matching(r"^Game id: (\S+)$"))[1]
    await raw.send(json.dumps({"type": "join", "id": game_id}))
    await receive(raw, "join")
    await receive(raw, "play")
    await raw.send(json.dumps({"type": "play", "id": game_id, "tile": "1,1"}))
    await x.line_matching(r"o's last move: 1,1\.")
    elsewhere = dict(env, XO_STATE_DIR=str(tmp_path / "other-machine"))
    Path(elsewhere["XO_STATE_DIR"]).mkdir()
    saved = Path(env["XO_STATE_DIR"]) / f"{game_id}.x.json"
    shutil.copy(saved, Path(elsewhere["XO_STATE_DIR"]) / saved.name)
    thief = await start_piped("resume", "--moves", "0,1", env=elsewhere)
    await thief.line_matching(r"^Resumed game \S+: you are x\.$")
    if x.process.returncode is None and x.process.stdin is not None:
        with contextlib.suppress(OSError):
            x.process.stdin.write(b"2,2\n")
            await x.process.stdin.drain()
    assert await x.finish() == 7, x.text
    assert "Your seat in this game was taken by another connection" in x.text
    assert saved.exists()
    assert (await receive(raw, "opponent_back", "play"))["type"] in ("opponent_back", "play")
    thief.process.kill()
    await thief.process.wait()
