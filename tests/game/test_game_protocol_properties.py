"""Properties of the wire protocol over the whole Unicode range, lone surrogates included: every
frame a client can send parses to a request whose text fields can be encoded, or is refused with
an error code PROTOCOL.md documents; every server frame reads to an event whose text fields can
be encoded, or is a ValueError."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, get_args

from hypothesis import event, example, given
from hypothesis import strategies as st

from game.errors import ErrorCode, GameError
from game.protocol import (
    REQUEST_TYPES,
    Request,
    encode,
    parse_event,
    parse_request,
    play_message,
    state_message,
)
from game.rules import Game, Mark, format_tile
from tests.text import any_text, is_encodable

REQUESTS = get_args(Request)
"""Every request type the protocol has."""

PROTOCOL_MD = Path(__file__).resolve().parents[2] / "PROTOCOL.md"


def documented_error_codes() -> set[str]:
    """The codes in PROTOCOL.md's table of errors (its rows start with a code in backquotes)."""
    errors = PROTOCOL_MD.read_text().split("## Errors", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", errors, flags=re.MULTILINE))


DOCUMENTED_CODES = documented_error_codes()


def test_every_error_code_is_documented_and_every_documented_code_exists() -> None:
    """PROTOCOL.md's error table and `ErrorCode` name the same codes."""
    assert {code.value for code in ErrorCode} == DOCUMENTED_CODES


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text(), children, max_size=4)
    ),
    max_leaves=12,
)
IDS = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{22}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_=/+-]{20,24}", fullmatch=True),
    JSON_VALUES,
)
TILES = st.one_of(
    st.from_regex(r" ?[0-3] ?, ?-?[0-3] ?", fullmatch=True), any_text(max_size=20), JSON_VALUES
)
TOKENS = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{22}", fullmatch=True),
    st.builds(
        lambda a, b: a + b, st.from_regex(r"[A-Za-z0-9_-]{0,21}", fullmatch=True), any_text()
    ),
    any_text(max_size=70),
    JSON_VALUES,
)
REQUEST_SHAPED = st.fixed_dictionaries(
    {
        "type": st.one_of(st.sampled_from(REQUEST_TYPES), any_text(max_size=50), JSON_VALUES),
        "id": IDS,
        "tile": TILES,
        "token": TOKENS,
    },
    optional={"ack": st.booleans() | JSON_VALUES},
)


def parses_or_refuses(body: str | bytes) -> None:
    """`body` parses to a request whose text fields all encode as UTF-8, or is refused with a
    GameError whose code PROTOCOL.md documents and whose sentence encodes too."""
    try:
        request = parse_request(body)
    except GameError as error:
        assert error.code.value in DOCUMENTED_CODES
        assert error.message and is_encodable(error.message)
        event(f"refused: {error.code.value}")
    else:
        assert isinstance(request, REQUESTS)
        for value in request:
            assert not isinstance(value, str) or is_encodable(value), request
        event(f"parsed: {type(request).__name__}")


@given(any_text())
def test_any_text_parses_or_is_refused(body: str) -> None:
    """Given any text (surrogates included), when parsed as a request, then it is a request or a documented refusal."""
    parses_or_refuses(body)


@given(st.binary())
def test_any_bytes_parse_or_are_refused(body: bytes) -> None:
    """Given any bytes, when parsed as a request, then it is a request or a documented refusal."""
    parses_or_refuses(body)


@given(JSON_VALUES)
def test_any_json_value_parses_or_is_refused(value: Any) -> None:
    """Given any JSON value, when sent as a request, then it is a request or a documented refusal."""
    parses_or_refuses(json.dumps(value))


@given(REQUEST_SHAPED)
@example({"type": "resume", "id": "A" * 22, "tile": "", "token": "A" * 21 + "\ud800"})
@example({"type": "play", "id": "A" * 22, "tile": "1,\udfff", "token": ""})
def test_any_request_shaped_object_parses_or_is_refused(message: dict[str, Any]) -> None:
    """Given an object with a type and any id, tile, token and ack, when parsed, then it is a request or a documented refusal."""
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
        "type": st.sampled_from(
            ["init", "join", "play", "state", "error", "pong", "seat_taken", "opponent_left"]
        )
        | any_text(max_size=10)
    },
    optional={
        "id": st.just("abcdefghijklmnopqrst-_") | any_text(max_size=30) | JSON_VALUES,
        "mark": st.sampled_from(["x", "o"]) | JSON_VALUES,
        "token": any_text(max_size=30) | JSON_VALUES,
        "tile": st.sampled_from(["0,0", "1,1"]) | any_text(max_size=5) | JSON_VALUES,
        "board": st.lists(
            CELL_ROWS | st.none() | st.integers() | JSON_VALUES, min_size=3, max_size=3
        )
        | JSON_VALUES,
        "next": st.sampled_from(["x", "o", None]) | JSON_VALUES,
        "winner": st.sampled_from(["x", "o", "draw", None]) | JSON_VALUES,
        "opponent": st.sampled_from(["waiting", "here", "away"]) | JSON_VALUES,
        "code": st.sampled_from(sorted(DOCUMENTED_CODES)) | JSON_VALUES,
        "message": any_text(max_size=30) | JSON_VALUES,
    },
)


@given(JSON_VALUES | SERVER_SHAPED)
def test_any_server_frame_is_read_or_is_a_value_error(value: Any) -> None:
    """Given any JSON frame from the server side, when read, then it is an Event whose text
    fields are encodable strings, whose mark is a Mark and whose board agrees with its `next`
    and `winner`; or it is a ValueError the client skips."""
    try:
        read = parse_event(json.dumps(value))
    except ValueError:
        event("refused")
        return
    event(f"read: {read.type if len(read.type) < 12 else 'long'}")
    for field in ("type", "id", "token", "tile", "code", "message", "opponent"):
        text = getattr(read, field)
        assert text is None or (isinstance(text, str) and is_encodable(text)), (field, text)
    assert read.mark is None or isinstance(read.mark, Mark)
    if read.game is not None and isinstance(value, dict):
        turn = read.game.turn
        assert value.get("next", turn.value if turn else None) == (turn.value if turn else None)
        assert value.get("winner", read.game.outcome) == read.game.outcome
