"""Quick match, handler by handler, against moto's DynamoDB; and the race it must win."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions import aws, match, store
from tests.functions.conftest import Players, game_item, race

ROUNDS = 100


MATCH = {"type": "match"}

LOBBY_REQUESTS = [
    # A finds nobody waiting (`take_waiting`, refused) and offers its game (`offer_waiting`)
    '{"TableName": "xo-test", "Key": {"GameId": {"S": "lobby"}}, "UpdateExpression": "REMOVE #lgame, #lconn, #until", "ConditionExpression": "attribute_exists(#lgame) AND #until > :now AND #lconn <> :me", "ExpressionAttributeNames": {"#lgame": "game", "#lconn": "conn", "#until": "until"}, "ExpressionAttributeValues": {":now": {"N": "1900000000"}, ":me": {"S": "A"}}, "ReturnValues": "ALL_OLD", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}',
    '{"TableName": "xo-test", "Key": {"GameId": {"S": "lobby"}}, "UpdateExpression": "SET #lgame = :game, #lconn = :conn, #until = :until, #ttl = :ttl", "ConditionExpression": "attribute_not_exists(#lgame) OR #until <= :now", "ExpressionAttributeNames": {"#ttl": "ttl", "#lgame": "game", "#lconn": "conn", "#until": "until"}, "ExpressionAttributeValues": {":game": {"S": "A_GAME"}, ":conn": {"S": "A"}, ":until": {"N": "1900000300"}, ":ttl": {"N": "1900000300"}, ":now": {"N": "1900000000"}}, "ReturnValues": "ALL_NEW", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}',
    # B takes A's game
    '{"TableName": "xo-test", "Key": {"GameId": {"S": "lobby"}}, "UpdateExpression": "REMOVE #lgame, #lconn, #until", "ConditionExpression": "attribute_exists(#lgame) AND #until > :now AND #lconn <> :me", "ExpressionAttributeNames": {"#lgame": "game", "#lconn": "conn", "#until": "until"}, "ExpressionAttributeValues": {":now": {"N": "1900000000"}, ":me": {"S": "B"}}, "ReturnValues": "ALL_OLD", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}',
    # C waits, then leaves (`withdraw_waiting`)
    '{"TableName": "xo-test", "Key": {"GameId": {"S": "lobby"}}, "UpdateExpression": "REMOVE #lgame, #lconn, #until", "ConditionExpression": "attribute_exists(#lgame) AND #until > :now AND #lconn <> :me", "ExpressionAttributeNames": {"#lgame": "game", "#lconn": "conn", "#until": "until"}, "ExpressionAttributeValues": {":now": {"N": "1900000000"}, ":me": {"S": "C"}}, "ReturnValues": "ALL_OLD", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}',
    '{"TableName": "xo-test", "Key": {"GameId": {"S": "lobby"}}, "UpdateExpression": "SET #lgame = :game, #lconn = :conn, #until = :until, #ttl = :ttl", "ConditionExpression": "attribute_not_exists(#lgame) OR #until <= :now", "ExpressionAttributeNames": {"#ttl": "ttl", "#lgame": "game", "#lconn": "conn", "#until": "until"}, "ExpressionAttributeValues": {":game": {"S": "C_GAME"}, ":conn": {"S": "C"}, ":until": {"N": "1900000300"}, ":ttl": {"N": "1900000300"}, ":now": {"N": "1900000000"}}, "ReturnValues": "ALL_NEW", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}',
    '{"TableName": "xo-test", "Key": {"GameId": {"S": "lobby"}}, "UpdateExpression": "REMOVE #lgame, #lconn, #until", "ConditionExpression": "#lgame = :game", "ExpressionAttributeNames": {"#lgame": "game", "#lconn": "conn", "#until": "until"}, "ExpressionAttributeValues": {":game": {"S": "C_GAME"}}, "ReturnValues": "ALL_NEW", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}',
]
"""The text of every request the lobby's writes send for the story of
`test_the_lobby_requests_are_sent_to_the_letter` (`A_GAME`, `C_GAME`: the games' random ids)."""


def test_the_first_player_waits_and_the_second_is_paired_with_it(players: Players) -> None:
    players.send("A", MATCH)
    init = players.last("A")
    assert init["type"] == "init" and init["mark"] == "x"
    players.send("B", MATCH)
    joined = players.last("B")
    assert (joined["type"], joined["id"], joined["mark"]) == ("join", init["id"], "o")
    assert players.received("A") == [{"type": "join", "id": init["id"], "mark": "x"}]
    players.send("A", {"type": "play", "id": init["id"], "tile": "1,1"})
    assert players.last("B")["type"] == "play"


def test_a_waiting_player_who_leaves_is_no_longer_offered(players: Players) -> None:
    players.send("A", MATCH)
    players.received("A")
    players.disconnect("A")
    players.send("B", MATCH)
    assert players.last("B")["type"] == "init"  # B waits: nobody is offered


def test_an_offer_expires_after_the_wait(players: Players, clock: list[int], table: Any) -> None:
    players.send("A", MATCH)
    a_game = players.last("A")["id"]
    clock[0] += match.WAIT_SECONDS
    players.send("B", MATCH)
    assert players.last("B")["type"] == "init"  # B waits in A's place
    assert players.received("A") == []
    assert game_item(table, a_game).players == {"A": "x"}  # nobody joined A's game


def test_a_player_is_never_paired_with_itself(players: Players) -> None:
    players.send("A", MATCH)
    players.received("A")
    players.send("A", MATCH)
    assert players.last("A")["code"] == "unavailable"  # its own offer stands; nothing changed


def test_the_lobby_requests_are_sent_to_the_letter(players: Players) -> None:
    """A waits, B is paired with A, C waits and leaves: the lobby's conditional writes are
    exactly `LOBBY_REQUESTS`, as botocore renders them for the wire."""
    sent: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        body = params["body"].decode()
        if json.loads(body)["Key"] == {"GameId": {"S": store.LOBBY_KEY}}:
            sent.append(body)

    aws.dynamodb().meta.events.register("before-call.dynamodb.UpdateItem", record)
    players.send("A", MATCH)
    a_game = players.last("A")["id"]
    players.send("B", MATCH)
    assert players.last("B")["id"] == a_game
    players.send("C", MATCH)
    c_game = players.last("C")["id"]
    players.disconnect("C")
    assert sent == [
        text.replace("A_GAME", a_game).replace("C_GAME", c_game) for text in LOBBY_REQUESTS
    ]


def test_two_players_racing_for_one_waiting_player_100_rounds(
    players: Players, table: Any, atomic_moto: None
) -> None:
    """Each round, two players send `match` at once while one waits: exactly one is paired
    with the waiting player, the other waits in its place (and is the next round's waiting
    player). Nobody is paired twice; every game has exactly two players."""
    players.send("W0", MATCH)
    waiting = "W0"
    waiting_game = players.last("W0")["id"]
    seats: dict[str, str] = {}  # connection -> the game it plays in
    for n in range(ROUNDS):
        a, b = f"A{n}", f"B{n}"
        race(lambda a=a: players.send(a, MATCH), lambda b=b: players.send(b, MATCH))
        answers = {conn: players.received(conn) for conn in (a, b)}
        kinds = sorted(messages[-1]["type"] for messages in answers.values())
        assert kinds == ["init", "join"], answers
        paired = next(conn for conn, got in answers.items() if got[-1]["type"] == "join")
        new_waiter = b if paired == a else a
        assert answers[paired][-1]["id"] == waiting_game
        assert players.received(waiting) == [{"type": "join", "id": waiting_game, "mark": "x"}]
        for conn in (waiting, paired):
            assert conn not in seats, f"{conn} paired twice"
            seats[conn] = waiting_game
        record = game_item(table, waiting_game)
        assert record.players == {waiting: "x", paired: "o"}
        waiting, waiting_game = new_waiter, answers[new_waiter][-1]["id"]
    assert len(seats) == 2 * ROUNDS and len(set(seats.values())) == ROUNDS
    print(f"{ROUNDS} rounds: {len(seats)} players seated once each")


def test_two_players_racing_with_nobody_waiting_are_paired_together(
    players: Players, atomic_moto: None
) -> None:
    for n in range(20):
        a, b = f"A{n}", f"B{n}"
        race(lambda a=a: players.send(a, MATCH), lambda b=b: players.send(b, MATCH))
        got = {conn: players.received(conn) for conn in (a, b)}
        types = sorted(message["type"] for messages in got.values() for message in messages)
        assert types == ["init", "join", "join"], got  # one waited, then both heard join
        assert len({messages[-1]["id"] for messages in got.values()}) == 1


def test_a_seating_that_worked_is_reported_even_if_the_leftover_game_cannot_be_deleted(
    players: Players, table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B creates a game, but A offers first; B takes A's game instead and deletes its own.
    DynamoDB failing that delete must not turn B's seat into `unavailable`: both hear `join`."""
    offer = store.offer_waiting

    def a_offers_first(game_id: str, connection: str, until: int) -> bool:
        if connection == "B":
            monkeypatch.setattr(store, "offer_waiting", offer)
            players.send("A", MATCH)
        return offer(game_id, connection, until)

    monkeypatch.setattr(store, "offer_waiting", a_offers_first)

    def throttle_deletes(model: Any, **_: Any) -> None:
        if model.name == "DeleteItem":
            error = {"Code": "ThrottlingException", "Message": "Rate exceeded"}
            raise ClientError({"Error": error}, "DeleteItem")

    aws.dynamodb().meta.events.register("before-call.dynamodb", throttle_deletes)
    players.send("B", MATCH)
    init, heard = players.received("A")
    a_game = init["id"]
    assert heard == {"type": "join", "id": a_game, "mark": "x"}
    joined = players.last("B")
    assert (joined["type"], joined["id"], joined["mark"]) == ("join", a_game, "o")
    assert game_item(table, a_game).players == {"A": "x", "B": "o"}
