"""Every route and every error code, handler by handler, against moto's DynamoDB."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from functions import aws
from game.rules import Game
from tests.functions.conftest import TABLE, Players, game_item

MOVES_X_WINS = ["0,0", "1,0", "0,1", "1,1", "0,2"]


def play_all(
    players: Players, game_id: str, tiles: list[str], x: str = "X1", o: str = "O1"
) -> None:
    for turn, tile in enumerate(tiles):
        players.send(x if turn % 2 == 0 else o, {"type": "play", "id": game_id, "tile": tile})


def error_code(players: Players, connection: str) -> str:
    message = players.last(connection)
    assert message["type"] == "error", message
    assert set(message) == {"type", "code", "message"} and message["message"].endswith(
        (".", ")")
    ), message
    return message["code"]


def test_start_sends_init_with_an_unguessable_id_and_a_token(players: Players, table: Any) -> None:
    """Given a connection, when it sends start, then it alone gets init with id, mark x and token."""
    players.send("X1", {"type": "start"})
    init = players.last("X1")
    assert init["type"] == "init" and init["mark"] == "x"
    assert len(init["id"]) == 22 and len(init["token"]) == 22  # 16 random bytes = 128 bits each
    record = game_item(table, init["id"])
    assert record.players == {"X1": "x"} and record.game == Game()
    assert init["token"] not in json.dumps(
        table.scan(TableName=TABLE)["Items"]
    )  # only its hash is kept


def test_join_tells_both_players_and_only_the_joiner_gets_a_token(players: Players) -> None:
    """When o joins, both get join with their own mark; only o's copy carries a token."""
    players.send("X1", {"type": "start"})
    game_id = players.last("X1")["id"]
    players.send("O1", {"type": "join", "id": game_id})
    to_o, to_x = players.last("O1"), players.last("X1")
    assert (to_o["type"], to_o["id"], to_o["mark"]) == ("join", game_id, "o") and len(
        to_o["token"]
    ) == 22
    assert to_x == {"type": "join", "id": game_id, "mark": "x"}


def test_a_valid_move_reaches_only_the_opponent(players: Players) -> None:
    """A move sends play (with the board after it) to the opponent and nothing to the mover."""
    game_id, _, _ = players.new_game()
    players.send("X1", {"type": "play", "id": game_id, "tile": "1,1"})
    assert players.received("X1") == []
    play = players.last("O1")
    assert play == {
        "type": "play",
        "id": game_id,
        "tile": "1,1",
        "mark": "x",
        "board": [[" ", " ", " "], [" ", "x", " "], [" ", " ", " "]],
        "next": "o",
        "winner": None,
    }


def test_a_client_that_asked_for_acks_gets_state_after_its_own_moves(players: Players) -> None:
    players.send("X1", {"type": "start", "ack": True})
    game_id = players.last("X1")["id"]
    players.send("O1", {"type": "join", "id": game_id})
    players.received("X1")
    players.send("X1", {"type": "play", "id": game_id, "tile": "2,2"})
    state = players.last("X1")
    assert state["type"] == "state" and state["board"][2][2] == "x" and state["next"] == "o"


@pytest.mark.parametrize(
    ("tiles", "winner"),
    [
        (MOVES_X_WINS, "x"),
        (["0,0", "1,0", "0,1", "1,1", "2,2", "1,2"], "o"),
        (["1,1", "0,0", "2,2", "0,2", "0,1", "2,1", "1,0", "1,2", "2,0"], "draw"),
    ],
)
def test_games_end_with_the_right_result(
    players: Players, table: Any, tiles: list[str], winner: str
) -> None:
    """A full game ends with a win for x, a win for o, or a draw, as the last play says."""
    game_id, _, _ = players.new_game()
    play_all(players, game_id, tiles)
    last_receiver = "O1" if len(tiles) % 2 == 1 else "X1"
    final = players.received(last_receiver)[-1]
    assert final["winner"] == winner and final["next"] is None
    assert game_item(table, game_id).game.outcome == winner


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "bad_request"),
        ("[1, 2]", "bad_request"),
        ('{"id": "x"}', "bad_request"),
        ('{"type": 7}', "bad_request"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "join"}', "bad_request"),
        ('{"type": "join", "id": 12}', "bad_request"),
        ('{"type": "join", "id": "nope"}', "game_not_found"),
        ('{"type": "join", "id": "AAAAAAAAAAAAAAAAAAAAAA"}', "game_not_found"),
        ('{"type": "play", "id": "AAAAAAAAAAAAAAAAAAAAAA", "tile": "1,1"}', "game_not_found"),
        ('{"type": "resume", "id": "AAAAAAAAAAAAAAAAAAAAAA", "token": "t"}', "game_not_found"),
    ],
)
def test_malformed_or_unknown_requests_get_their_error(
    players: Players, body: str, code: str
) -> None:
    """Only the sender hears of a bad request, with the code that names the fault."""
    players.send("Z1", body)
    assert error_code(players, "Z1") == code


def test_ping_is_answered_with_pong(players: Players) -> None:
    players.send("Z1", {"type": "ping"})
    assert players.last("Z1") == {"type": "pong"}


@pytest.mark.parametrize(
    ("sender", "tile", "code"),
    [
        ("O1", "1,1", "not_your_turn"),
        ("X1", "0,0", "tile_taken"),
        ("X1", "3,1", "invalid_tile"),
        ("X1", "one", "invalid_tile"),
        ("Z9", "2,2", "not_a_player"),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(
    players: Players, table: Any, sender: str, tile: str, code: str
) -> None:
    """Given x played 0,0 and o played 1,0, an illegal move gets its code and the item is unchanged."""
    game_id, _, _ = players.new_game()
    play_all(players, game_id, ["0,0", "1,0"])
    players.received("X1")
    players.received("O1")
    before = game_item(table, game_id)
    players.send(sender, {"type": "play", "id": game_id, "tile": tile})
    assert error_code(players, sender) == code
    assert game_item(table, game_id) == before
    assert players.received("O1" if sender != "O1" else "X1") == []


def test_no_move_after_the_game_is_won(players: Players) -> None:
    game_id, _, _ = players.new_game()
    play_all(players, game_id, MOVES_X_WINS)
    players.send("O1", {"type": "play", "id": game_id, "tile": "2,2"})
    assert error_code(players, "O1") == "game_over"


def test_no_move_before_an_opponent_joins(players: Players) -> None:
    players.send("X1", {"type": "start"})
    game_id = players.last("X1")["id"]
    players.send("X1", {"type": "play", "id": game_id, "tile": "1,1"})
    assert error_code(players, "X1") == "not_your_turn"


def test_a_third_player_cannot_join_and_the_creator_cannot_join_itself(
    players: Players, table: Any
) -> None:
    game_id, _, _ = players.new_game()
    players.send("Z1", {"type": "join", "id": game_id})
    assert error_code(players, "Z1") == "game_full"
    players.send("X1", {"type": "join", "id": game_id})
    assert error_code(players, "X1") == "game_full"
    assert set(game_item(table, game_id).players) == {"X1", "O1"}


def test_a_token_replayed_from_a_second_connection_takes_the_seat_and_tells_the_first(
    players: Players, table: Any
) -> None:
    """A new connection with x's token takes x's seat and gets state; the connection that held
    the seat is told seat_taken; o, which never saw x leave, hears nothing (it used to get a
    spurious opponent_back, and x1 was never told)."""
    game_id, x_token, _ = players.new_game()
    play_all(players, game_id, ["1,1", "0,0"])
    players.received("O1")
    players.received("X1")
    players.send("X2", {"type": "resume", "id": game_id, "token": x_token})
    state = players.last("X2")
    assert state == {
        "type": "state",
        "id": game_id,
        "mark": "x",
        "board": [["o", " ", " "], [" ", "x", " "], [" ", " ", " "]],
        "next": "x",
        "winner": None,
        "opponent": "here",
    }
    assert players.received("X1") == [{"type": "seat_taken", "id": game_id}]
    assert players.received("O1") == []
    assert game_item(table, game_id).players == {"X2": "x", "O1": "o"}
    players.send(
        "X1", {"type": "play", "id": game_id, "tile": "2,2"}
    )  # the old connection lost its seat
    assert error_code(players, "X1") == "not_a_player"
    players.send("X2", {"type": "play", "id": game_id, "tile": "2,2"})
    assert players.last("O1")["tile"] == "2,2"


def test_resume_with_a_wrong_token_is_not_a_player(players: Players) -> None:
    game_id, _, _ = players.new_game()
    players.send("Z1", {"type": "resume", "id": game_id, "token": "A" * 22})
    assert error_code(players, "Z1") == "not_a_player"


def test_disconnect_tells_the_opponent_and_resume_brings_the_player_back(
    players: Players, table: Any
) -> None:
    game_id, _, o_token = players.new_game()
    players.send("X1", {"type": "play", "id": game_id, "tile": "1,1"})
    players.received("O1")
    players.disconnect("O1")
    assert players.last("X1") == {"type": "opponent_left", "id": game_id}
    assert game_item(table, game_id).players == {"X1": "x"}
    players.send("O2", {"type": "resume", "id": game_id, "token": o_token})
    assert players.last("O2")["next"] == "o"
    assert players.last("X1") == {"type": "opponent_back", "id": game_id}


def test_disconnect_after_the_game_is_over_tells_no_one(players: Players) -> None:
    game_id, _, _ = players.new_game()
    play_all(players, game_id, MOVES_X_WINS)
    players.received("O1")
    players.received("X1")
    players.disconnect("X1")
    players.disconnect("O1")
    assert players.received("O1") == [] and players.received("X1") == []


def test_disconnect_of_a_connection_in_no_game_does_nothing(players: Players) -> None:
    players.disconnect("nobody")
    assert players.connections.posts == 0


def test_a_move_to_a_gone_opponent_succeeds_and_the_mover_is_told(
    players: Players, table: Any
) -> None:
    """A 410 from @connections never fails the move: the stale connection is detached."""
    game_id, _, _ = players.new_game()
    players.connections.gone.add("O1")
    players.send("X1", {"type": "play", "id": game_id, "tile": "1,1"})
    assert players.last("X1") == {"type": "opponent_left", "id": game_id}
    record = game_item(table, game_id)
    assert record.game.board[4] == "x" and record.players == {"X1": "x"}


def test_an_expired_game_is_not_found_for_every_request(players: Players, clock: list[int]) -> None:
    """Past its ttl a game is game_not_found, even though DynamoDB has not deleted it yet."""
    game_id, x_token, _ = players.new_game()
    clock[0] += 3600
    for body in (
        {"type": "play", "id": game_id, "tile": "1,1"},
        {"type": "join", "id": game_id},
        {"type": "resume", "id": game_id, "token": x_token},
    ):
        players.send("X1", body)
        assert error_code(players, "X1") == "game_not_found"


def test_each_move_pushes_the_expiry_forward(
    players: Players, clock: list[int], table: Any
) -> None:
    """A game that keeps moving never expires, though its whole life is longer than the ttl."""
    game_id, _, _ = players.new_game()
    for turn, tile in enumerate(MOVES_X_WINS):
        clock[0] += 3000  # under the 3600 s ttl each time, 15000 s in all
        players.send("X1" if turn % 2 == 0 else "O1", {"type": "play", "id": game_id, "tile": tile})
    assert game_item(table, game_id).game.outcome == "x"
    assert game_item(table, game_id).expires == clock[0] + 3600


class Unreachable:
    """A DynamoDB client whose every call fails the way boto3 reports an outage or throttling."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def fail(**_: Any) -> Any:
            raise self.error

        return fail


@pytest.mark.parametrize(
    "error",
    [
        ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "UpdateItem"
        ),
        ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}},
            "UpdateItem",
        ),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
    ],
)
def test_an_unavailable_store_is_reported_and_nothing_changes(
    players: Players, table: Any, error: Exception
) -> None:
    game_id, _, _ = players.new_game()
    before = game_item(table, game_id)
    reachable = aws.dynamodb()
    aws.use("dynamodb", Unreachable(error))
    for sender, body in (
        ("X1", {"type": "play", "id": game_id, "tile": "1,1"}),
        ("N1", {"type": "start"}),
    ):
        players.send(sender, body)
        assert error_code(players, sender) == "unavailable"
    assert players.received("O1") == []
    aws.use("dynamodb", reachable)
    assert game_item(table, game_id) == before


def test_a_resume_from_a_connection_already_gone_gives_the_seat_back(
    players: Players, table: Any
) -> None:
    """A late resume from a dropped connection must not keep the seat: it is detached again.
    It did take the seat from X1 for a moment, so X1 is told seat_taken and o, whose opponent
    is now away, opponent_left; opponent_back follows when x resumes."""
    game_id, x_token, _ = players.new_game()
    players.connections.gone.add("X9")
    players.send("X9", {"type": "resume", "id": game_id, "token": x_token})
    assert game_item(table, game_id).players == {"O1": "o"}
    assert players.received("X1") == [{"type": "seat_taken", "id": game_id}]
    assert players.received("O1") == [{"type": "opponent_left", "id": game_id}]
    players.send("X2", {"type": "resume", "id": game_id, "token": x_token})
    assert players.last("X2")["type"] == "state"
    assert players.received("O1") == [{"type": "opponent_back", "id": game_id}]
    assert game_item(table, game_id).players == {"X2": "x", "O1": "o"}
