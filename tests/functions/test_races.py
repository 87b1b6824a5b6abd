"""Racing requests on one game leave exactly one outcome and a legal item.

DynamoDB applies each conditional write atomically; moto checks and applies in
Python, so two threads could interleave inside one request. `atomic_moto` serialises
whole requests, as DynamoDB does per item, and leaves the interleaving *between*
requests (read, write, post, ...) to the threads, which is where races live.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from game.rules import Game
from tests.functions.conftest import Players, game_item

ROUNDS = 100


@pytest.fixture(autouse=True)
def atomic_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def serialised(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", serialised)


def race(*actions: Callable[[], Any]) -> None:
    """Run the actions at the same moment, each on its own thread."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            action()
        except BaseException as error:  # pragma: no cover - surfaces in the assert below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def assert_legal(record: Any) -> None:
    """The item is a reachable game whose move count matches its board."""
    assert Game(record.game.board) == record.game  # validates counts and cells
    assert set(record.players.values()) <= {"x", "o"}
    assert len(set(record.players.values())) == len(record.players)


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
        record = game_item(table, game_id)
        assert len(record.players) == 2 and set(record.players.values()) == {"x", "o"}
        assert_legal(record)


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
        record = game_item(table, game_id)
        assert record.game.moves == 1
        assert_legal(record)


def test_the_same_move_sent_twice_lands_once(players: Players, table: Any) -> None:
    for round_ in range(ROUNDS):
        x, o = f"X{round_}", f"O{round_}"
        game_id, _, _ = players.new_game(x, o)
        move = {"type": "play", "id": game_id, "tile": "1,1"}
        race(lambda: players.send(x, move), lambda: players.send(x, move))
        errors = [m["code"] for m in players.received(x) if m["type"] == "error"]
        assert len(errors) == 1 and errors[0] in {"not_your_turn", "tile_taken"}, (round_, errors)
        assert [m["tile"] for m in players.received(o)] == ["1,1"]
        assert game_item(table, game_id).game.moves == 1


def test_both_players_moving_at_once_one_is_refused(players: Players, table: Any) -> None:
    for round_ in range(ROUNDS):
        x, o = f"X{round_}", f"O{round_}"
        game_id, _, _ = players.new_game(x, o)
        race(
            lambda: players.send(x, {"type": "play", "id": game_id, "tile": "0,0"}),
            lambda: players.send(o, {"type": "play", "id": game_id, "tile": "2,2"}),
        )
        record = game_item(table, game_id)
        assert_legal(record)
        # o can only have moved after x: either x alone landed, or x then o.
        assert record.game.board[0] == "x"
        assert record.game.board[8] in {"o", " "}


def test_a_move_racing_a_resume_has_one_outcome(players: Players, table: Any) -> None:
    """The old connection's move either lands before the resume (and the resumed player sees
    it in state) or is refused as not_a_player after it; never both, never lost silently."""
    outcomes: dict[str, int] = {"move first": 0, "resume first": 0}
    for round_ in range(ROUNDS):
        x, o, x2 = f"X{round_}", f"O{round_}", f"Y{round_}"
        game_id, x_token, _ = players.new_game(x, o)
        race(
            lambda: players.send(x, {"type": "play", "id": game_id, "tile": "1,1"}),
            lambda: players.send(x2, {"type": "resume", "id": game_id, "token": x_token}),
        )
        state = players.last(x2)
        old = players.received(x)
        record = game_item(table, game_id)
        assert_legal(record)
        assert record.players == {x2: "x", o: "o"}
        if record.game.moves == 1:
            outcomes["move first"] += 1
            assert state["board"][1][1] == "x" and state["next"] == "o"
            assert not [m for m in old if m["type"] == "error"]
        else:
            outcomes["resume first"] += 1
            assert state["next"] == "x"
            assert [m["code"] for m in old if m["type"] == "error"] == ["not_a_player"]
    print(f"move vs resume over {ROUNDS} rounds: {outcomes}")
    assert sum(outcomes.values()) == ROUNDS
