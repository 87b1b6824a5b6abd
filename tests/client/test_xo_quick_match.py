"""`xo play` (quick match): an offer nobody takes lapses, and xo says so and stops; a player
paired before that plays on, however long the game takes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from client import app as app_module
from client import game_options
from client import runner as runner_module
from client.app import app
from client.moves import Moves
from client.runner import ExitCode, Runner
from client.session import Session
from client.view import View
from functions import match
from game.protocol import MATCH_OFFER_SECONDS
from game.rules import Mark
from tests.client.fake_server import BOT, FakeServer, ThreadedFakeServer
from tests.client.test_xo_runner import FAST, Lines
from tests.waiting import eventually

README = Path(__file__).parents[2] / "README.md"
OFFER_SECONDS = 1
"""The offer's lifetime on the test server (5 minutes on a real one)."""


@pytest.fixture
def short_offers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offers stand `OFFER_SECONDS` on the server, and xo expects as much (with no grace)."""
    monkeypatch.setattr(match, "WAIT_SECONDS", OFFER_SECONDS)
    monkeypatch.setattr(runner_module, "OFFER_GRACE_SECONDS", 0.0)


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    fake = FakeServer(bot_joins=False)  # the bot comes only when a test sends it
    await fake.start()
    yield fake
    await fake.stop()


def waiter(server: FakeServer, moves: list[str], offer_wait: float) -> tuple[Runner, Lines]:
    lines = Lines()
    forgotten: list[str] = []
    run = Runner(
        server.url,
        Session.match(),
        Moves(moves),
        View(tty=False, echo=lines),
        replace(FAST, offer_wait=offer_wait),
        forget=lambda session: forgotten.append(session.game_id or ""),
        play_command="xo play",
    )
    return run, lines


@pytest.mark.usefixtures("short_offers")
async def test_an_offer_nobody_takes_lapses_and_xo_play_stops_saying_so(
    server: FakeServer,
) -> None:
    """Nobody comes while the offer stands: one line that says so and what to do, exit 8."""
    run, lines = waiter(server, ["1,1"], OFFER_SECONDS)
    assert await asyncio.wait_for(run.run(), 30) is ExitCode.NOBODY_CAME
    assert lines.err[-1] == (
        "Nobody came to play within 1 second, so your offer lapsed: "
        "run `xo play` again to wait again."
    )
    assert [m["type"] for m in server.received] == ["match"]  # nothing sent after the offer


@pytest.mark.usefixtures("short_offers")
async def test_a_player_paired_before_the_offer_lapses_plays_on_past_it(
    server: FakeServer,
) -> None:
    """Once someone takes the offer, its lifetime no longer matters: the game goes on."""
    server.bot_takes_offers = True  # paired at once: the bot's `join` follows x's `init`
    server.bot_moves = ["1,0", "1,1"]
    hold = asyncio.Event()
    server.on_bot_turn = lambda game: hold.is_set()
    run, lines = waiter(server, ["0,0", "0,1", "0,2"], OFFER_SECONDS)
    task = asyncio.create_task(run.run())
    await eventually(
        lambda: any(g.game.moves == 1 for g in server.games.values()), what="x's first move"
    )
    await asyncio.sleep(OFFER_SECONDS + 1)  # well past the offer: x must not have stopped
    assert not task.done(), lines.text
    hold.set()
    game = next(g for g in server.games.values() if g.game.moves == 1)
    assert game.connection_of(Mark.O) == BOT  # x plays the bot that took its offer
    await server.bot_play(game)
    assert await asyncio.wait_for(task, 30) is ExitCode.WON
    assert "Your opponent joined: you are x, and you move first." in lines.out


@pytest.fixture
def threaded() -> Iterator[FakeServer]:
    fake = FakeServer(bot_joins=False)
    with ThreadedFakeServer(fake):
        yield fake


@pytest.mark.usefixtures("short_offers")
def test_xo_play_says_nobody_came_exits_8_and_keeps_no_save(
    threaded: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole command: the wait, then the lapse line, exit 8, no save left to resume."""
    state = tmp_path / "state"
    monkeypatch.setenv("XO_STATE_DIR", str(state))
    monkeypatch.delenv("WEBSOCKET_URL", raising=False)
    monkeypatch.setattr(app_module, "stdin_is_terminal", lambda: False)
    monkeypatch.setattr(app_module, "stdout_is_terminal", lambda: False)
    monkeypatch.setattr(game_options, "DEFAULTS", replace(game_options.DEFAULTS, offer_wait=1))
    result = CliRunner().invoke(app, ["play", "--url", threaded.url, "--moves", "1,1"])
    assert result.exit_code == ExitCode.NOBODY_CAME, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Nobody else is waiting: you wait in game ")
    assert lines[-1] == (
        "Nobody came to play within 1 second, so your offer lapsed: "
        "run `xo play` again to wait again."
    )
    assert list(state.glob("*.json")) == []


def test_a_real_offer_is_told_in_minutes_as_the_readme_says() -> None:
    """The server's 5-minute offer reads "within 5 minutes" in the lapse line."""
    assert runner_module._duration(MATCH_OFFER_SECONDS) == "5 minutes"
    assert "An offer to play stands 5 minutes" in README.read_text()
