"""A write that succeeded is a fact: whatever `@connections` or DynamoDB answer afterwards,
the request succeeds, the stored game stands, the failure is logged with the connection id,
and the player who was not reached catches up by `resume` (PROTOCOL.md, "Delivery is best
effort").

Faults on `@connections`: 410 gone, 429 full buffer (`LimitExceededException`), 500, 403 and
a read timeout, each as boto3 raises it. On DynamoDB: throttling of every call after the
handler's own write. Every handler that writes and then posts is covered: start, join, play,
resume and `$disconnect`.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions import aws
from game.rules import Mark
from tests.functions.conftest import FAULTS, TIMEOUT, Players, game_item

pytestmark = pytest.mark.parametrize("fault", list(FAULTS), ids=str)

OK = {"statusCode": 200}


def logged(caplog: pytest.LogCaptureFixture, connection_id: str, fault: int | str) -> bool:
    """A log line names the connection and the error (410 is logged as "gone")."""
    words = {410: "gone", TIMEOUT: "ReadTimeoutError"}.get(fault) or FAULTS[fault][0]
    return any(
        connection_id in record.getMessage() and words in record.getMessage()
        for record in caplog.records
    )


def no_errors(messages: list[dict[str, Any]]) -> bool:
    return all(message["type"] != "error" for message in messages)


def catches_up(players: Players, connection: str, game_id: str, token: str) -> dict[str, Any]:
    """The unreached player resumes (from the same connection) and gets the stored game."""
    players.connections.faults.pop(connection, None)
    players.connections.gone.discard(connection)
    players.received(connection)
    assert players.send(connection, {"type": "resume", "id": game_id, "token": token}) == OK
    state = players.last(connection)
    assert state["type"] == "state", state
    return state


def fail_posts_to(players: Players, connection: str, fault: int | str) -> None:
    if fault == 410:
        players.connections.gone.add(connection)
    else:
        players.connections.faults[connection] = fault


def test_a_move_is_stored_and_succeeds_whatever_the_post_to_the_opponent_meets(
    players: Players, table: Any, fault: int | str, caplog: pytest.LogCaptureFixture
) -> None:
    game_id, _, o_token = players.new_game()
    fail_posts_to(players, "O1", fault)
    assert players.send("X1", {"type": "play", "id": game_id, "tile": "1,1"}) == OK
    assert game_item(table, game_id).game.board[4] == "x"
    to_x = players.received("X1")
    assert no_errors(to_x)
    assert to_x == ([{"type": "opponent_left", "id": game_id}] if fault == 410 else [])
    assert logged(caplog, "O1", fault)
    state = catches_up(players, "O1", game_id, o_token)
    assert state["board"][1][1] == "x" and state["next"] == "o"


def test_a_join_is_stored_and_succeeds_whatever_the_post_to_the_creator_meets(
    players: Players, table: Any, fault: int | str, caplog: pytest.LogCaptureFixture
) -> None:
    players.send("X1", {"type": "start"})
    init = players.last("X1")
    fail_posts_to(players, "X1", fault)
    assert players.send("O1", {"type": "join", "id": init["id"]}) == OK
    to_o = players.received("O1")
    assert to_o[0]["type"] == "join" and no_errors(to_o)
    assert set(game_item(table, init["id"]).tokens) == {"x", "o"}
    assert logged(caplog, "X1", fault)
    assert catches_up(players, "X1", init["id"], init["token"])["opponent"] == "here"


def test_a_start_is_stored_and_succeeds_whatever_the_post_of_init_meets(
    players: Players, table: Any, fault: int | str, caplog: pytest.LogCaptureFixture
) -> None:
    """The creator who never got init cannot resume (only init carries its token): the game
    exists, and the request was not reported as failed."""
    fail_posts_to(players, "X1", fault)
    assert players.send("X1", {"type": "start"}) == OK
    assert len([item for item in table.scan(TableName="xo-test")["Items"] if "board" in item]) == 1
    assert logged(caplog, "X1", fault)


def test_a_resume_is_stored_and_succeeds_whatever_the_posts_meet(
    players: Players, table: Any, fault: int | str, caplog: pytest.LogCaptureFixture
) -> None:
    """x left; x resumes from X2 while both its own state and o's opponent_back fail."""
    game_id, x_token, o_token = players.new_game()
    players.disconnect("X1")
    players.received("O1")
    fail_posts_to(players, "O1", fault)
    if fault != 410:  # a resume whose own state is gone gives its seat back (tested apart)
        fail_posts_to(players, "X2", fault)
    assert players.send("X2", {"type": "resume", "id": game_id, "token": x_token}) == OK
    assert game_item(table, game_id).connection_of(Mark.X) == "X2"  # type: ignore[arg-type]
    assert logged(caplog, "O1", fault)
    assert no_errors(players.received("X2"))
    assert catches_up(players, "O1", game_id, o_token)["opponent"] == "here"


def test_a_disconnect_is_stored_whatever_the_post_to_the_opponent_meets(
    players: Players, table: Any, fault: int | str, caplog: pytest.LogCaptureFixture
) -> None:
    game_id, _, o_token = players.new_game()
    fail_posts_to(players, "O1", fault)
    players.disconnect("X1")  # raises if the handler fails
    assert game_item(table, game_id).connection_of(Mark.X) is None  # type: ignore[arg-type]
    assert logged(caplog, "O1", fault)
    assert catches_up(players, "O1", game_id, o_token)["opponent"] == "away"


class ThrottledAfter:
    """The handlers' DynamoDB client, throttled (`ThrottlingException`, after botocore's own
    retries) from the `writes`+1-th write on: the handler's own writes land, every later
    call fails."""

    WRITES = frozenset({"put_item", "update_item"})

    def __init__(self, client: Any, writes: int) -> None:
        self.client, self.writes = client, writes

    def __getattr__(self, name: str) -> Any:
        call = getattr(self.client, name)

        def throttled(**request: Any) -> Any:
            if self.writes <= 0:
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, name
                )
            if name in self.WRITES:
                self.writes -= 1
            return call(**request)

        return throttled


@pytest.mark.parametrize(
    ("route", "writes"), [("join", 2), ("play", 1), ("resume", 2), ("$disconnect", 1)]
)
def test_dynamodb_throttled_after_the_write_fails_nothing_the_write_did(
    players: Players,
    table: Any,
    fault: int | str,
    route: str,
    writes: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DynamoDB throttles every call after the handler's own writes (the detach of a gone
    connection, a seat's bookkeeping, the second game of a `$disconnect`); the request still
    succeeds, with the write stored and the failures logged."""
    players.send("X1", {"type": "start"})
    init = players.last("X1")
    game_id = init["id"]
    if route != "join":
        players.send("O1", {"type": "join", "id": game_id})
        o_token = players.last("O1")["token"]
        players.received("X1")
    if route == "resume":
        players.disconnect("X1")
        players.received("O1")
    if route == "$disconnect":  # a second game on the same connection, listed after the first
        players.send("X1", {"type": "start"})
        other = players.last("X1")["id"]
        players.send("O2", {"type": "join", "id": other})
        players.received("X1")
    opponent = {"join": "X1", "play": "O1", "resume": "O1", "$disconnect": "O1"}[route]
    fail_posts_to(players, opponent, fault)
    reachable = aws.dynamodb()
    aws.use("dynamodb", ThrottledAfter(reachable, writes))
    try:
        if route == "join":
            assert players.send("O1", {"type": "join", "id": game_id}) == OK
            assert players.received("O1")[0]["type"] == "join"
        elif route == "play":
            assert players.send("X1", {"type": "play", "id": game_id, "tile": "1,1"}) == OK
            assert no_errors(players.received("X1"))
        elif route == "resume":
            assert (
                players.send("X2", {"type": "resume", "id": game_id, "token": init["token"]}) == OK
            )
            assert players.received("X2")[0]["type"] == "state"
        else:
            players.disconnect("X1")
    finally:
        aws.use("dynamodb", reachable)
    record = game_item(table, game_id)
    expected = {
        "join": lambda: set(record.tokens) == {"x", "o"},
        "play": lambda: record.game.board[4] == "x",
        "resume": lambda: record.connection_of(Mark.X) == "X2",
        # the first game's detach landed; the second one's was throttled, and logged
        "$disconnect": lambda: (
            ("X1" in record.players) != ("X1" in game_item(table, other).players)
            and any("not recorded" in line.getMessage() for line in caplog.records)
        ),
    }[route]
    assert expected()
    if route != "$disconnect":  # there, the throttled game may be the one O1 plays
        assert logged(caplog, opponent, fault)
    if route in ("play", "resume"):
        catches_up(players, "O1", game_id, o_token)
