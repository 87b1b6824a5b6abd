"""`xo check`: scripted games against a server, one line per step, non-zero on any failure."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner
from websockets.sync.server import ServerConnection, serve

from client import urls
from client.app import app
from client.check import MIN_MOVES
from client.local import stack_emulator, start_in_background

STEP = re.compile(r"(PASS|FAIL)  (.+)")


def run_check(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["check", *args])
    return result.exit_code, result.output.splitlines()


def assert_every_step_passed(lines: list[str], url: str) -> None:
    assert lines[0] == f"xo check against {url}"
    steps = [STEP.fullmatch(line) for line in lines[1:-1]]
    assert all(step and step.group(1) == "PASS" for step in steps), "\n".join(lines)
    names = [step.group(2) for step in steps if step]
    assert names[0].startswith("game 1: x wins in 5 moves")
    assert names[1].startswith("game 2: a draw in 9 moves")
    assert names[2].startswith(
        "drop and resume: x cut off after 1 move, o heard opponent_left, x resumed the board, "
        "o heard opponent_back, x wins in 5 moves"
    )
    latency = re.fullmatch(
        r"move latency over (\d+) moves: median [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms",
        names[-1],
    )
    assert latency and int(latency.group(1)) >= MIN_MOVES, names[-1]
    assert lines[-1] == f"xo check passed: {len(steps)} steps."


@pytest.fixture(scope="module")
def local_url() -> Iterator[str]:
    url, stop = start_in_background(provisioned_concurrency=1)
    try:
        yield url
    finally:
        stop()


def test_check_passes_against_xo_local(local_url: str) -> None:
    code, lines = run_check("--url", local_url, "--timeout", "30")
    assert code == 0, "\n".join(lines)
    assert_every_step_passed(lines, local_url)


def test_check_passes_against_xo_local_stack() -> None:
    """The stack the Pulumi program declares, throttles and roles included."""
    with stack_emulator(provisioned_concurrency=1, close_timeout=1, report=lambda _: None) as emu:
        server = emu.serve_in_thread()
        try:
            code, lines = run_check("--url", server.url, "--timeout", "30")
        finally:
            server.stop()
    assert code == 0, "\n".join(lines)
    assert_every_step_passed(lines, server.url)


@pytest.fixture
def failing_server() -> Iterator[str]:
    """A WebSocket server that answers every message as API Gateway does when a handler fails."""

    def handler(connection: ServerConnection) -> None:
        for _ in connection:
            connection.send(
                '{"message": "Internal server error", "connectionId": "c", "requestId": "r"}'
            )

    with serve(handler, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/dev"
        finally:
            server.shutdown()
            thread.join(10)


def test_a_failing_server_fails_every_step_and_exits_1(failing_server: str) -> None:
    code, lines = run_check("--url", failing_server, "--timeout", "5")
    assert code == 1
    assert lines[1] == (
        "FAIL  game 1: x was refused: internal: The server failed: Internal server error."
    )
    assert lines[-2] == f"FAIL  move latency: 0 moves timed, fewer than {MIN_MOVES}"
    assert lines[-1] == "xo check failed: 4 of 4 steps failed."


def test_an_unreachable_server_fails_with_exit_1() -> None:
    code, lines = run_check("--url", "ws://127.0.0.1:9/dev", "--timeout", "5")
    assert code == 1
    assert lines[1].startswith("FAIL  game 1: x could not connect")


def test_no_server_to_check_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(urls.ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi CLI
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 2
    assert "No server to check: pass --url" in result.stderr
