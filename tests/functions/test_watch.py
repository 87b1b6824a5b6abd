"""Spectators, handler by handler, against moto's DynamoDB."""

from __future__ import annotations

from collections import Counter
from typing import Any

from functions import aws
from functions.watch import MAX_WATCHERS
from game.rules import Game
from tests.functions.conftest import Players, game_item


def play(game_id: str, tile: str) -> dict[str, Any]:
    return {"type": "play", "id": game_id, "tile": tile}


def test_a_spectator_joining_mid_game_gets_the_whole_board_at_once(players: Players) -> None:
    game_id, _, _ = players.new_game()
    players.send("X1", play(game_id, "1,1"))
    players.send("O1", play(game_id, "0,0"))
    players.send("W1", {"type": "watch", "id": game_id})
    assert players.received("W1") == [
        {
            "type": "watching",
            "id": game_id,
            "board": Game.from_moves(["1,1", "0,0"]).rows(),
            "next": "x",
            "winner": None,
            "watchers": 1,
            "present": ["x", "o"],
        }
    ]


def test_a_spectator_sees_each_move_and_who_leaves_and_comes_back(players: Players) -> None:
    game_id, x_token, _ = players.new_game()
    players.send("W1", {"type": "watch", "id": game_id})
    players.received("W1")
    players.send("X1", play(game_id, "1,1"))
    assert players.last("W1") == players.last("O1")  # the same `play` the opponent gets
    players.disconnect("X1")
    assert players.received("W1") == [
        {"type": "presence", "id": game_id, "mark": "x", "present": False}
    ]
    players.send("X2", {"type": "resume", "id": game_id, "token": x_token})
    assert players.received("W1") == [
        {"type": "presence", "id": game_id, "mark": "x", "present": True}
    ]


def test_watching_never_gives_a_seat(players: Players) -> None:
    players.send("X1", {"type": "start"})
    game_id = players.last("X1")["id"]
    players.send("W1", {"type": "watch", "id": game_id})
    players.received("W1")
    players.send("W1", play(game_id, "1,1"))
    assert players.last("W1")["code"] == "not_a_player"
    players.send("O1", {"type": "join", "id": game_id})  # the o seat is still free
    assert players.last("O1")["type"] == "join"
    assert players.received("W1") == [
        {"type": "presence", "id": game_id, "mark": "o", "present": True}
    ]


def test_players_who_asked_hear_how_many_watch_and_others_hear_nothing(players: Players) -> None:
    players.send("X1", {"type": "start", "watchers": True})
    game_id = players.last("X1")["id"]
    players.send("O1", {"type": "join", "id": game_id})  # a tutorial client
    players.received("X1")
    players.received("O1")
    players.send("W1", {"type": "watch", "id": game_id})
    players.send("W2", {"type": "watch", "id": game_id})
    assert players.received("X1") == [
        {"type": "watchers", "id": game_id, "count": 1},
        {"type": "watchers", "id": game_id, "count": 2},
    ]
    players.disconnect("W1")
    assert players.received("X1") == [{"type": "watchers", "id": game_id, "count": 1}]
    assert players.received("O1") == []


def test_the_spectator_cap_refuses_one_more_with_watchers_full(players: Players) -> None:
    game_id, _, _ = players.new_game()
    for n in range(MAX_WATCHERS):
        players.send(f"W{n}", {"type": "watch", "id": game_id})
        assert players.last(f"W{n}")["watchers"] == n + 1
    players.send("W1", {"type": "watch", "id": game_id})  # watching again is no new spectator
    assert players.last("W1")["watchers"] == MAX_WATCHERS
    players.send("late", {"type": "watch", "id": game_id})
    refused = players.last("late")
    assert refused["code"] == "watchers_full" and str(MAX_WATCHERS) in refused["message"]
    players.disconnect("W0")
    players.send("late", {"type": "watch", "id": game_id})
    assert players.last("late")["type"] == "watching"


def test_a_gone_spectator_is_dropped_and_the_game_goes_on(players: Players, table: Any) -> None:
    game_id, _, _ = players.new_game()
    players.send("W1", {"type": "watch", "id": game_id})
    players.connections.gone.add("W1")
    players.send("X1", play(game_id, "1,1"))
    assert players.last("O1")["type"] == "play"
    assert game_item(table, game_id).watchers == frozenset()


def test_watching_a_game_that_does_not_exist_is_refused(players: Players) -> None:
    players.send("W1", {"type": "watch", "id": "A" * 22})
    assert players.last("W1")["code"] == "game_not_found"


def test_a_move_without_spectators_is_one_request_and_one_post(players: Players) -> None:
    game_id, _, _ = players.new_game()
    calls: Counter[str] = Counter()
    aws.dynamodb().meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.update([model.name])
    )
    posts = players.connections.posts
    players.send("X1", play(game_id, "1,1"))
    assert dict(calls) == {"UpdateItem": 1} and players.connections.posts - posts == 1


def test_a_move_with_one_spectator_is_one_request_and_two_posts(players: Players) -> None:
    game_id, _, _ = players.new_game()
    players.send("W1", {"type": "watch", "id": game_id})
    calls: Counter[str] = Counter()
    aws.dynamodb().meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.update([model.name])
    )
    posts = players.connections.posts
    players.send("X1", play(game_id, "1,1"))
    assert dict(calls) == {"UpdateItem": 1} and players.connections.posts - posts == 2


def test_a_spectator_of_a_game_against_the_computer_sees_both_moves(players: Players) -> None:
    players.send("X1", {"type": "start", "vs": "computer"})
    game_id = players.last("X1")["id"]
    players.send("W1", {"type": "watch", "id": game_id})
    players.received("W1")
    players.send("X1", {**play(game_id, "1,1"), "board": Game().rows(), "level": "perfect"})
    reply = players.last("X1")
    seen = players.received("W1")
    assert [(m["mark"], m["tile"]) for m in seen] == [("x", "1,1"), ("o", reply["tile"])]
    assert seen[-1] == reply
