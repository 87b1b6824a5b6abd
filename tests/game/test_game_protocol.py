"""The xo wire protocol: what a client may send, what it is told when it gets it wrong, what it receives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from game.errors import ErrorCode, GameError
from game.protocol import (
    OPPONENT_STATES,
    Event,
    Join,
    Ping,
    Play,
    Resume,
    Start,
    encode,
    error_message,
    init_message,
    join_message,
    parse_event,
    parse_request,
    play_message,
    pong_message,
    presence_message,
    seat_taken_message,
    state_message,
)
from game.rules import Game, Mark

GAME_ID = "abcdefghijklmnopqrst-_"  # 22 URL-safe base64 characters, like a real id
TOKEN = "0123456789ABCDEFGHIJ_-"
X, O = Mark.X, Mark.O


def send(message: Any) -> Any:
    """Parse `message` as a client frame, encoding it as JSON first unless it is already text."""
    return parse_request(
        message if isinstance(message, (str, bytes)) or message is None else json.dumps(message)
    )


def same(got: Any, expected: Any) -> bool:
    """`got` is `expected`, by class as well as by value (requests are tuples: equal values are not enough)."""
    return type(got) is type(expected) and got == expected


def rejection(message: Any) -> GameError:
    """The GameError a client frame is rejected with."""
    with pytest.raises(GameError) as caught:
        send(message)
    return caught.value


# ---- requests that are understood -------------------------------------------------------------


def test_start() -> None:
    """Given {"type":"start"}, when parsed, then it is a Start without ack."""
    assert same(send({"type": "start"}), Start(ack=False))


def test_start_with_ack() -> None:
    """Given a start with "ack": true, when parsed, then the Start asks for acks."""
    assert same(send({"type": "start", "ack": True}), Start(ack=True))


def test_join() -> None:
    """Given {"type":"join","id":ID}, when parsed, then it is a Join of that game without ack."""
    assert same(send({"type": "join", "id": GAME_ID}), Join(GAME_ID, ack=False))


def test_join_with_ack() -> None:
    """Given a join with "ack": true, when parsed, then the Join asks for acks."""
    assert same(send({"type": "join", "id": GAME_ID, "ack": True}), Join(GAME_ID, ack=True))


def test_play() -> None:
    """Given {"type":"play","id":ID,"tile":"2,1"}, when parsed, then it is a Play of cell 7 that keeps the tile text."""
    assert same(send({"type": "play", "id": GAME_ID, "tile": "2,1"}), Play(GAME_ID, "2,1", 7))


def test_play_allows_spaces_in_the_tile() -> None:
    """Given a tile written " 1 , 1 ", when parsed, then it is the centre."""
    assert send({"type": "play", "id": GAME_ID, "tile": " 1 , 1 "}).cell == 4


def test_resume() -> None:
    """Given {"type":"resume","id":ID,"token":TOKEN}, when parsed, then it is a Resume without ack."""
    assert same(
        send({"type": "resume", "id": GAME_ID, "token": TOKEN}), Resume(GAME_ID, TOKEN, ack=False)
    )


def test_resume_with_ack() -> None:
    """Given a resume with "ack": true, when parsed, then the Resume asks for acks."""
    assert same(
        send({"type": "resume", "id": GAME_ID, "token": TOKEN, "ack": True}),
        Resume(GAME_ID, TOKEN, ack=True),
    )


def test_ping() -> None:
    """Given {"type":"ping"}, when parsed, then it is a Ping."""
    assert same(send({"type": "ping"}), Ping())


def test_ack_false_is_the_same_as_no_ack() -> None:
    """Given "ack": false, when parsed, then it is as if ack were left out."""
    assert same(send({"type": "start", "ack": False}), send({"type": "start"}))


def test_unknown_fields_are_ignored() -> None:
    """Given a start with an extra field, when parsed, then the extra field makes no difference."""
    assert same(send({"type": "start", "colour": "blue"}), Start())


def test_bytes_bodies_are_read_like_text() -> None:
    """Given a UTF-8 bytes body, when parsed, then it means what the same text means."""
    assert same(parse_request(b'{"type":"join","id":"' + GAME_ID.encode() + b'"}'), Join(GAME_ID))


# ---- requests that are not ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", ["hello", "{", "", "{'type': 'start'}", '{"type":"start",}', b"\xff\xfe\x00"]
)
def test_not_json_is_a_bad_request(body: str | bytes) -> None:
    """Given a body that is not JSON, when parsed, then it is bad_request: not valid JSON."""
    error = rejection(body)
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == "The message is not valid JSON."


@pytest.mark.parametrize("body", ["[]", "1", '"start"', "null", "true", '[{"type":"start"}]'])
def test_json_that_is_not_an_object_is_a_bad_request(body: str) -> None:
    """Given JSON that is not an object, when parsed, then it is bad_request: must be an object."""
    error = rejection(body)
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == "The message must be a JSON object."


def test_no_body_is_a_bad_request() -> None:
    """Given no body at all (None), when parsed, then it is bad_request: the message was empty."""
    error = rejection(None)
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == "The message was empty: send a JSON object."


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"a":' * 100_000, b"[" * 100_000],
    ids=["open arrays", "closed arrays", "open objects", "bytes"],
)
def test_deeply_nested_json_is_a_bad_request_not_a_crash(body: str | bytes) -> None:
    """Given JSON nested 100,000 deep, when parsed, then it is bad_request, never a RecursionError."""
    assert rejection(body).code is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("message", [{}, {"type": None}, {"kind": "start"}])
def test_a_missing_type_is_a_bad_request(message: dict[str, Any]) -> None:
    """Given an object without a type, when parsed, then bad_request shows an example."""
    error = rejection(message)
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == 'Every message needs a "type", for example {"type": "start"}.'


@pytest.mark.parametrize("kind", [1, True, ["start"], {"name": "start"}])
def test_a_type_that_is_not_a_string_is_a_bad_request(kind: Any) -> None:
    """Given a type that is not a string, when parsed, then it is bad_request: type must be a string."""
    error = rejection({"type": kind})
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == 'The "type" field must be a string.'


def test_an_unknown_type_lists_the_types_there_are() -> None:
    """Given type "move", when parsed, then unknown_type names it and lists every valid type."""
    error = rejection({"type": "move"})
    assert error.code is ErrorCode.UNKNOWN_TYPE
    assert (
        error.message
        == "Unknown message type 'move': send one of start, join, play, resume, ping, watch, match, claim, rematch, resign."
    )


@pytest.mark.parametrize("kind", ["Start", "START", " start", ""])
def test_types_are_matched_exactly(kind: str) -> None:
    """Given a type that is only nearly a valid one, when parsed, then it is unknown_type."""
    assert rejection({"type": kind}).code is ErrorCode.UNKNOWN_TYPE


def test_a_long_unknown_type_is_cut_short_in_the_error() -> None:
    """Given a 1000-character type, when parsed, then unknown_type shows only its first 40 characters."""
    error = rejection({"type": "z" * 1000})
    assert error.code is ErrorCode.UNKNOWN_TYPE
    assert "'" + "z" * 40 + "...'" in error.message
    assert "z" * 41 not in error.message
    assert len(error.message) == len(rejection({"type": "z" * 40}).message) + len("...")


@pytest.mark.parametrize("kind", ["join", "play", "resume"])
def test_a_missing_id_is_a_bad_request(kind: str) -> None:
    """Given a join, play or resume without an id, when parsed, then bad_request asks for the id."""
    error = rejection({"type": kind, "tile": "1,1", "token": TOKEN})
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == 'This message needs the "id" field.'


@pytest.mark.parametrize("game_id", [12345, None, ["x"], {"id": GAME_ID}, True])
def test_an_id_that_is_not_a_string_is_a_bad_request(game_id: Any) -> None:
    """Given a join whose id is not a string (or null), when parsed, then it is bad_request."""
    assert rejection({"type": "join", "id": game_id}).code is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize(
    "game_id",
    ["", "short", GAME_ID[:-1], GAME_ID + "a", "abcdefghijklmnopqrst=/", "abcdefghijklmnopqrst é"],
    ids=["empty", "short", "21 characters", "23 characters", "not URL-safe", "accent"],
)
@pytest.mark.parametrize("kind", ["join", "play", "resume"])
def test_an_id_no_game_can_have_is_game_not_found(kind: str, game_id: str) -> None:
    """Given an id that is not 22 URL-safe base64 characters, when parsed, then it is game_not_found."""
    error = rejection({"type": kind, "id": game_id, "tile": "1,1", "token": TOKEN})
    assert error.code is ErrorCode.GAME_NOT_FOUND
    assert error.message == "No game has that id: check it, or start a new game."


def test_a_very_long_id_is_game_not_found_and_not_echoed_back() -> None:
    """Given a join with a 10,000-character id, when parsed, then it is game_not_found with a short sentence."""
    error = rejection({"type": "join", "id": "a" * 10_000})
    assert error.code is ErrorCode.GAME_NOT_FOUND
    assert "aaaa" not in error.message
    assert len(error.message) < 100


def test_a_play_without_a_tile_is_a_bad_request() -> None:
    """Given a play without a tile, when parsed, then bad_request asks for the tile."""
    error = rejection({"type": "play", "id": GAME_ID})
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == 'This message needs the "tile" field.'


@pytest.mark.parametrize("tile", [11, [1, 1], {"row": 1, "column": 1}, 1.1, False])
def test_a_tile_that_is_not_a_string_is_a_bad_request(tile: Any) -> None:
    """Given a play whose tile is not a string, when parsed, then bad_request says it must be a string."""
    error = rejection({"type": "play", "id": GAME_ID, "tile": tile})
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == 'The "tile" field must be a string.'


@pytest.mark.parametrize(
    "tile", ["9,9", "3,0", "-1,0", "a", "", "1", "1,2,3", "1.0,2", "1," + " " * 20 + "1"]
)
def test_a_tile_off_the_board_is_invalid_tile(tile: str) -> None:
    """Given a play whose tile is not "R,C" on the board, when parsed, then it is invalid_tile."""
    error = rejection({"type": "play", "id": GAME_ID, "tile": tile})
    assert error.code is ErrorCode.INVALID_TILE
    assert error.message


def test_a_very_long_tile_is_not_echoed_back() -> None:
    """Given a play with a 10,000-character tile, when parsed, then invalid_tile's sentence stays short."""
    error = rejection({"type": "play", "id": GAME_ID, "tile": "1" * 10_000})
    assert error.code is ErrorCode.INVALID_TILE
    assert error.message == 'That is not a tile: write it as row,column, for example "1,1".'


@pytest.mark.parametrize("ack", [1, 0, "true", "yes", None, [], {}])
@pytest.mark.parametrize("kind", ["start", "join", "resume"])
def test_an_ack_that_is_not_true_or_false_is_a_bad_request(kind: str, ack: Any) -> None:
    """Given an ack that is not a JSON boolean, when parsed, then bad_request says it must be true or false."""
    error = rejection({"type": kind, "id": GAME_ID, "token": TOKEN, "ack": ack})
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == 'The "ack" field must be true or false.'


def test_a_resume_without_a_token_is_a_bad_request() -> None:
    """Given a resume without a token, when parsed, then bad_request asks for the token."""
    error = rejection({"type": "resume", "id": GAME_ID})
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == 'This message needs the "token" field.'


def test_a_resume_with_a_token_no_player_can_have_is_not_a_player() -> None:
    """Given a resume with a 1000-character token, when parsed, then it is not_a_player."""
    assert (
        rejection({"type": "resume", "id": GAME_ID, "token": "t" * 1000}).code
        is ErrorCode.NOT_A_PLAYER
    )


LONE_SURROGATE = "\ud800"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "resume", "id": GAME_ID, "token": "A" * 21 + LONE_SURROGATE},
        {"type": "play", "id": GAME_ID, "tile": "1," + LONE_SURROGATE},
        {"type": "join", "id": LONE_SURROGATE * 22},
        {"type": "start" + LONE_SURROGATE},
    ],
    ids=["token", "tile", "id", "type"],
)
def test_a_lone_surrogate_in_any_string_field_is_a_bad_request(message: dict[str, Any]) -> None:
    """Given a field holding a lone surrogate (JSON's escaped \\ud800), when parsed, then it is
    bad_request, so no handler ever holds text it cannot encode (resume hashed such a token
    and crashed)."""
    error = rejection(json.dumps(message))
    assert error.code is ErrorCode.BAD_REQUEST
    assert "encoded as UTF-8" in error.message
    assert error.message.encode()


# ---- messages the server sends -----------------------------------------------------------------

# x in the centre, o in the top-left corner: x to move, nobody has won.
MIDGAME = Game.from_moves(["1,1", "0,0"])
MIDGAME_ROWS = [["o", " ", " "], [" ", "x", " "], [" ", " ", " "]]
X_WON = Game.from_moves(["0,0", "1,0", "0,1", "1,1", "0,2"])
DRAWN = Game.from_moves(["0,0", "1,1", "2,2", "0,2", "2,0", "1,0", "1,2", "2,1", "0,1"])


def test_init_message_tells_the_creator_the_id_their_mark_and_token() -> None:
    """Given a new game, then init carries its id, mark x and the creator's token."""
    assert init_message(GAME_ID, TOKEN) == {
        "type": "init",
        "id": GAME_ID,
        "mark": "x",
        "token": TOKEN,
    }


def test_join_message_carries_a_token_only_when_given_one() -> None:
    """Given o joined, then the joiner's join carries its token and the creator's copy has none."""
    assert join_message(GAME_ID, O, TOKEN) == {
        "type": "join",
        "id": GAME_ID,
        "mark": "o",
        "token": TOKEN,
    }
    assert join_message(GAME_ID, O) == {"type": "join", "id": GAME_ID, "mark": "o"}


def test_play_message_tells_the_opponent_the_move_and_the_game_after_it() -> None:
    """Given o played 0,0, then play carries the tile, o's mark, the board as rows, x next and no winner."""
    assert play_message(GAME_ID, "0,0", O, MIDGAME) == {
        "type": "play",
        "id": GAME_ID,
        "tile": "0,0",
        "mark": "o",
        "board": MIDGAME_ROWS,
        "next": "x",
        "winner": None,
    }


def test_state_message_shows_the_whole_game() -> None:
    """Given a game in progress, then state carries the id, the reader's mark, three rows of cells, next and winner."""
    assert state_message(GAME_ID, O, MIDGAME) == {
        "type": "state",
        "id": GAME_ID,
        "mark": "o",
        "board": MIDGAME_ROWS,
        "next": "x",
        "winner": None,
    }


@pytest.mark.parametrize(("game", "winner"), [(X_WON, "x"), (DRAWN, "draw")], ids=["won", "drawn"])
def test_state_message_of_a_finished_game_has_nobody_next(game: Game, winner: str) -> None:
    """Given a finished game, then state says nobody is next and who won, or that it was a draw."""
    message = state_message(GAME_ID, X, game)
    assert message["next"] is None
    assert message["winner"] == winner
    assert [len(row) for row in message["board"]] == [3, 3, 3]


def test_state_message_may_say_where_the_opponent_is() -> None:
    """Given where the opponent is, then state carries it as `opponent`; without it, no field."""
    for opponent in OPPONENT_STATES:
        assert state_message(GAME_ID, X, MIDGAME, opponent)["opponent"] == opponent
    assert "opponent" not in state_message(GAME_ID, X, MIDGAME)
    with pytest.raises(ValueError):
        state_message(GAME_ID, X, MIDGAME, "gone fishing")


def test_seat_taken_message() -> None:
    """The displaced connection is told which game it lost its seat in."""
    assert seat_taken_message(GAME_ID) == {"type": "seat_taken", "id": GAME_ID}


def test_presence_messages() -> None:
    """Given the opponent left or came back, then the message says which, for this game."""
    assert presence_message(GAME_ID, back=False) == {"type": "opponent_left", "id": GAME_ID}
    assert presence_message(GAME_ID, back=True) == {"type": "opponent_back", "id": GAME_ID}


def test_error_message_carries_the_code_and_the_sentence() -> None:
    """Given a refused move, then the error frame has the code as a string and the sentence as is."""
    error = GameError(ErrorCode.TILE_TAKEN, "Tile 1,1 is already taken by x.")
    assert error_message(error) == {
        "type": "error",
        "code": "tile_taken",
        "message": "Tile 1,1 is already taken by x.",
    }


def test_pong_message() -> None:
    """Given a ping, then the answer is {"type":"pong"}."""
    assert pong_message() == {"type": "pong"}


def test_encode_is_compact_json() -> None:
    """Given a message, when encoded, then it is JSON with no spaces between tokens."""
    assert encode(pong_message()) == '{"type":"pong"}'
    assert encode(state_message(GAME_ID, O, MIDGAME)) == (
        '{"type":"state","id":"abcdefghijklmnopqrst-_","mark":"o",'
        '"board":[["o"," "," "],[" ","x"," "],[" "," "," "]],"next":"x","winner":null}'
    )


# ---- reading server messages back (the client side) ---------------------------------------------


def read(message: dict[str, Any]) -> Event:
    """What a client makes of `message` after it crossed the wire."""
    return parse_event(encode(message))


def test_parse_event_reads_init() -> None:
    """Given an init frame, when read, then the client learns the id, its mark and its token."""
    assert read(init_message(GAME_ID, TOKEN)) == Event(type="init", id=GAME_ID, mark=X, token=TOKEN)


@pytest.mark.parametrize("token", [TOKEN, None])
def test_parse_event_reads_join(token: str | None) -> None:
    """Given a join frame with or without a token, when read, then the client learns the id, mark and any token."""
    assert read(join_message(GAME_ID, O, token)) == Event(
        type="join", id=GAME_ID, mark=O, token=token
    )


def test_parse_event_reads_play() -> None:
    """Given a play frame, when read, then the client has the tile, who played it and the game after it."""
    assert read(play_message(GAME_ID, "0,0", O, MIDGAME)) == Event(
        type="play", id=GAME_ID, mark=O, tile="0,0", game=MIDGAME
    )


@pytest.mark.parametrize(
    "game", [Game(), MIDGAME, X_WON, DRAWN], ids=["new", "midgame", "won", "drawn"]
)
def test_parse_event_reads_state(game: Game) -> None:
    """Given a state frame, when read, then the client's game agrees with the frame's board, next and winner."""
    message = state_message(GAME_ID, X, game)
    event = read(message)
    assert event == Event(type="state", id=GAME_ID, mark=X, game=game)
    assert event.game is not None
    assert event.game.rows() == message["board"]
    assert (event.game.turn.value if event.game.turn else None) == message["next"]
    assert event.game.outcome == message["winner"]


@pytest.mark.parametrize("back", [False, True])
def test_parse_event_reads_presence(back: bool) -> None:
    """Given an opponent_left or opponent_back frame, when read, then the client sees that type for this game."""
    event = read(presence_message(GAME_ID, back))
    assert event == Event(type="opponent_back" if back else "opponent_left", id=GAME_ID)


def test_parse_event_reads_error() -> None:
    """Given an error frame, when read, then the client has the code and the sentence to show."""
    error = GameError(ErrorCode.NOT_YOUR_TURN, "It is not your turn: x plays next.")
    assert read(error_message(error)) == Event(
        type="error", code="not_your_turn", message="It is not your turn: x plays next."
    )


@pytest.mark.parametrize("opponent", OPPONENT_STATES)
def test_parse_event_reads_where_the_opponent_is(opponent: str) -> None:
    """Given a state frame with `opponent`, when read, then the client has it."""
    assert read(state_message(GAME_ID, O, MIDGAME, opponent)).opponent == opponent


def test_parse_event_reads_seat_taken() -> None:
    assert read(seat_taken_message(GAME_ID)) == Event(type="seat_taken", id=GAME_ID)


def test_parse_event_reads_pong() -> None:
    """Given a pong frame, when read, then it is an event of type pong."""
    assert read(pong_message()) == Event(type="pong")


def test_parse_event_reads_bytes() -> None:
    """Given a frame as bytes, when read, then it is read like the same text."""
    assert parse_event(encode(init_message(GAME_ID, TOKEN)).encode()) == read(
        init_message(GAME_ID, TOKEN)
    )


def test_api_gateway_internal_server_error_becomes_an_error_event() -> None:
    """Given API Gateway's own "Internal server error" frame, when read, then it is an error with code internal."""
    frame = '{"message": "Internal server error", "connectionId": "L0SM9cOFvHcCIhw=", "requestId": "L0SM9FIuvHcF1Eg="}'
    event = parse_event(frame)
    assert event.type == "error"
    assert event.code == "internal"
    assert event.message == "The server failed: Internal server error."


def test_api_gateway_forbidden_becomes_an_error_event() -> None:
    """Given API Gateway's "Forbidden" frame (no route matched), when read, then it is an error with code forbidden."""
    frame = '{"message": "Forbidden", "connectionId": "L0SM9cOFvHcCIhw=", "requestId": "L0SM9FIuvHcF1Eg="}'
    event = parse_event(frame)
    assert event.type == "error"
    assert event.code == "forbidden"
    assert event.message == "The server failed: Forbidden."


@pytest.mark.parametrize("frame", ["[]", "1", '"init"', "null", '[{"type":"init"}]'])
def test_a_frame_that_is_not_an_object_is_a_value_error(frame: str) -> None:
    """Given a server frame that is JSON but not an object, when read, then it is a ValueError."""
    with pytest.raises(ValueError, match="not a server message"):
        parse_event(frame)


@pytest.mark.parametrize("frame", ["{}", '{"type": 3}', '{"id": "abc"}'])
def test_a_frame_without_a_type_or_gateway_message_is_a_value_error(frame: str) -> None:
    """Given an object with neither a string type nor a gateway message, when read, then it is a ValueError."""
    with pytest.raises(ValueError, match="not a server message"):
        parse_event(frame)


@pytest.mark.parametrize(
    "board",
    [[1, 2, 3], [None, None, None], [["x", " ", " "], 5, [" ", " ", " "]]],
    ids=["numbers", "nulls", "one row a number"],
)
def test_a_frame_with_a_board_that_is_not_rows_of_cells_is_a_value_error(board: Any) -> None:
    """Given a state frame whose board is not rows of cells, when read, then it is a ValueError the client can skip."""
    with pytest.raises(ValueError):
        parse_event(json.dumps({"type": "state", "id": GAME_ID, "board": board}))


@pytest.mark.parametrize(
    "changes",
    [
        {"id": 7},
        {"id": ["x"]},
        {"token": 12},
        {"tile": [1, 1]},
        {"code": False},
        {"message": {"text": "hi"}},
        {"mark": "z"},
        {"mark": 1},
        {"opponent": "gone fishing"},
        {"id": "\ud800"},
        {"token": "abc\udfff"},
        {"message": "\udc00"},
        {"type": "state\ud800"},
    ],
    ids=lambda changes: next(iter(changes)) + "=" + repr(next(iter(changes.values()))),
)
def test_a_field_of_the_wrong_type_or_not_encodable_is_a_value_error(
    changes: dict[str, Any],
) -> None:
    """Given a frame with one field of the wrong type, or text with a lone surrogate, when read,
    then it is a ValueError (it used to pass through as whatever it was)."""
    frame = {**state_message(GAME_ID, X, MIDGAME), "token": TOKEN, **changes}
    with pytest.raises(ValueError, match="not a server message"):
        parse_event(json.dumps(frame))


@pytest.mark.parametrize(
    "changes",
    [{"winner": "o"}, {"winner": None, "board": X_WON.rows()}, {"next": "o"}, {"next": None}],
    ids=["o won on a midgame board", "nobody won on a won board", "o next", "nobody next"],
)
def test_a_frame_that_contradicts_its_own_board_is_a_value_error(changes: dict[str, Any]) -> None:
    """Given a play frame whose `winner` or `next` disagrees with its `board` (a forged "o won"),
    when read, then it is a ValueError, not a result the client would show."""
    frame = {**play_message(GAME_ID, "0,0", O, MIDGAME), **changes}
    with pytest.raises(ValueError, match="contradicts the board"):
        parse_event(json.dumps(frame))


def test_a_frame_that_is_not_json_is_a_value_error() -> None:
    """Given a server frame that is not JSON, when read, then it is a ValueError."""
    with pytest.raises(ValueError):
        parse_event("hello")


# ---- shapes the websockets tutorial client relies on -------------------------------------------


def test_init_has_a_type_and_an_id_as_strings() -> None:
    """Given an init, then it has "type": "init" and a string "id", as the tutorial client reads it."""
    message = json.loads(encode(init_message(GAME_ID, TOKEN)))
    assert message["type"] == "init"
    assert isinstance(message["id"], str)


def test_join_has_a_type_and_an_id_as_strings() -> None:
    """Given a join, then it has "type": "join" and a string "id"."""
    message = json.loads(encode(join_message(GAME_ID, O)))
    assert message["type"] == "join"
    assert message["id"] == GAME_ID


@pytest.mark.parametrize(("tile", "row", "column"), [("0,0", 0, 0), ("1,2", 1, 2), ("2,1", 2, 1)])
def test_play_tile_splits_into_row_and_column_integers(tile: str, row: int, column: int) -> None:
    """Given a play, then its "tile" is a string that split(",") and int turn into row and column."""
    message = json.loads(encode(play_message(GAME_ID, tile, X, Game.from_moves([tile]))))
    assert message["type"] == "play"
    assert message["id"] == GAME_ID
    assert isinstance(message["tile"], str)
    assert [int(part) for part in message["tile"].split(",")] == [row, column]
