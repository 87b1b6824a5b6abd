"""Rematch, handler by handler, against moto's DynamoDB."""

from __future__ import annotations

from collections import Counter
from typing import Any

from functions import aws
from tests.functions.conftest import TABLE, Players, game_item

X_WINS = ["0,0", "1,0", "0,1", "1,1", "0,2"]


def finished_game(players: Players) -> str:
    game_id, _, _ = players.new_game()
    for turn, tile in enumerate(X_WINS):
        players.send("X1" if turn % 2 == 0 else "O1", {"type": "play", "id": game_id, "tile": tile})
    players.received("X1")
    players.received("O1")
    return game_id


def test_both_accept_and_a_new_game_starts_with_marks_swapped(players: Players, table: Any) -> None:
    game_id = finished_game(players)
    players.send("X1", {"type": "rematch", "id": game_id})
    assert players.received("O1") == [{"type": "rematch_offer", "id": game_id}]
    assert players.received("X1") == []
    players.send("O1", {"type": "rematch", "id": game_id})
    to_o, to_x = players.last("O1"), players.last("X1")
    assert to_o["type"] == to_x["type"] == "rematch" and to_o["id"] == to_x["id"] != game_id
    assert to_o["previous"] == to_x["previous"] == game_id
    assert (to_o["mark"], to_x["mark"]) == ("x", "o")  # the previous o moves first
    assert len(to_o["token"]) == len(to_x["token"]) == 22 and to_o["token"] != to_x["token"]
    new = to_o["id"]
    assert game_item(table, new).players == {"O1": "x", "X1": "o"}
    players.send("O1", {"type": "play", "id": new, "tile": "1,1"})  # same connections
    assert players.last("X1")["type"] == "play"
    players.send("X2", {"type": "resume", "id": new, "token": to_x["token"]})  # new tokens
    assert players.last("X2")["mark"] == "o"


def test_spectators_follow_into_the_rematch(players: Players) -> None:
    game_id, _, _ = players.new_game()
    players.send("W1", {"type": "watch", "id": game_id})
    for turn, tile in enumerate(X_WINS):
        players.send("X1" if turn % 2 == 0 else "O1", {"type": "play", "id": game_id, "tile": tile})
    players.received("W1")
    players.send("X1", {"type": "rematch", "id": game_id})
    players.send("O1", {"type": "rematch", "id": game_id})
    new = players.last("O1")["id"]
    assert players.received("W1") == [{"type": "rematch", "id": new, "previous": game_id}]
    players.send("O1", {"type": "play", "id": new, "tile": "1,1"})
    assert players.last("W1")["type"] == "play"


def test_a_refusal_ends_it_cleanly_and_changes_nothing_more(players: Players) -> None:
    game_id = finished_game(players)
    players.send("X1", {"type": "rematch", "id": game_id})
    players.received("O1")
    players.send("O1", {"type": "rematch", "id": game_id, "accept": False})
    assert players.received("X1") == [{"type": "rematch_declined", "id": game_id}]
    players.send("X1", {"type": "rematch", "id": game_id})  # asking again is refused
    assert players.last("X1")["code"] == "no_rematch"


def test_no_rematch_before_the_end_nor_for_others(players: Players) -> None:
    game_id, _, _ = players.new_game()
    players.send("X1", {"type": "rematch", "id": game_id})
    assert players.last("X1")["code"] == "no_rematch"
    players.send("Z9", {"type": "rematch", "id": game_id})
    assert players.last("Z9")["code"] == "not_a_player"


def test_an_answer_is_one_write_and_one_post(players: Players) -> None:
    game_id = finished_game(players)
    calls: Counter[str] = Counter()
    aws.dynamodb().meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.update([model.name])
    )
    posts = players.connections.posts
    players.send("X1", {"type": "rematch", "id": game_id})
    assert dict(calls) == {"UpdateItem": 1} and players.connections.posts - posts == 1


def test_a_repeated_answer_never_starts_a_second_rematch(players: Players, table: Any) -> None:
    """A client retrying its `rematch` (its reply lost) must not fork the game: an answer
    counts once, and a repeat is refused with `no_rematch`, changing nothing."""
    game_id = finished_game(players)
    players.send("X1", {"type": "rematch", "id": game_id})
    players.send("X1", {"type": "rematch", "id": game_id})  # the offer, again
    assert players.last("X1")["code"] == "no_rematch"
    assert players.received("O1") == [{"type": "rematch_offer", "id": game_id}]  # told once
    players.send("O1", {"type": "rematch", "id": game_id})
    new = players.last("O1")["id"]
    players.received("X1")
    for player in ("O1", "X1"):
        players.send(player, {"type": "rematch", "id": game_id})
        refused = players.last(player)
        assert refused["code"] == "no_rematch" and "already" in refused["message"]
    assert players.received("O1") == players.received("X1") == []
    games = table.scan(TableName=TABLE, FilterExpression="attribute_exists(previous)")["Items"]
    assert [game["GameId"]["S"] for game in games] == [new]
