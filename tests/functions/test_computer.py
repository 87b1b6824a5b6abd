"""Games against the computer, handler by handler, against moto's DynamoDB."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from functions import aws
from game.rules import Game
from tests.functions.conftest import Players, game_item


@pytest.fixture
def dynamodb_calls(players: Players) -> Iterator[Counter[str]]:
    """DynamoDB operations the handlers call, by name."""
    calls: Counter[str] = Counter()

    def record(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client = aws.dynamodb()
    client.meta.events.register("before-call.dynamodb", record)
    yield calls
    client.meta.events.unregister("before-call.dynamodb", record)


def start_vs_computer(players: Players, level: str = "perfect", conn: str = "X1") -> str:
    players.send(conn, {"type": "start", "vs": "computer", "level": level})
    init = players.last(conn)
    assert init["type"] == "init" and init["vs"] == "computer" and init["level"] == level
    return str(init["id"])


def move(game_id: str, tile: str, board: Game | None, level: str = "perfect") -> dict[str, Any]:
    message: dict[str, Any] = {"type": "play", "id": game_id, "tile": tile}
    if board is not None:
        message.update(board=board.rows(), level=level)
    return message


def test_a_tutorial_start_gets_the_tutorial_init_and_nothing_more(players: Players) -> None:
    players.send("X1", {"type": "start"})
    assert set(players.last("X1")) == {"type", "id", "mark", "token"}


def test_start_vs_computer_gives_x_a_game_nobody_can_join(players: Players) -> None:
    game_id = start_vs_computer(players)
    players.send("O1", {"type": "join", "id": game_id})
    refused = players.last("O1")
    assert refused["code"] == "game_full"
    assert refused["message"] == "This game is played against the computer: start a new one."


def test_each_move_is_one_write_and_one_post_and_the_reply_comes_with_it(
    players: Players, dynamodb_calls: Counter[str]
) -> None:
    game_id = start_vs_computer(players)
    board = Game()
    dynamodb_calls.clear()
    posts = players.connections.posts
    players.send("X1", move(game_id, "1,1", board))
    answer = players.last("X1")
    assert dict(dynamodb_calls) == {"UpdateItem": 1}
    assert players.connections.posts - posts == 1
    assert answer["type"] == "play" and answer["mark"] == "o" and answer["next"] == "x"
    after = Game.from_moves(["1,1", answer["tile"]])
    assert answer["board"] == after.rows()
    assert game_item(_table(players), game_id).game == after


def _table(players: Players) -> Any:
    return aws.dynamodb()


def test_the_perfect_computer_never_loses_a_whole_game(players: Players) -> None:
    """x plays the first empty cell each turn; the computer wins, and x hears every reply."""
    game_id = start_vs_computer(players)
    board = Game()
    replies = 0
    while not board.is_over:
        tile = next(f"{k // 3},{k % 3}" for k in range(9) if board.board[k] == " ")
        players.send("X1", move(game_id, tile, board))
        answer = players.last("X1")
        assert answer["type"] in ("play", "state"), answer
        replies += answer["type"] == "play"
        board = Game(tuple(cell for row in answer["board"] for cell in row))
    assert board.outcome == "o" and replies == board.board.count("o")


def test_a_move_without_a_hint_is_still_answered_at_the_cost_of_one_more_write(
    players: Players, dynamodb_calls: Counter[str]
) -> None:
    game_id = start_vs_computer(players, level="random")
    dynamodb_calls.clear()
    players.send("X1", move(game_id, "0,0", None))
    answer = players.last("X1")
    assert answer["type"] == "play" and answer["mark"] == "o"
    assert dict(dynamodb_calls) == {"UpdateItem": 2}


def test_a_stale_hint_cannot_change_the_game_and_costs_one_more_write(
    players: Players, dynamodb_calls: Counter[str]
) -> None:
    game_id = start_vs_computer(players)
    players.send("X1", move(game_id, "0,0", Game()))
    first = players.last("X1")
    now = Game.from_moves(["0,0", first["tile"]])
    free = next(f"{k // 3},{k % 3}" for k in range(9) if now.board[k] == " ")
    dynamodb_calls.clear()
    players.send("X1", move(game_id, free, Game(), level="random"))  # wrong board and level
    answer = players.last("X1")
    assert dict(dynamodb_calls) == {"UpdateItem": 2}
    assert answer["type"] == "play" and answer["board"][int(free[0])][int(free[2])] == "x"
    assert Game(tuple(c for row in answer["board"] for c in row)).moves == 4


def test_a_taken_tile_is_refused_with_the_truth_even_under_a_lying_hint(players: Players) -> None:
    game_id = start_vs_computer(players)
    players.send("X1", move(game_id, "1,1", Game()))
    reply_tile = players.last("X1")["tile"]
    before = game_item(_table(players), game_id)
    players.send("X1", move(game_id, reply_tile, Game.from_moves(["1,1"])))  # hint says it is free
    refused = players.last("X1")
    assert refused["code"] == "tile_taken" and reply_tile in refused["message"]
    assert game_item(_table(players), game_id) == before


def test_a_move_that_ends_the_game_is_answered_with_the_final_state(players: Players) -> None:
    """The random computer leaves x a win sooner or later; that move is answered by `state`."""
    for _ in range(40):
        game_id = start_vs_computer(players, level="random")
        board = Game()
        while not board.is_over:
            x_wins = _winning_tile(board)
            tile = x_wins or next(f"{k // 3},{k % 3}" for k in range(9) if board.board[k] == " ")
            players.send("X1", move(game_id, tile, board, level="random"))
            answer = players.last("X1")
            board = Game(tuple(cell for row in answer["board"] for cell in row))
        if board.outcome == "x":
            assert answer == {
                "type": "state",
                "id": game_id,
                "mark": "x",
                "board": board.rows(),
                "next": None,
                "winner": "x",
                "vs": "computer",
                "level": "random",
            }
            return
    pytest.fail("x never won against the random computer in 40 games")


def _winning_tile(board: Game) -> str | None:
    for k in range(9):
        if board.board[k] == " " and board.turn is not None and board.play(board.turn, k).winner:
            return f"{k // 3},{k % 3}"
    return None


def test_a_player_resumes_a_game_against_the_computer(players: Players) -> None:
    players.send("X1", {"type": "start", "vs": "computer"})
    init = players.last("X1")
    players.send("X1", move(init["id"], "0,0", Game()))
    reply = players.last("X1")
    players.disconnect("X1")
    players.send("X2", {"type": "resume", "id": init["id"], "token": init["token"]})
    state = players.last("X2")
    assert state["type"] == "state" and state["board"] == reply["board"] and state["next"] == "x"
    assert (state["vs"], state["level"]) == ("computer", "perfect")  # so hints can go on


def test_a_hint_in_a_two_player_game_is_ignored(players: Players) -> None:
    game_id, _, _ = players.new_game()
    players.send("X1", move(game_id, "1,1", Game()))
    assert players.received("X1") == []
    assert players.last("O1")["type"] == "play"


@pytest.mark.parametrize(
    "start",
    [
        {"type": "start", "vs": "human"},
        {"type": "start", "vs": "computer", "level": "godlike"},
        {"type": "start", "level": "random"},
    ],
)
def test_a_bad_opponent_is_refused_and_creates_nothing(
    players: Players, start: dict[str, Any], table: Any
) -> None:
    players.send("X1", start)
    assert players.last("X1")["code"] == "bad_request"
    assert table.scan(TableName="xo-test")["Items"] == []
