"""Racing requests on one game leave exactly one outcome and a legal item.

DynamoDB applies each conditional write atomically; moto checks and applies in
Python, so two threads could interleave inside one request. `atomic_moto` serialises
whole requests, as DynamoDB does per item, and leaves the interleaving *between*
requests (read, write, post, ...) to the threads, which is where races live.
"""

from __future__ import annotations

from typing import Any

import pytest

from functions import store
from game.rules import Game
from tests.functions.conftest import TABLE, Players, game_item, race

ROUNDS = 100
pytestmark = pytest.mark.usefixtures("atomic_moto")


def assert_legal(table: Any, game_id: str, *, writes: int) -> store.GameRecord:
    """The stored item is a reachable game after exactly `writes` writes: its board decodes
    (`Game` refuses an unreachable one), its `moves` counter matches the marks on the board
    (a lost update would leave them apart), each mark is seated at most once, and its version
    counts `writes` (a second write that landed beside the winner would show here)."""
    item = table.get_item(TableName=TABLE, Key={"GameId": {"S": game_id}}, ConsistentRead=True)[
        "Item"
    ]
    board = Game(tuple(cell["S"] for cell in item["board"]["L"]))
    assert int(item["moves"]["N"]) == board.moves, item
    seats = [mark["S"] for mark in item["players"]["M"].values()]
    assert sorted(set(seats)) == sorted(seats) and set(seats) <= {"x", "o"}, item
    assert int(item["v"]["N"]) == writes, item
    return game_item(table, game_id)


def test_two_joins_exactly_one_wins(players: Players, table: Any) -> None:
    for round_ in range(ROUNDS):
        x, a, b = f"X{round_}", f"A{round_}", f"B{round_}"
        players.send(x, {"type": "start"})
        game_id = players.last(x)["id"]
        race(
            lambda: players.send(a, {"type": "join", "id": game_id}),
            lambda: players.send(b, {"type": "join", "id": game_id}),
        )
        answers = sorted(players.last(c).get("code", "joined") for c in (a, b))
        assert answers == ["game_full", "joined"], (round_, answers)
        record = assert_legal(table, game_id, writes=2)  # start, one join
        assert set(record.players.values()) == {"x", "o"}


def test_two_moves_by_the_same_player_exactly_one_lands(players: Players, table: Any) -> None:
    for round_ in range(ROUNDS):
        x, o = f"X{round_}", f"O{round_}"
        game_id, _, _ = players.new_game(x, o)
        race(
            lambda: players.send(x, {"type": "play", "id": game_id, "tile": "0,0"}),
            lambda: players.send(x, {"type": "play", "id": game_id, "tile": "2,2"}),
        )
        errors = [m["code"] for m in players.received(x) if m["type"] == "error"]
        assert errors == ["not_your_turn"], (round_, errors)
        assert len([m for m in players.received(o) if m["type"] == "play"]) == 1
        record = assert_legal(table, game_id, writes=3)  # start, join, one move
        assert record.game.moves == 1


def test_the_same_move_sent_twice_lands_once(players: Players, table: Any) -> None:
    for round_ in range(ROUNDS):
        x, o = f"X{round_}", f"O{round_}"
        game_id, _, _ = players.new_game(x, o)
        move = {"type": "play", "id": game_id, "tile": "1,1"}
        race(lambda: players.send(x, move), lambda: players.send(x, move))
        errors = [m["code"] for m in players.received(x) if m["type"] == "error"]
        assert len(errors) == 1 and errors[0] in {"not_your_turn", "tile_taken"}, (round_, errors)
        assert [m["tile"] for m in players.received(o)] == ["1,1"]
        assert assert_legal(table, game_id, writes=3).game.moves == 1


def test_both_players_moving_at_once_o_is_refused_unless_x_landed_first(
    players: Players, table: Any
) -> None:
    """x (whose turn it is) always lands; o's move lands only if x's landed before it, and
    is otherwise refused as not_your_turn, with the board left as x made it."""
    for round_ in range(ROUNDS):
        x, o = f"X{round_}", f"O{round_}"
        game_id, _, _ = players.new_game(x, o)
        race(
            lambda: players.send(x, {"type": "play", "id": game_id, "tile": "0,0"}),
            lambda: players.send(o, {"type": "play", "id": game_id, "tile": "2,2"}),
        )
        x_errors = [m["code"] for m in players.received(x) if m["type"] == "error"]
        o_errors = [m["code"] for m in players.received(o) if m["type"] == "error"]
        assert x_errors == [], (round_, x_errors)
        o_landed = not o_errors
        if o_landed:  # start, join, x's move, o's move
            record = assert_legal(table, game_id, writes=4)
            assert record.game.board == ("x", " ", " ", " ", " ", " ", " ", " ", "o")
        else:  # start, join, x's move
            assert o_errors == ["not_your_turn"], (round_, o_errors)
            record = assert_legal(table, game_id, writes=3)
            assert record.game.board == ("x", " ", " ", " ", " ", " ", " ", " ", " ")


def test_a_move_racing_a_resume_has_one_outcome(players: Players, table: Any) -> None:
    """The old connection's move either lands before the resume (and the resumed player sees
    it in state) or is refused as not_a_player after it; never both, never lost silently."""
    for round_ in range(ROUNDS):
        x, o, x2 = f"X{round_}", f"O{round_}", f"Y{round_}"
        game_id, x_token, _ = players.new_game(x, o)
        race(
            lambda: players.send(x, {"type": "play", "id": game_id, "tile": "1,1"}),
            lambda: players.send(x2, {"type": "resume", "id": game_id, "token": x_token}),
        )
        state = players.last(x2)
        old = players.received(x)
        move_landed = not [m for m in old if m["type"] == "error"]
        # start, join, the resume, and the move if it landed
        record = assert_legal(table, game_id, writes=4 if move_landed else 3)
        assert record.players == {x2: "x", o: "o"}
        if move_landed:
            assert record.game.moves == 1
            assert state["board"][1][1] == "x" and state["next"] == "o"
        else:
            assert record.game.moves == 0
            assert state["next"] == "x"
            assert [m["code"] for m in old if m["type"] == "error"] == ["not_a_player"]
