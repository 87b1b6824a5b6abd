"""One refusal reads the same whichever route refuses it: a finished game's `game_over`,
and `not_a_player` for a connection that holds no seat, against moto's DynamoDB."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functions.conftest import Players, game_item

SECONDS = 30

X_WINS = ["0,0", "1,0", "0,1", "1,1", "0,2"]
DRAW = ["0,0", "0,1", "0,2", "1,1", "1,0", "1,2", "2,1", "2,0", "2,2"]


def clocked_game(players: Players) -> str:
    """A game with a turn clock (so that `claim` gets as far as the game's end), o joined."""
    players.send("X1", {"type": "start", "clock": SECONDS})
    game_id = str(players.last("X1")["id"])
    players.send("O1", {"type": "join", "id": game_id})
    players.received("O1")
    players.received("X1")
    return game_id


def play_out(players: Players, game_id: str, tiles: list[str]) -> None:
    for turn, tile in enumerate(tiles):
        players.send("X1" if turn % 2 == 0 else "O1", {"type": "play", "id": game_id, "tile": tile})


def x_wins(players: Players, game_id: str, clock: list[int]) -> None:
    play_out(players, game_id, X_WINS)


def draw(players: Players, game_id: str, clock: list[int]) -> None:
    play_out(players, game_id, DRAW)


def o_runs_out_of_time(players: Players, game_id: str, clock: list[int]) -> None:
    play_out(players, game_id, ["1,1"])
    clock[0] += SECONDS + 1
    players.send("X1", {"type": "claim", "id": game_id})


def x_resigns(players: Players, game_id: str, clock: list[int]) -> None:
    players.send("X1", {"type": "resign", "id": game_id})


@pytest.mark.parametrize(
    ("end", "sentence"),
    [
        (x_wins, "The game is over: x won."),
        (draw, "The game is over: it was a draw."),
        (o_runs_out_of_time, "The game is over: o ran out of time, x won."),
        (x_resigns, "The game is over: x resigned, o won."),
    ],
)
@pytest.mark.parametrize(
    "request_",
    [
        {"type": "play", "tile": "2,2"},
        {"type": "resign"},
        {"type": "claim"},
    ],
    ids=["play", "resign", "claim"],
)
def test_a_finished_game_refuses_every_player_request_with_one_sentence(
    players: Players, clock: list[int], table: Any, end: Any, sentence: str, request_: Any
) -> None:
    game_id = clocked_game(players)
    end(players, game_id, clock)
    players.received("X1"), players.received("O1")
    before = game_item(table, game_id)
    for player in ("X1", "O1"):
        players.send(player, {**request_, "id": game_id})
        refused = players.last(player)
        assert (refused["code"], refused["message"]) == ("game_over", sentence)
    assert game_item(table, game_id) == before


@pytest.mark.parametrize("kind", ["play", "resign", "claim", "rematch"])
def test_a_connection_without_a_seat_is_told_so_in_the_same_words_by_every_route(
    players: Players, table: Any, kind: str
) -> None:
    """A spectator or a stranger (or a player whose seat another connection resumed) gets
    the same `not_a_player` sentence, with the way back for a player, and nothing changes."""
    game_id = clocked_game(players)
    players.send("W1", {"type": "watch", "id": game_id})
    players.received("W1")
    before = game_item(table, game_id)
    for stranger in ("W1", "Z1"):
        players.send(stranger, {"type": kind, "id": game_id, "tile": "1,1"})
        refused = players.last(stranger)
        assert (refused["code"], refused["message"]) == (
            "not_a_player",
            "This connection does not play in that game (if you did, resume with your token).",
        )
    assert game_item(table, game_id) == before
    assert players.received("X1") == [] and players.received("O1") == []
