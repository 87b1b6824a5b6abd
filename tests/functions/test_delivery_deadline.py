"""A request whose write stood ends before its Lambda function times out, however slow
`@connections` is: the posts that matter most go first, and a post (or a best-effort write)
that could not end before the timeout is skipped, one log line each, instead of outliving
the function (API Gateway would then tell the sender `Internal server error` for a change
that was stored, and nobody after the cut would hear of it).

Time here is a fake clock: the Lambda context's remaining time follows it, and a post that
hangs moves it on by the longest a hanging post takes (connect and read timeouts), so
nothing sleeps. The function's timeout is the one the stack deploys.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest

from functions import aws, budget
from functions.watch import MAX_WATCHERS
from game.rules import Game, Mark
from infra.websocket_game import XoStackArgs
from tests.functions.conftest import TIMEOUT, Players, game_item

LAMBDA_TIMEOUT_SECONDS = {f.name: f.default for f in dataclasses.fields(XoStackArgs)}[
    "lambda_timeout_seconds"
]
CONNECT, READ, _ = aws.CLIENT_LIMITS["apigatewaymanagementapi"]
HANG_SECONDS = CONNECT + READ
"""The longest one post takes when `@connections` accepts the connection and never answers."""
SPECTATORS = [f"W{n}" for n in range(MAX_WATCHERS)]
CLOCK_SECONDS = 30


class LambdaKilled(BaseException):
    """The function outlived its timeout: Lambda stops it mid-request, and API Gateway
    answers the sender `Internal server error`."""


class FakeLambda:
    """A Lambda context whose time is a fake clock, started at the invocation."""

    def __init__(self, timeout: float = LAMBDA_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self.elapsed = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout - self.elapsed) * 1000))

    def spend(self, seconds: float) -> None:
        self.elapsed += seconds
        if self.elapsed > self.timeout:
            raise LambdaKilled(f"{self.elapsed:g} s > the {self.timeout:g} s timeout")


def play(game_id: str, tile: str) -> dict[str, Any]:
    return {"type": "play", "id": game_id, "tile": tile}


def watched_game(players: Players, **start: Any) -> str:
    """X1 (asking for its own moves back) against O1, watched by as many as a game can have."""
    players.send("X1", {"type": "start", "ack": True, **start})
    game_id = str(players.last("X1")["id"])
    players.send("O1", {"type": "join", "id": game_id})
    for spectator in SPECTATORS:
        players.send(spectator, {"type": "watch", "id": game_id})
    for connection in ["X1", "O1", *SPECTATORS]:
        players.received(connection)
    return game_id


def invoke(players: Players, hanging: list[str]) -> FakeLambda:
    """From now on each request runs in a fresh invocation, and posts to `hanging` hang."""
    lam = FakeLambda()
    players.context = lam
    players.connections.faults.update(dict.fromkeys(hanging, TIMEOUT))
    players.connections.hang = lambda: lam.spend(HANG_SECONDS)
    players.connections.attempts.clear()
    return lam


def skipped_posts(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("not posting")]


def test_a_move_whose_spectators_hang_still_reaches_both_players_in_time(
    players: Players, table: Any, caplog: pytest.LogCaptureFixture
) -> None:
    game_id = watched_game(players)
    lam = invoke(players, hanging=SPECTATORS)
    with caplog.at_level(logging.INFO, logger="xo"):
        players.send("X1", play(game_id, "1,1"))
    assert lam.elapsed < lam.timeout
    assert game_item(table, game_id).game == Game.from_moves(["1,1"])
    assert players.last("X1")["type"] == "state"  # its own move, stored
    assert players.last("O1")["board"] == Game.from_moves(["1,1"]).rows()
    told = players.connections.attempts
    assert told[:2] == ["X1", "O1"]
    assert len(told) - 2 + len(skipped_posts(caplog)) == len(SPECTATORS)


def finished(players: Players, game_id: str) -> None:
    for player, tile in [("X1", "0,0"), ("O1", "1,0"), ("X1", "0,1"), ("O1", "1,1")]:
        players.send(player, play(game_id, tile))
    players.send("X1", play(game_id, "0,2"))  # x wins the top row
    players.send("X1", {"type": "rematch", "id": game_id})  # x asks for another


def stored(table: Any, route: str, game_id: str) -> bool:
    """Whether the change the request of `route` asked for is in the table."""
    record = game_item(table, game_id)
    if route == "play":
        return record.game == Game.from_moves(["1,1"])
    if route == "rematch":
        return len(record.again) == 2  # both accepted: the new game was put
    return record.forfeit is not None  # resigned, or lost on time


REQUESTS = {
    "play": ("X1", lambda g: play(g, "1,1")),
    "resign": ("O1", lambda g: {"type": "resign", "id": g}),
    "claim": ("O1", lambda g: {"type": "claim", "id": g}),
    "rematch": ("O1", lambda g: {"type": "rematch", "id": g}),
}


@pytest.mark.parametrize("route", sorted(REQUESTS))
def test_a_handler_whose_every_post_hangs_ends_in_time_with_its_change_stored(
    route: str,
    players: Players,
    table: Any,
    clock: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each handler that tells both players and every spectator, when every post hangs:
    the sender's post goes first, then its opponent's, then as many spectators as time
    allows; the rest are skipped, each logged."""
    game_id = watched_game(players, clock=CLOCK_SECONDS)
    if route == "claim":
        clock[0] += CLOCK_SECONDS + 1  # x's time has run out
    if route == "rematch":
        finished(players, game_id)
    sender, request = REQUESTS[route]
    opponent = "X1" if sender == "O1" else "O1"
    lam = invoke(players, hanging=["X1", "O1", *SPECTATORS])
    with caplog.at_level(logging.INFO, logger="xo"):
        players.send(sender, request(game_id))
    assert lam.elapsed < lam.timeout
    assert stored(table, route, game_id)
    told = players.connections.attempts
    assert told[:2] == [sender, opponent]
    assert len(told) + len(skipped_posts(caplog)) == 2 + len(SPECTATORS)


def test_a_player_leaving_a_watched_game_whose_posts_hang_is_recorded_in_time(
    players: Players, table: Any, caplog: pytest.LogCaptureFixture
) -> None:
    game_id = watched_game(players)
    lam = invoke(players, hanging=["O1", *SPECTATORS])
    with caplog.at_level(logging.INFO, logger="xo"):
        players.disconnect("X1")
    assert lam.elapsed < lam.timeout
    assert game_item(table, game_id).connection_of(Mark.X) is None
    told = players.connections.attempts
    assert told[:1] == ["O1"]  # the opponent first, then the spectators
    assert len(told) + len(skipped_posts(caplog)) == 1 + len(SPECTATORS)


def test_a_write_that_could_not_end_in_time_is_not_started(players: Players, table: Any) -> None:
    game_id = watched_game(players)
    lam = invoke(players, hanging=[])
    lam.elapsed = lam.timeout - aws.worst_case_seconds("dynamodb")  # the write might overrun
    players.send("X1", play(game_id, "1,1"))
    assert players.last("X1")["code"] == "unavailable"
    assert game_item(table, game_id).game == Game()
    assert players.received("O1") == []


def test_protocol_md_states_the_limits_the_handlers_use() -> None:
    text = " ".join((Path(__file__).resolve().parents[2] / "PROTOCOL.md").read_text().split())
    assert f"({LAMBDA_TIMEOUT_SECONDS} s deployed)" in text
    assert f"takes up to {HANG_SECONDS:g} s before it gives up" in text
    assert f"(less a {budget.SAFETY_MARGIN_SECONDS:g} s margin)" in text
    assert f"with a game's {MAX_WATCHERS} spectators" in text
