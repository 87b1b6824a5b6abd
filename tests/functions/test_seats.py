"""A connection's games: the per-connection limits (open games, starts per minute), checked
inside the conditional write that records a seat; `$disconnect` for every game the
connection plays; and a seat taken by a token replayed from another connection."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from functions import aws, settings
from game.rules import Game, Mark
from tests.functions.conftest import TABLE, Players, game_item

MOVES_X_WINS = ["0,0", "1,0", "0,1", "1,1", "0,2"]
PROTOCOL_MD = Path(__file__).resolve().parents[2] / "PROTOCOL.md"


def games_in_table(table: Any) -> int:
    return sum(1 for item in table.scan(TableName=TABLE)["Items"] if "board" in item)


def start(players: Players, connection: str) -> dict[str, Any]:
    players.send(connection, {"type": "start"})
    return players.last(connection)


def test_protocol_md_states_the_limits_the_handlers_use() -> None:
    text = PROTOCOL_MD.read_text()
    assert f"at most {settings.DEFAULT_MAX_OPEN_GAMES} games not yet over" in text
    assert f"at most {settings.DEFAULT_STARTS_PER_MINUTE} `start`s per minute" in text
    assert f"a seat in {settings.DEFAULT_MAX_OPEN_GAMES} games" in text
    assert f"started {settings.DEFAULT_STARTS_PER_MINUTE} games this minute" in text


def test_one_connection_holds_at_most_max_open_games(players: Players, table: Any) -> None:
    """One connection used to create 400 games in 2.2 s; now the one past the limit is
    refused with too_many_games, and creates nothing."""
    limit = settings.max_open_games()
    for _ in range(limit):
        assert start(players, "X1")["type"] == "init"
    refused = start(players, "X1")
    assert refused["type"] == "error" and refused["code"] == "too_many_games", refused
    assert games_in_table(table) == limit


def test_a_finished_game_no_longer_counts(players: Players) -> None:
    """When a game ends, both its players may start (or join) another."""
    game_id, _, _ = players.new_game()
    for _ in range(settings.max_open_games() - 1):
        start(players, "X1")
    assert start(players, "X1")["code"] == "too_many_games"
    for turn, tile in enumerate(MOVES_X_WINS):
        players.send("X1" if turn % 2 == 0 else "O1", {"type": "play", "id": game_id, "tile": tile})
    players.received("X1")
    assert start(players, "X1")["type"] == "init"


def test_joins_count_too_and_a_refused_join_changes_nothing(players: Players, table: Any) -> None:
    for _ in range(settings.max_open_games()):
        start(players, "O1")
    game_id = start(players, "X1")["id"]
    before = game_item(table, game_id)
    players.send("O1", {"type": "join", "id": game_id})
    assert players.last("O1")["code"] == "too_many_games"
    assert game_item(table, game_id) == before
    assert players.received("X1") == []


def test_refused_joins_do_not_use_up_seats(players: Players) -> None:
    """A join refused by the game (not found, full) gives back the seat it claimed."""
    game_id, _, _ = players.new_game()
    for _ in range(settings.max_open_games() + 2):
        players.send("Z1", {"type": "join", "id": game_id})
        assert players.last("Z1")["code"] == "game_full"
        players.send("Z1", {"type": "join", "id": "A" * 22})
        assert players.last("Z1")["code"] == "game_not_found"
    for _ in range(settings.max_open_games()):
        assert start(players, "Z1")["type"] == "init"


def test_starts_per_minute(
    players: Players, clock: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the start rate a start is too_many_starts; the next clock minute allows more."""
    monkeypatch.setenv(settings.MAX_OPEN_GAMES, "1000")
    clock[0] = clock[0] // 60 * 60  # the first second of a minute
    for _ in range(settings.starts_per_minute()):
        assert start(players, "X1")["type"] == "init"
    refused = start(players, "X1")
    assert refused["code"] == "too_many_starts", refused
    clock[0] += 60
    assert start(players, "X1")["type"] == "init"


def test_the_limits_cost_no_extra_read(players: Players) -> None:
    """start is two conditional writes (the seat with its limits, the game) and no read."""
    calls: Counter[str] = Counter()
    aws.dynamodb().meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.update([model.name])
    )
    start(players, "X1")
    assert calls == Counter({"UpdateItem": 1, "PutItem": 1})


def test_disconnect_tells_the_opponent_of_every_game_the_connection_plays(
    players: Players, table: Any
) -> None:
    """It used to detach only the latest game: O1, in the first one, was never told."""
    first, _, _ = players.new_game("X1", "O1")
    second = start(players, "X1")["id"]
    players.send("O2", {"type": "join", "id": second})
    players.received("X1"), players.received("O2")
    players.disconnect("X1")
    assert players.received("O1") == [{"type": "opponent_left", "id": first}]
    assert players.received("O2") == [{"type": "opponent_left", "id": second}]
    assert game_item(table, first).players == {"O1": Mark.O}
    assert game_item(table, second).players == {"O2": Mark.O}


def test_disconnect_tells_no_one_of_a_finished_game(players: Players) -> None:
    first, _, _ = players.new_game("X1", "O1")
    for turn, tile in enumerate(MOVES_X_WINS):
        players.send("X1" if turn % 2 == 0 else "O1", {"type": "play", "id": first, "tile": tile})
    second = start(players, "X1")["id"]
    players.send("O2", {"type": "join", "id": second})
    players.received("O1"), players.received("O2")
    players.disconnect("X1")
    assert players.received("O1") == []
    assert players.received("O2") == [{"type": "opponent_left", "id": second}]


def test_a_displaced_connection_is_told_and_its_disconnect_is_silent(
    players: Players, table: Any
) -> None:
    """X2 replays x's token: X1 gets seat_taken, O1 hears nothing (no opponent_back), and X1
    closing later tells O1 nothing either (x is still there, on X2)."""
    game_id, x_token, _ = players.new_game()
    players.send("X2", {"type": "resume", "id": game_id, "token": x_token})
    assert players.received("X1") == [{"type": "seat_taken", "id": game_id}]
    assert players.received("O1") == []
    players.send("X1", {"type": "play", "id": game_id, "tile": "1,1"})
    assert players.last("X1")["code"] == "not_a_player"
    players.disconnect("X1")
    assert players.received("O1") == []
    assert game_item(table, game_id).players == {"X2": Mark.X, "O1": Mark.O}


def test_a_resume_from_the_connection_that_holds_the_seat_tells_no_one(players: Players) -> None:
    """A client catching up (PROTOCOL.md) resumes on its own connection: it gets state; the
    opponent gets no opponent_back, since it never left."""
    game_id, x_token, _ = players.new_game()
    players.send("X1", {"type": "play", "id": game_id, "tile": "1,1"})
    players.received("O1")
    players.send("X1", {"type": "resume", "id": game_id, "token": x_token})
    state = players.last("X1")
    assert state["type"] == "state" and state["board"][1][1] == "x" and state["opponent"] == "here"
    assert players.received("O1") == []


def test_state_says_when_nobody_has_joined_yet(players: Players) -> None:
    init = start(players, "X1")
    players.send("X1", {"type": "resume", "id": init["id"], "token": init["token"]})
    assert players.last("X1")["opponent"] == "waiting"


def test_games_against_the_computer_count_until_they_end(players: Players) -> None:
    """One connection plays game after game against the computer: each finished game frees
    its seat, so the limit never stops it; unfinished ones count like any other."""
    for _ in range(settings.max_open_games() + 1):
        game_id = start_vs_computer(players)
        board = Game()
        while not board.is_over:  # x plays the first empty cell; the computer replies
            tile = next(f"{k // 3},{k % 3}" for k in range(9) if board.board[k] == " ")
            players.send("X1", {"type": "play", "id": game_id, "tile": tile})
            answer = players.last("X1")
            board = Game(tuple(cell for row in answer["board"] for cell in row))
    for _ in range(settings.max_open_games()):
        start_vs_computer(players)
    players.send("X1", {"type": "start", "vs": "computer", "level": "random"})
    assert players.last("X1")["code"] == "too_many_games"


def test_a_spectator_takes_no_seat_and_its_disconnect_removes_it(
    players: Players, table: Any
) -> None:
    """A connection at its limit may still watch; closing it removes it from the game."""
    for _ in range(settings.max_open_games()):
        start(players, "W1")
    game_id, _, _ = players.new_game()
    players.send("W1", {"type": "watch", "id": game_id})
    assert players.last("W1")["type"] == "watching"
    assert "W1" in game_item(table, game_id).watchers
    players.disconnect("W1")
    assert "W1" not in game_item(table, game_id).watchers


def start_vs_computer(players: Players) -> str:
    players.send("X1", {"type": "start", "vs": "computer", "level": "random"})
    init = players.last("X1")
    assert init["type"] == "init", init
    return str(init["id"])


def test_a_game_lost_on_time_no_longer_counts(players: Players, clock: list[int]) -> None:
    """A game settled by the turn clock frees both players' seats, as a won game does."""
    players.send("X1", {"type": "start", "clock": 30})
    game_id = players.last("X1")["id"]
    players.send("O1", {"type": "join", "id": game_id})
    for _ in range(settings.max_open_games() - 1):
        start(players, "X1")
    assert start(players, "X1")["code"] == "too_many_games"
    clock[0] += 31
    players.send("O1", {"type": "claim", "id": game_id})
    players.received("X1")
    assert start(players, "X1")["type"] == "init"
