"""The joiner's `join` says where the creator is, from the join's own conditional write."""

from __future__ import annotations

from tests.functions.conftest import Players


def test_the_joiner_hears_that_a_connected_creator_is_here(players: Players) -> None:
    players.send("X1", {"type": "start"})
    game_id = players.last("X1")["id"]
    players.send("O1", {"type": "join", "id": game_id})
    assert players.last("O1")["opponent"] == "here"
    assert "opponent" not in players.last("X1")  # the creator's copy is the tutorial's


def test_the_joiner_hears_at_once_that_a_creator_who_left_is_away(players: Players) -> None:
    players.send("X1", {"type": "start"})
    game_id = players.last("X1")["id"]
    players.disconnect("X1")
    players.send("O1", {"type": "join", "id": game_id})
    joined = players.last("O1")
    assert (joined["type"], joined["mark"], joined["opponent"]) == ("join", "o", "away")
