"""The turn clock, handler by handler, against moto's DynamoDB: nothing runs on a schedule;
the next request that touches the game decides."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from functions import aws, settings
from game.rules import Game
from tests.functions.conftest import Players, game_item

SECONDS = 30
PROTOCOL_MD = Path(__file__).resolve().parents[2] / "PROTOCOL.md"
DAY = 24 * 3600


def clocked_game(players: Players) -> str:
    players.send("X1", {"type": "start", "clock": SECONDS})
    init = players.last("X1")
    assert init["clock"] == {"seconds": SECONDS}
    players.send("O1", {"type": "join", "id": init["id"]})
    players.received("O1")
    players.received("X1")
    return str(init["id"])


def play(game_id: str, tile: str) -> dict[str, Any]:
    return {"type": "play", "id": game_id, "tile": tile}


def test_each_play_carries_the_clock_of_the_player_to_move(
    players: Players, clock: list[int]
) -> None:
    game_id = clocked_game(players)
    clock[0] += 10
    players.send("X1", play(game_id, "1,1"))
    assert players.last("O1")["clock"] == {
        "seconds": SECONDS,
        "deadline": clock[0] + SECONDS,
        "remaining": SECONDS,
    }


def test_a_late_move_is_refused_and_loses_on_time(
    players: Players, clock: list[int], table: Any
) -> None:
    game_id = clocked_game(players)
    players.send("X1", play(game_id, "1,1"))
    players.received("O1")
    clock[0] += SECONDS + 1
    players.send("O1", play(game_id, "0,0"))
    refused, result = players.received("O1")
    assert refused["code"] == "time_up" and "x wins on time" in refused["message"]
    timeout = {
        "type": "timeout",
        "id": game_id,
        "loser": "o",
        "board": Game.from_moves(["1,1"]).rows(),
        "next": None,
        "winner": "x",
    }
    assert result == timeout and players.received("X1") == [timeout]
    assert game_item(table, game_id).forfeit == "o"
    players.send("X1", play(game_id, "2,2"))  # the game is over
    assert players.last("X1")["code"] == "game_over"


def test_a_move_just_in_time_stands(players: Players, clock: list[int]) -> None:
    game_id = clocked_game(players)
    clock[0] += SECONDS
    players.send("X1", play(game_id, "1,1"))
    assert players.last("O1")["type"] == "play"


def test_the_waiting_player_claims_the_win_once_the_time_is_up(
    players: Players, clock: list[int]
) -> None:
    game_id = clocked_game(players)
    players.send("X1", play(game_id, "1,1"))
    players.received("O1")
    clock[0] += SECONDS
    players.send("X1", {"type": "claim", "id": game_id})
    early = players.last("X1")
    assert early["code"] == "clock_running" and "o still has 0 s" in early["message"]
    clock[0] += 1
    players.send("X1", {"type": "claim", "id": game_id})
    assert players.last("X1")["type"] == "timeout" and players.last("O1")["loser"] == "o"


def test_x_who_never_moves_loses_when_o_claims(players: Players, clock: list[int]) -> None:
    game_id = clocked_game(players)
    clock[0] += SECONDS + 1
    players.send("O1", {"type": "claim", "id": game_id})
    assert players.last("O1")["winner"] == "o" and players.last("X1")["loser"] == "x"


def test_a_player_cannot_claim_on_its_own_turn(players: Players, clock: list[int]) -> None:
    game_id = clocked_game(players)
    clock[0] += SECONDS + 1
    players.send("X1", {"type": "claim", "id": game_id})
    assert players.last("X1")["code"] == "clock_running"


def test_resume_after_a_timeout_shows_who_won(players: Players, clock: list[int]) -> None:
    players.send("X1", {"type": "start", "clock": SECONDS})
    init = players.last("X1")
    players.send("O1", {"type": "join", "id": init["id"]})
    clock[0] += SECONDS + 1
    players.send("O1", {"type": "claim", "id": init["id"]})
    players.send("X2", {"type": "resume", "id": init["id"], "token": init["token"]})
    state = players.last("X2")
    assert (state["next"], state["winner"], state["loser"]) == (None, "o", "x")


def test_a_game_without_a_clock_never_times_out_and_claims_are_refused(
    players: Players, clock: list[int]
) -> None:
    game_id, _, _ = players.new_game()
    clock[0] += 3000
    players.send("O1", {"type": "claim", "id": game_id})
    assert players.last("O1")["code"] == "clock_running"
    players.send("X1", play(game_id, "1,1"))
    assert "clock" not in players.last("O1")


def test_a_move_in_a_game_without_a_clock_still_costs_one_request(players: Players) -> None:
    game_id, _, _ = players.new_game()
    calls: Counter[str] = Counter()
    aws.dynamodb().meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.update([model.name])
    )
    players.send("X1", play(game_id, "1,1"))
    assert dict(calls) == {"UpdateItem": 1}


@pytest.mark.parametrize("seconds", [0, 4, 86401, "30", 30.5, True])
def test_a_bad_clock_is_refused(players: Players, seconds: object, table: Any) -> None:
    players.send("X1", {"type": "start", "clock": seconds})
    assert players.last("X1")["code"] == "bad_request"
    assert table.scan(TableName="xo-test")["Items"] == []


def test_a_move_may_take_as_long_as_a_game_lives_by_default_and_no_longer(
    players: Players, clock: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A game lives a day after its last move unless the deployment says otherwise, and the
    longest clock is that day: one second more is refused in words that give the range,
    and PROTOCOL.md states the same range and lifetime."""
    monkeypatch.delenv(settings.GAME_TTL_SECONDS)
    players.send("X1", {"type": "start", "clock": DAY})
    init = players.last("X1")
    assert init["clock"] == {"seconds": DAY}
    clock[0] += DAY - 1
    players.send("W1", {"type": "watch", "id": init["id"]})
    assert players.last("W1")["type"] == "watching"
    clock[0] += 1
    players.send("W2", {"type": "watch", "id": init["id"]})
    assert players.last("W2")["code"] == "game_not_found"

    players.send("X1", {"type": "start", "clock": DAY + 1})
    refused = players.last("X1")
    assert refused == {
        "type": "error",
        "code": "bad_request",
        "message": 'The "clock" field must be a whole number of seconds from 5 to 86400.',
    }
    protocol = PROTOCOL_MD.read_text()
    stated_range = re.search(r"from \d+ to \d+", refused["message"])
    assert stated_range is not None
    assert f"(a whole number {stated_range.group()})" in protocol
    assert f"`GAME_TTL_SECONDS` ({DAY // 3600} hours by default)" in protocol
