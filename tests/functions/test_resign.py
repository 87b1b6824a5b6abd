"""Resigning, handler by handler, against moto's DynamoDB: one conditional write records the
sender's mark as the loser, and both players and the spectators hear `resigned`."""

from __future__ import annotations

from typing import Any

import pytest

from game.rules import Game
from tests.functions.conftest import Players, game_item, race


def resign(game_id: str) -> dict[str, Any]:
    return {"type": "resign", "id": game_id}


def play(game_id: str, tile: str) -> dict[str, Any]:
    return {"type": "play", "id": game_id, "tile": tile}


def test_a_resignation_ends_the_game_for_both_players_and_the_spectators(
    players: Players, table: Any
) -> None:
    game_id, _, _ = players.new_game()
    players.send("W1", {"type": "watch", "id": game_id})
    players.received("W1")
    players.send("X1", play(game_id, "1,1"))
    players.received("O1")
    players.received("W1")
    players.send("O1", resign(game_id))
    resigned = {
        "type": "resigned",
        "id": game_id,
        "loser": "o",
        "board": Game.from_moves(["1,1"]).rows(),
        "next": None,
        "winner": "x",
    }
    assert players.received("X1") == [resigned]
    assert players.received("O1") == [resigned]
    assert players.received("W1") == [resigned]
    record = game_item(table, game_id)
    assert record.forfeit is not None and record.forfeit.value == "o" and record.resigned
    assert record.over


def test_a_move_after_a_resignation_is_refused_and_says_who_resigned(players: Players) -> None:
    game_id, _, _ = players.new_game()
    players.send("X1", resign(game_id))
    players.received("X1")
    players.received("O1")
    players.send("O1", play(game_id, "0,0"))
    refused = players.last("O1")
    assert refused["code"] == "game_over"
    assert refused["message"] == "The game is over: x resigned, o won."


def test_resume_after_a_resignation_shows_who_won_and_how(players: Players) -> None:
    game_id, x_token, _ = players.new_game()
    players.send("O1", resign(game_id))
    players.send("X2", {"type": "resume", "id": game_id, "token": x_token})
    state = players.last("X2")
    assert (state["type"], state["loser"], state["winner"], state["next"]) == (
        "state",
        "o",
        "x",
        None,
    )
    assert state["resigned"] is True


def test_resigning_twice_is_refused_and_changes_nothing(players: Players, table: Any) -> None:
    game_id, _, _ = players.new_game()
    players.send("X1", resign(game_id))
    players.received("X1")
    players.received("O1")
    before = game_item(table, game_id)
    players.send("O1", resign(game_id))
    refused = players.last("O1")
    assert refused["code"] == "game_over"
    assert refused["message"] == "The game is over: x resigned, o won."
    assert game_item(table, game_id) == before
    assert players.received("X1") == []


def test_a_spectator_or_stranger_cannot_resign(players: Players, table: Any) -> None:
    game_id, _, _ = players.new_game()
    players.send("W1", {"type": "watch", "id": game_id})
    players.received("W1")
    before = game_item(table, game_id)
    for stranger in ("W1", "Z1"):
        players.send(stranger, resign(game_id))
        assert players.last(stranger)["code"] == "not_a_player"
    assert game_item(table, game_id) == before
    assert players.received("X1") == [] and players.received("O1") == []


def test_a_won_game_cannot_be_resigned(players: Players, table: Any) -> None:
    game_id, _, _ = players.new_game()
    for turn, tile in enumerate(["0,0", "1,0", "0,1", "1,1", "0,2"]):
        players.send("X1" if turn % 2 == 0 else "O1", play(game_id, tile))
    players.received("X1")
    players.received("O1")
    players.send("O1", resign(game_id))
    refused = players.last("O1")
    assert (refused["code"], refused["message"]) == ("game_over", "The game is over: x won.")
    assert game_item(table, game_id).forfeit is None


def test_resigning_an_unknown_or_unjoined_game_is_refused(players: Players) -> None:
    players.send("X1", resign("A" * 22))
    assert players.last("X1")["code"] == "game_not_found"
    players.send("X1", {"type": "start"})
    game_id = players.last("X1")["id"]
    players.send("X1", resign(game_id))
    assert players.last("X1")["code"] == "not_your_turn"


@pytest.mark.usefixtures("atomic_moto")
def test_a_resignation_racing_a_winning_move_has_exactly_one_outcome(
    players: Players, table: Any
) -> None:
    for round_ in range(20):  # fresh connections each round: a connection starts 10 a minute
        x, o = f"X{round_}", f"O{round_}"
        game_id, _, _ = players.new_game(x, o)
        for turn, tile in enumerate(["0,0", "1,0", "0,1", "1,1"]):
            players.send(x if turn % 2 == 0 else o, play(game_id, tile))
        players.received(x)
        players.received(o)
        race(
            lambda g=game_id, c=x: players.send(c, play(g, "0,2")),
            lambda g=game_id, c=o: players.send(c, resign(g)),
        )
        record = game_item(table, game_id)
        won_by_line = record.game.outcome == "x"
        resigned = record.forfeit is not None
        assert won_by_line != resigned, "exactly one of the two ended the game"
        to_o = sorted(players.received(o), key=lambda message: str(message["type"]))
        if resigned:
            assert record.game.moves == 4
            assert [m["type"] for m in to_o] == ["resigned"]
            to_x = sorted(players.received(x), key=lambda message: str(message["type"]))
            assert [m["type"] for m in to_x] == ["error", "resigned"]  # its move came too late
            assert to_x[0]["message"] == "The game is over: o resigned, x won."
        else:
            assert [m["type"] for m in to_o] == ["error", "play"]
            assert to_o[0]["message"] == "The game is over: x won."
            players.received(x)


def test_a_resigned_game_can_be_rematched(players: Players, table: Any) -> None:
    game_id, _, _ = players.new_game()
    players.send("O1", resign(game_id))
    players.received("X1")
    players.received("O1")
    players.send("X1", {"type": "rematch", "id": game_id})
    players.send("O1", {"type": "rematch", "id": game_id})
    started = players.last("O1")
    assert (started["type"], started["previous"], started["mark"]) == ("rematch", game_id, "x")
    rematch = game_item(table, started["id"])
    assert rematch.forfeit is None and not rematch.resigned and not rematch.over
