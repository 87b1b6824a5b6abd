"""The xo wire protocol: JSON text frames, routed by API Gateway on `type`.

Messages are NamedTuples (immutable, and cheap to import in a Lambda cold start).

Requests (client -> server) are parsed by `parse_request`; replies and pushes
(server -> client) are built by the `*_message` functions and read back by
`parse_event`. Handlers and the client both use this module, so the two can
never disagree. PROTOCOL.md describes the same thing for people.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple, TypeGuard

from game.bot import Level
from game.clock import Clock, check_seconds
from game.errors import ErrorCode, GameError
from game.rules import Game, Mark, parse_tile

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
"""Game ids and tokens: 16 random bytes in URL-safe base64 (128 bits)."""
MAX_TILE_LENGTH = 16


# ---- requests ---------------------------------------------------------------------------


class Start(NamedTuple):
    """`{"type":"start"}`: create a game; the sender plays x. `ack` asks for a `state` after each own move.
    `computer` (from `"vs":"computer"` and `"level"`): the computer plays o, at that level."""

    ack: bool = False
    computer: Level | None = None
    watchers: bool = False
    """`"watchers": true`: tell me how many are watching (`watchers` messages)."""
    clock: int | None = None
    """`"clock": SECONDS`: each move must come within SECONDS, or its player loses on time."""


class Join(NamedTuple):
    """`{"type":"join","id":GAME_ID}`: join a game as o."""

    game_id: str
    ack: bool = False
    watchers: bool = False


class Play(NamedTuple):
    """`{"type":"play","id":GAME_ID,"tile":"R,C"}`: make a move. `cell` is the parsed tile (0..8).

    `board` and `level`, both optional, are a hint in a game against the computer: the board
    before this move as the sender last saw it, and the computer's level from `init`. With a
    right hint the server checks and answers the move in one write; a missing or stale hint
    costs one more write, never a wrong result."""

    game_id: str
    tile: str
    cell: int
    board: Game | None = None
    level: Level | None = None


class Resume(NamedTuple):
    """`{"type":"resume","id":GAME_ID,"token":TOKEN}`: re-attach this connection to a game."""

    game_id: str
    token: str
    ack: bool = False
    watchers: bool = False


class Match(NamedTuple):
    """`{"type":"match"}`: pair me with whoever waits, or wait (quick match, `xo play`)."""

    ack: bool = False
    watchers: bool = False


MATCH_OFFER_SECONDS = 300
"""How long a quick-match offer stands (PROTOCOL.md, Quick match): after that the server
pairs nobody with it, and `xo play` stops waiting."""


class Claim(NamedTuple):
    """`{"type":"claim","id":GAME_ID}`: the opponent's clock ran out: I win on time."""

    game_id: str


class Resign(NamedTuple):
    """`{"type":"resign","id":GAME_ID}`: I give up this game; the opponent wins."""

    game_id: str


class Rematch(NamedTuple):
    """`{"type":"rematch","id":GAME_ID}`: after the game, play again (marks swapped);
    `"accept": false` declines."""

    game_id: str
    accept: bool = True


class Watch(NamedTuple):
    """`{"type":"watch","id":GAME_ID}`: follow a game as a spectator (never a seat)."""

    game_id: str


class Ping(NamedTuple):
    """`{"type":"ping"}`: keep an idle connection open; answered with `{"type":"pong"}`."""

    kind: str = "ping"


Request = Start | Join | Play | Resume | Ping | Watch | Match | Claim | Rematch | Resign
REQUEST_TYPES = (
    "start",
    "join",
    "play",
    "resume",
    "ping",
    "watch",
    "match",
    "claim",
    "rematch",
    "resign",
)


def parse_request(body: str | bytes | None) -> Request:
    """Parse one client frame. Raises `GameError` with the code the sender should see.

    - not JSON, not an object, a field missing or of the wrong type, or a string field
      holding text that cannot be encoded (a lone surrogate, which JSON's `\\ud800` allows):
      `bad_request`
    - a `type` we do not serve: `unknown_type`
    - an `id` that no game can have: `game_not_found`
    - a `tile` that is not `"R,C"` on the board: `invalid_tile`
    """
    message = _json_object(body)
    kind = message.get("type")
    if kind is None:
        raise GameError(
            ErrorCode.BAD_REQUEST, 'Every message needs a "type", for example {"type": "start"}.'
        )
    if not isinstance(kind, str):
        raise GameError(ErrorCode.BAD_REQUEST, 'The "type" field must be a string.')
    if not is_text(kind):
        raise GameError(ErrorCode.BAD_REQUEST, _NOT_TEXT.format(field="type"))
    if kind == "start":
        return Start(
            ack=_flag(message, "ack"),
            computer=_opponent(message),
            watchers=_flag(message, "watchers"),
            clock=None if message.get("clock") is None else check_seconds(message["clock"]),
        )
    if kind == "join":
        return Join(
            _game_id(message), ack=_flag(message, "ack"), watchers=_flag(message, "watchers")
        )
    if kind == "play":
        game_id = _game_id(message)
        tile = _string(message, "tile", MAX_TILE_LENGTH, ErrorCode.INVALID_TILE)
        index = parse_tile(tile)
        hint = message.get("board")
        board = None if hint is None else _hint_board(hint)
        return Play(game_id, tile, index, board, _level(message) if board else None)
    if kind == "resume":
        game_id = _game_id(message)
        token = _string(message, "token", 64, ErrorCode.NOT_A_PLAYER)
        return Resume(
            game_id, token, ack=_flag(message, "ack"), watchers=_flag(message, "watchers")
        )
    if kind == "watch":
        return Watch(_game_id(message))
    if kind == "claim":
        return Claim(_game_id(message))
    if kind == "resign":
        return Resign(_game_id(message))
    if kind == "rematch":
        accept = message.get("accept", True)
        if not isinstance(accept, bool):
            raise GameError(ErrorCode.BAD_REQUEST, 'The "accept" field must be true or false.')
        return Rematch(_game_id(message), accept)
    if kind == "match":
        return Match(ack=_flag(message, "ack"), watchers=_flag(message, "watchers"))
    if kind == "ping":
        return Ping()
    shown = kind if len(kind) <= 40 else kind[:40] + "..."
    raise GameError(
        ErrorCode.UNKNOWN_TYPE,
        f"Unknown message type {shown!r}: send one of {', '.join(REQUEST_TYPES)}.",
    )


def _json_object(body: str | bytes | None) -> dict[str, Any]:
    if body is None:
        raise GameError(ErrorCode.BAD_REQUEST, "The message was empty: send a JSON object.")
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        raise GameError(ErrorCode.BAD_REQUEST, "The message is not valid JSON.") from None
    if not isinstance(message, dict):
        raise GameError(ErrorCode.BAD_REQUEST, "The message must be a JSON object.")
    return message


_NOT_TEXT = 'The "{field}" field must be text that can be encoded as UTF-8 (no lone surrogates).'


def _string(message: dict[str, Any], field: str, max_length: int, too_long: ErrorCode) -> str:
    value = message.get(field)
    if value is None:
        raise GameError(ErrorCode.BAD_REQUEST, f'This message needs the "{field}" field.')
    if not isinstance(value, str):
        raise GameError(ErrorCode.BAD_REQUEST, f'The "{field}" field must be a string.')
    if not is_text(value):
        raise GameError(ErrorCode.BAD_REQUEST, _NOT_TEXT.format(field=field))
    if len(value) > max_length:
        if too_long is ErrorCode.INVALID_TILE:
            raise GameError(
                too_long, 'That is not a tile: write it as row,column, for example "1,1".'
            )
        raise GameError(too_long, f'The "{field}" field is not valid for this game.')
    return value


def _game_id(message: dict[str, Any]) -> str:
    game_id = _string(message, "id", 64, ErrorCode.GAME_NOT_FOUND)
    if not ID_PATTERN.fullmatch(game_id):
        raise GameError(
            ErrorCode.GAME_NOT_FOUND, "No game has that id: check it, or start a new game."
        )
    return game_id


VS_COMPUTER = "computer"
"""The one opponent `start` can name with `vs`."""


def _opponent(message: dict[str, Any]) -> Level | None:
    """The computer's level when `start` asks for `"vs":"computer"`, else None."""
    vs = message.get("vs")
    if vs is None:
        if "level" in message:
            raise GameError(
                ErrorCode.BAD_REQUEST,
                '"level" goes with "vs": "computer", for example '
                '{"type": "start", "vs": "computer", "level": "random"}.',
            )
        return None
    if vs != VS_COMPUTER:
        raise GameError(ErrorCode.BAD_REQUEST, 'The only opponent "vs" can name is "computer".')
    if message.get("clock") is not None:
        raise GameError(ErrorCode.BAD_REQUEST, "A game against the computer has no clock.")
    return _level(message)


def _level(message: dict[str, Any]) -> Level:
    level = message.get("level", Level.PERFECT.value)
    if level not in tuple(Level):
        levels = ", ".join(f'"{item.value}"' for item in Level)
        raise GameError(ErrorCode.BAD_REQUEST, f'The "level" field must be one of {levels}.')
    return Level(level)


def _hint_board(rows: Any) -> Game:
    try:
        return _board(rows, "")
    except ValueError:
        raise GameError(
            ErrorCode.BAD_REQUEST,
            'The "board" field must be the board as the server sent it: three rows of three cells.',
        ) from None


def _flag(message: dict[str, Any], field: str) -> bool:
    value = message.get(field, False)
    if not isinstance(value, bool):
        raise GameError(ErrorCode.BAD_REQUEST, f'The "{field}" field must be true or false.')
    return value


def request_message(request: Request) -> dict[str, Any]:
    """The frame a client sends for `request` (what `parse_request` reads back). Flags that are
    off are left out, so a default request is exactly the tutorial's."""
    watchers = False
    match request:
        case Start(ack=ack, computer=computer, watchers=watchers, clock=clock):
            message: dict[str, Any] = {"type": "start"}
            if computer is not None:
                message.update(vs=VS_COMPUTER, level=computer.value)
            if clock is not None:
                message["clock"] = clock
        case Join(game_id=game_id, ack=ack, watchers=watchers):
            message = {"type": "join", "id": game_id}
        case Play(game_id=game_id, tile=tile, board=board, level=level):
            message = {"type": "play", "id": game_id, "tile": tile}
            if board is not None and level is not None:
                message.update(board=board.rows(), level=level.value)
            return message
        case Resume(game_id=game_id, token=token, ack=ack, watchers=watchers):
            message = {"type": "resume", "id": game_id, "token": token}
        case Ping():
            return {"type": "ping"}
        case Watch(game_id=game_id):
            return {"type": "watch", "id": game_id}
        case Claim(game_id=game_id):
            return {"type": "claim", "id": game_id}
        case Resign(game_id=game_id):
            return {"type": "resign", "id": game_id}
        case Rematch(game_id=game_id, accept=accept):
            message = {"type": "rematch", "id": game_id}
            if not accept:
                message["accept"] = False
            return message
        case Match(ack=ack, watchers=watchers):
            message = {"type": "match"}
    if ack:
        message["ack"] = True
    if watchers:
        message["watchers"] = True
    return message


# ---- server -> client ------------------------------------------------------------------------


def encode(message: dict[str, Any]) -> str:
    """A message as the compact JSON text that goes on the wire."""
    return json.dumps(message, separators=(",", ":"))


def _game_fields(game: Game) -> dict[str, Any]:
    turn = game.turn
    return {"board": game.rows(), "next": turn.value if turn else None, "winner": game.outcome}


def init_message(
    game_id: str, token: str, computer: Level | None = None, clock: int | None = None
) -> dict[str, Any]:
    """To the creator: the game exists, you are x; keep `token` to resume. In a game against
    the computer (and only then) it also says so, and at which level; in a game with a clock,
    its seconds per move."""
    message: dict[str, Any] = {"type": "init", "id": game_id, "mark": Mark.X.value, "token": token}
    if computer is not None:
        message.update(vs=VS_COMPUTER, level=computer.value)
    if clock is not None:
        message["clock"] = {"seconds": clock}
    return message


def rematch_offer_message(game_id: str) -> dict[str, Any]:
    """To the opponent of the first player who asked for a rematch of `game_id`."""
    return {"type": "rematch_offer", "id": game_id}


def rematch_declined_message(game_id: str) -> dict[str, Any]:
    """To the opponent of the player who declined a rematch of `game_id`."""
    return {"type": "rematch_declined", "id": game_id}


def rematch_message(
    game_id: str, previous: str, mark: Mark | None = None, token: str | None = None
) -> dict[str, Any]:
    """The rematch `game_id` of `previous` has started: to each player with its new `mark`
    and `token` (the previous o now plays x and moves first); to spectators without them."""
    message: dict[str, Any] = {"type": "rematch", "id": game_id, "previous": previous}
    if mark is not None and token is not None:
        message.update(mark=mark.value, token=token)
    return message


def clock_fields(clock: Clock, now: int) -> dict[str, Any]:
    """What `play` and `state` carry in a game with a clock: seconds per move, the deadline
    of the player to move (epoch seconds, null before o joins) and the seconds it has left."""
    return {
        "clock": {
            "seconds": clock.seconds,
            "deadline": clock.deadline,
            "remaining": clock.remaining(now),
        }
    }


def timeout_message(game_id: str, loser: Mark, game: Game) -> dict[str, Any]:
    """To both players and the spectators: `loser`'s time ran out; the game is over."""
    return _forfeit_message("timeout", game_id, loser, game)


def resigned_message(game_id: str, loser: Mark, game: Game) -> dict[str, Any]:
    """To both players and the spectators: `loser` resigned; the game is over (a `timeout`
    in all but its type)."""
    return _forfeit_message("resigned", game_id, loser, game)


def _forfeit_message(kind: str, game_id: str, loser: Mark, game: Game) -> dict[str, Any]:
    return {
        "type": kind,
        "id": game_id,
        "loser": loser.value,
        "board": game.rows(),
        "next": None,
        "winner": loser.other.value,
    }


def join_message(
    game_id: str, mark: Mark, token: str | None = None, opponent: str | None = None
) -> dict[str, Any]:
    """To both players when o joins; only the joiner's copy carries its `token`, and where
    the creator is (`opponent`: `"here"`, or `"away"` when its connection has gone)."""
    message: dict[str, Any] = {"type": "join", "id": game_id, "mark": mark.value}
    if token is not None:
        message["token"] = token
    if opponent is not None:
        if opponent not in OPPONENT_STATES:
            raise ValueError(f"opponent must be one of {OPPONENT_STATES}, not {opponent!r}")
        message["opponent"] = opponent
    return message


def play_message(game_id: str, tile: str, mark: Mark, game: Game) -> dict[str, Any]:
    """To the opponent after a move: the tile played, by whom, and the game after it."""
    return {"type": "play", "id": game_id, "tile": tile, "mark": mark.value, **_game_fields(game)}


OPPONENT_STATES = ("waiting", "here", "away")
"""A `state` frame's `opponent`: nobody has joined yet; the opponent's connection is attached;
the opponent joined but its connection is gone (it may `resume`)."""


def state_message(
    game_id: str,
    mark: Mark,
    game: Game,
    opponent: str | None = None,
    computer: Level | None = None,
) -> dict[str, Any]:
    """The whole game as `mark` sees it: after `resume`, and after each own move for `ack`
    clients. `opponent` (one of `OPPONENT_STATES`) is added when known, so that a player who
    missed `join`, `opponent_left` or `opponent_back` catches up from this frame alone. In a
    game against the computer, `computer` adds `vs` and `level` (as `init` does)."""
    message = {"type": "state", "id": game_id, "mark": mark.value, **_game_fields(game)}
    if opponent is not None:
        if opponent not in OPPONENT_STATES:
            raise ValueError(f"opponent must be one of {OPPONENT_STATES}, not {opponent!r}")
        message["opponent"] = opponent
    if computer is not None:
        message.update(vs=VS_COMPUTER, level=computer.value)
    return message


def lost_on_time(message: dict[str, Any], loser: Mark, resigned: bool = False) -> dict[str, Any]:
    """`message` (a `state` or `watching`) for a game `loser` lost on time (or, with
    `resigned`, by resigning, which adds `"resigned": true`): nobody moves next, the other won."""
    lost = {**message, "next": None, "winner": loser.other.value, "loser": loser.value}
    if resigned:
        lost["resigned"] = True
    return lost


def presence_message(game_id: str, back: bool) -> dict[str, Any]:
    """`opponent_back` when the opponent resumed, `opponent_left` when its connection closed."""
    return {"type": "opponent_back" if back else "opponent_left", "id": game_id}


def seat_taken_message(game_id: str) -> dict[str, Any]:
    """To a connection whose seat another connection took with the same token (`resume`):
    this connection no longer plays in the game, and its moves there are refused."""
    return {"type": "seat_taken", "id": game_id}


def watching_message(
    game_id: str, game: Game, watchers: int, present: list[Mark]
) -> dict[str, Any]:
    """To a new spectator: the whole game now, how many watch (itself included), and which
    players are connected."""
    return {
        "type": "watching",
        "id": game_id,
        **_game_fields(game),
        "watchers": watchers,
        "present": [mark.value for mark in present],
    }


def watchers_message(game_id: str, count: int) -> dict[str, Any]:
    """To players who asked (`"watchers": true`): how many spectators watch now."""
    return {"type": "watchers", "id": game_id, "count": count}


def player_presence_message(game_id: str, mark: Mark, present: bool) -> dict[str, Any]:
    """To spectators: the player of `mark` connected (joined, resumed) or left."""
    return {"type": "presence", "id": game_id, "mark": mark.value, "present": present}


def pong_message() -> dict[str, Any]:
    """The answer to `ping`."""
    return {"type": "pong"}


def error_message(error: GameError) -> dict[str, Any]:
    """The frame only the sender of a rejected request receives."""
    return {"type": "error", "code": error.code.value, "message": error.message}


# ---- reading server messages (the client side) -------------------------------------------------


class Event(NamedTuple):
    """One message from the server, parsed. Fields a message lacks are None."""

    type: str
    id: str | None = None
    mark: Mark | None = None
    token: str | None = None
    tile: str | None = None
    game: Game | None = None
    code: str | None = None
    message: str | None = None
    opponent: str | None = None
    """A `state` frame's `opponent`, one of `OPPONENT_STATES`."""
    level: Level | None = None
    """In `init`: the computer's level, in a game against the computer."""
    loser: Mark | None = None
    """In `timeout` and `resigned` (and `state` after one): the player who lost on time or
    resigned."""
    resigned: bool = False
    """A `resigned` message, or a `state` of a game that ended by resignation."""
    clock_remaining: int | None = None
    """In `play` and `state` of a game with a clock: seconds left to the player to move."""
    watchers: int | None = None
    """In `watchers` (its `count`) and `watching`: how many spectators watch."""


def _board(rows: Any, raw: str | bytes) -> Game:
    """The `Game` a frame's `board` (three rows of three cells) shows. Raises ValueError."""
    if not (
        isinstance(rows, list)
        and len(rows) == 3
        and all(isinstance(row, list) and len(row) == 3 for row in rows)
    ):
        raise ValueError(f"not a server message (bad board): {raw!r}")
    cells = tuple(cell for row in rows for cell in row)
    if not all(isinstance(cell, str) for cell in cells):
        raise ValueError(f"not a server message (bad board): {raw!r}")
    return Game(cells)  # raises ValueError for a board no game can reach


_TEXT_FIELDS = ("id", "token", "tile", "code", "message")


def parse_event(raw: str | bytes) -> Event:
    """Parse a frame the server sent. API Gateway's own frames (`{"message": "Internal server
    error", ...}`, `Forbidden`) become `Event(type="error", code="internal"|"forbidden")`.

    Every field is checked: text fields are strings that encode as UTF-8 (no lone
    surrogates), `mark` is `"x"` or `"o"`, `board` is a reachable game, and `next` and
    `winner`, when present, agree with that board. Raises ValueError for any frame that is
    not a server message, so that a client never acts on a malformed or self-contradicting one.
    """
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"not a server message: {raw!r}")
    if "type" not in data and is_text(data.get("message")):
        text = data["message"]
        code = "forbidden" if text == "Forbidden" else "internal"
        return Event(type="error", code=code, message=f"The server failed: {text}.")
    kind = data.get("type")
    if not is_text(kind):
        raise ValueError(f"not a server message: {raw!r}")
    for field in _TEXT_FIELDS:
        if data.get(field) is not None and not is_text(data[field]):
            raise ValueError(f"not a server message (bad {field}): {raw!r}")
    mark = data.get("mark")
    if mark is not None and mark not in ("x", "o"):
        raise ValueError(f"not a server message (bad mark): {raw!r}")
    opponent = data.get("opponent")
    if opponent is not None and opponent not in OPPONENT_STATES:
        raise ValueError(f"not a server message (bad opponent): {raw!r}")
    game = _board(data["board"], raw) if "board" in data else None
    if game is not None:
        _agrees(game, data, raw)
    return Event(
        type=kind,
        id=data.get("id"),
        mark=Mark(mark) if mark is not None else None,
        token=data.get("token"),
        tile=data.get("tile"),
        game=game,
        code=data.get("code"),
        message=data.get("message"),
        opponent=opponent,
        level=Level(data["level"]) if data.get("level") in tuple(Level) else None,
        loser=Mark(data["loser"]) if data.get("loser") in ("x", "o") else None,
        resigned=kind == "resigned" or data.get("resigned") is True,
        clock_remaining=_remaining(data.get("clock")),
        watchers=next(
            (data[key] for key in ("count", "watchers") if type(data.get(key)) is int), None
        ),
    )


def _remaining(clock: Any) -> int | None:
    if isinstance(clock, dict) and type(clock.get("remaining")) is int:
        return int(clock["remaining"])
    return None


def _agrees(game: Game, data: dict[str, Any], raw: str | bytes) -> None:
    """Raise ValueError if the frame's `next` or `winner` contradicts its own board (or, in a
    game lost on time, its `loser`)."""
    loser = data.get("loser")
    if loser is not None:
        if loser not in ("x", "o") or game.is_over:
            raise ValueError(f"not a server message (bad loser): {raw!r}")
        if data.get("next") is not None or data.get("winner") != Mark(loser).other.value:
            raise ValueError(f"not a server message (winner contradicts loser): {raw!r}")
        return
    turn = game.turn
    if "next" in data and data["next"] != (turn.value if turn else None):
        raise ValueError(f"not a server message (next contradicts the board): {raw!r}")
    if "winner" in data and data["winner"] != game.outcome:
        raise ValueError(f"not a server message (winner contradicts the board): {raw!r}")


def is_text(value: object) -> TypeGuard[str]:
    """True for a `str` that can be encoded as UTF-8: JSON lets `"\\ud800"` through as a lone
    surrogate, which Python holds in a `str` but no wire, hash or log can encode."""
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True
