"""Properties of the wire protocol: no frame a client can send makes the parser fail any other way than GameError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from game.errors import ErrorCode, GameError
from game.protocol import (
    REQUEST_TYPES,
    Join,
    Ping,
    Play,
    Resume,
    Start,
    encode,
    parse_event,
    parse_request,
    play_message,
    state_message,
)
from game.rules import Game, Mark, format_tile

REQUESTS = (Start, Join, Play, Resume, Ping)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)
IDS = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{22}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_=/+-]{20,24}", fullmatch=True),
    JSON_VALUES,
)
TILES = st.one_of(
    st.from_regex(r" ?[0-3] ?, ?-?[0-3] ?", fullmatch=True), st.text(max_size=20), JSON_VALUES
)
REQUEST_SHAPED = st.fixed_dictionaries(
    {
        "type": st.one_of(st.sampled_from(REQUEST_TYPES), st.text(max_size=50), JSON_VALUES),
        "id": IDS,
        "tile": TILES,
        "token": st.one_of(st.text(max_size=70), JSON_VALUES),
    },
    optional={"ack": st.booleans() | JSON_VALUES},
)


def parses_or_refuses(body: str | bytes) -> None:
    """`body` parses to a request, or is refused with a GameError that has a sentence."""
    try:
        request = parse_request(body)
    except GameError as error:
        assert isinstance(error.code, ErrorCode)
        assert error.message
        event(f"refused: {error.code.value}")
    else:
        assert isinstance(request, REQUESTS)
        event(f"parsed: {type(request).__name__}")


@given(st.text())
def test_any_text_parses_or_is_refused(body: str) -> None:
    """Given any text, when parsed as a request, then the only error ever raised is GameError."""
    parses_or_refuses(body)


@given(st.binary())
def test_any_bytes_parse_or_are_refused(body: bytes) -> None:
    """Given any bytes, when parsed as a request, then the only error ever raised is GameError."""
    parses_or_refuses(body)


@given(JSON_VALUES)
def test_any_json_value_parses_or_is_refused(value: Any) -> None:
    """Given any JSON value, when sent as a request, then the only error ever raised is GameError."""
    parses_or_refuses(json.dumps(value))


@given(REQUEST_SHAPED)
def test_any_request_shaped_object_parses_or_is_refused(message: dict[str, Any]) -> None:
    """Given an object with a type and any id, tile, token and ack, when parsed, then it is a request or a GameError."""
    parses_or_refuses(json.dumps(message))


@st.composite
def reachable_games(draw: st.DrawFn) -> tuple[Game, str | None, Mark | None]:
    """A game some legal play reaches, with its last tile and who played it (None for a new game)."""
    game, tile, mark = Game(), None, None
    for _ in range(draw(st.integers(min_value=0, max_value=9))):
        if game.turn is None:
            break
        mark = game.turn
        index = draw(st.sampled_from([i for i, cell in enumerate(game.board) if cell == " "]))
        game, tile = game.play(mark, index), format_tile(index)
    return game, tile, mark


@given(reachable_games(), st.sampled_from(Mark))
def test_any_state_survives_the_wire(
    played: tuple[Game, str | None, Mark | None], reader: Mark
) -> None:
    """Given any reachable game, when sent as state and read back, then the client has the same game."""
    game, _, _ = played
    read = parse_event(encode(state_message("abcdefghijklmnopqrst-_", reader, game)))
    assert (read.type, read.mark, read.game) == ("state", reader, game)


@given(reachable_games())
def test_any_move_survives_the_wire(played: tuple[Game, str | None, Mark | None]) -> None:
    """Given any move of any game, when sent as play and read back, then the client has the tile, mover and game."""
    game, tile, mark = played
    if tile is None or mark is None:
        return
    read = parse_event(encode(play_message("abcdefghijklmnopqrst-_", tile, mark, game)))
    assert (read.type, read.tile, read.mark, read.game) == ("play", tile, mark, game)
    row, column = (int(part) for part in read.tile.split(","))
    assert game.board[row * 3 + column] == mark.value


CELL_ROWS = st.lists(st.sampled_from(["x", "o", " "]), min_size=3, max_size=3)
SERVER_SHAPED = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["init", "join", "play", "state", "error", "pong"])
        | st.text(max_size=10)
    },
    optional={
        "id": JSON_VALUES,
        "mark": st.sampled_from(["x", "o"]) | JSON_VALUES,
        "token": JSON_VALUES,
        "tile": JSON_VALUES,
        "board": st.lists(
            CELL_ROWS | st.none() | st.integers() | JSON_VALUES, min_size=3, max_size=3
        )
        | JSON_VALUES,
        "message": JSON_VALUES,
    },
)


@given(JSON_VALUES | SERVER_SHAPED)
def test_any_server_frame_is_read_or_is_a_value_error(value: Any) -> None:
    """Given any JSON frame from the server side, when read, then it is an Event or a ValueError the client skips."""
    try:
        parse_event(json.dumps(value))
    except ValueError:
        pass
