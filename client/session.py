"""One player's view of one game, as a state machine with no I/O.

`Session` takes parsed server events (`game.protocol.Event`) and returns `Update`s that
say what changed; it builds the requests the player sends. The runner
(`client.runner`) carries frames between it, the socket and the terminal.

A move goes through three states: chosen (validated locally with `Game.check`, the
server's own rules, so the server sees only legal moves), sent (`pending`, shown on the
local board at once), and settled. The client asks for `ack` (PROTOCOL.md), so the server
answers each of our accepted moves with a `state`: that settles it, and a game-ending
move of ours is confirmed as soon as the loser hears of it, never guessed. An `error`
refuses the move (it is taken back). When the outcome is unknown (API Gateway's
"Internal server error", no answer in time, a dropped connection) the runner
reconnects and resumes: the `state` that answers is the truth, and the move is either
on it (done) or, when it is still our turn, sent again.

The session believes only frames for its own game that agree with the moves it has
seen: a board that drops or changes a mark, or shows one of ours we never played, is
`Ignored` (the runner logs it), whoever sent it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from game.bot import Level
from game.errors import ErrorCode
from game.protocol import Event, Join, Match, Play, Resign, Resume, Start, request_message
from game.rules import BLANK, Game, Mark, format_tile

ACK = True
"""Ask the server for a `state` after each of our accepted moves (see the module docstring)."""
WATCHERS = True
"""Ask the server for `watchers` messages: how many spectators watch (none while nobody does)."""


class Role(Enum):
    CREATE = "create"
    JOIN = "join"
    RESUME = "resume"
    MATCH = "match"
    """Quick match: paired with whoever waits (we join, as o), or we wait (we create, as x)."""


# ---- what a server event changed ------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    """Our game exists: tell the player its id (and save the token)."""

    game_id: str


@dataclass(frozen=True)
class Joined:
    """We joined someone's game (`us`), or the opponent joined ours."""

    us: bool


@dataclass(frozen=True)
class Moved:
    """The opponent played `tile`."""

    tile: str


@dataclass(frozen=True)
class Resumed:
    """The server gave us the game back; `opponent_tiles` were played while we were away."""

    opponent_tiles: tuple[str, ...]


@dataclass(frozen=True)
class Resend:
    """Our move did not reach the board before the connection dropped: send it again."""

    message: dict[str, Any]


@dataclass(frozen=True)
class OpponentLeft:
    """The opponent's connection is gone; `at_join`: it was already gone when we joined."""

    at_join: bool = False


@dataclass(frozen=True)
class OpponentBack:
    pass


@dataclass(frozen=True)
class NotJoinedYet:
    """The server refused our first move because nobody has joined yet (we could not tell after a
    resume). The move is taken back; `tile` can be played once the opponent joins."""

    tile: str
    message: str


@dataclass(frozen=True)
class SeatTaken:
    """Another connection holds our seat now (an `xo resume` elsewhere): this one is out."""

    message: str


@dataclass(frozen=True)
class Unsettled:
    """Our move's outcome is unknown (the server failed while handling it): resynchronise."""

    reason: str


@dataclass(frozen=True)
class Ignored:
    """A frame not believed: for another game, or contradicting the moves we have seen."""

    reason: str


@dataclass(frozen=True)
class Over:
    """The game ended; `Session.game` has the final board."""


@dataclass(frozen=True)
class Failed:
    """The server refused a request."""

    code: str
    message: str


@dataclass(frozen=True)
class Watchers:
    """How many spectators watch now (`xo watch`)."""

    count: int


Update = (
    Created
    | Joined
    | Moved
    | Resumed
    | Resend
    | OpponentLeft
    | OpponentBack
    | NotJoinedYet
    | SeatTaken
    | Unsettled
    | Ignored
    | Watchers
    | Over
    | Failed
)

UNKNOWN_OUTCOME_CODES = frozenset({"internal"})
"""Error codes after which a sent move may or may not have been stored."""


# ---- the session ---------------------------------------------------------------------------------


@dataclass
class Session:
    """One player's game. Create with `Session.create()`, `.join(id)` or `.resume(id, token, mark)`."""

    role: Role
    game_id: str | None = None
    token: str | None = None
    mark: Mark | None = None
    game: Game = field(default_factory=Game)
    opponent_joined: bool = False
    """True once both players are in (a `join` seen, or any sign of the opponent)."""
    opponent_away: bool = False
    """True between `opponent_left` and `opponent_back`."""
    pending: int | None = None
    """Our move sent but not yet settled: not seen on a board from the server, nor refused."""
    last_opponent_tile: str | None = None
    resuming: bool = False
    """A `resume` is in flight: the next `state` answers it."""
    over: bool = False
    confirmed: Game = field(default_factory=Game)
    """The last board a believed server frame showed: later boards must extend it."""
    computer: Level | None = None
    """Playing against the computer, at this level (asked for at `start`, or named by `init`)."""
    clock: int | None = None
    """Seconds per move, in a game with a turn clock (asked for at `start`)."""
    loser: Mark | None = None
    """The player who lost on time or resigned, once the server said so (`timeout`, `resigned`)."""
    resigned: bool = False
    """The game ended by a resignation (`loser` resigned), not the clock."""
    resigning: bool = False
    """We sent `resign` and wait for the server's `resigned`: no more moves meanwhile."""

    @classmethod
    def create(cls, computer: Level | None = None, clock: int | None = None) -> Session:
        return cls(Role.CREATE, computer=computer, clock=clock)

    @classmethod
    def join(cls, game_id: str) -> Session:
        return cls(Role.JOIN, game_id=game_id)

    @classmethod
    def match(cls) -> Session:
        return cls(Role.MATCH)

    @classmethod
    def resume(
        cls, game_id: str, token: str, mark: Mark | None = None, board: Game | None = None
    ) -> Session:
        """A saved seat; `board` is the last one the save saw (the resumed board must extend it)."""
        game = board or Game()
        return cls(Role.RESUME, game_id=game_id, token=token, mark=mark, game=game, confirmed=game)

    # -- requests --

    def hello(self) -> dict[str, Any]:
        """The first request on a new connection: resume when we hold a token, else start or join,
        each asking for `ack` (a `state` after each of our accepted moves)."""
        if self.token is not None and self.game_id is not None:
            self.resuming = True
            return request_message(Resume(self.game_id, self.token, ack=ACK, watchers=WATCHERS))
        if self.role is Role.JOIN and self.game_id is not None:
            return request_message(Join(self.game_id, ack=ACK, watchers=WATCHERS))
        if self.role is Role.MATCH:
            return request_message(Match(ack=ACK, watchers=WATCHERS))
        return request_message(
            Start(ack=ACK, computer=self.computer, watchers=WATCHERS, clock=self.clock)
        )

    @property
    def can_resume(self) -> bool:
        return self.token is not None and self.game_id is not None

    @property
    def ready(self) -> bool:
        """The game is under way: we know our mark, the opponent is in, no resume is in flight."""
        return (
            self.mark is not None and self.opponent_joined and not self.resuming and not self.over
        )

    @property
    def wants_move(self) -> bool:
        """True when the player should choose a move now."""
        return (
            self.ready
            and self.pending is None
            and not self.resigning
            and self.game.turn is self.mark
        )

    @property
    def can_resign(self) -> bool:
        """The game is under way (both players in, not over): resigning means something."""
        return self.ready and self.game_id is not None and not self.resigning

    def resign(self) -> dict[str, Any]:
        """The request that gives up this game; the server's `resigned` ends it for both."""
        assert self.game_id is not None
        self.resigning = True
        return request_message(Resign(self.game_id))

    def check(self, index: int) -> None:
        """Raise the `GameError` the rules give for our move on `index`, if any."""
        if self.mark is None:
            raise ValueError("no mark yet")
        self.game.check(self.mark, index)

    def play(self, index: int) -> dict[str, Any]:
        """Our move on `index`: checked, applied to the local board, and the request to send.

        Raises `GameError` (with the rules' sentence) for an illegal move; nothing changes then.
        """
        self.check(index)
        assert self.mark is not None and self.game_id is not None
        self.game = self.game.play(self.mark, index)
        self.pending = index
        if self.game.is_over:
            self.over = True
        return self._play_message(index)

    def _play_message(self, index: int) -> dict[str, Any]:
        assert self.game_id is not None
        if self.computer is None:
            return request_message(Play(self.game_id, format_tile(index), index))
        # Against the computer, the board we moved on lets the server answer in one write.
        before = list(self.game.board)
        before[index] = BLANK
        hint = Game(tuple(before))
        return request_message(
            Play(self.game_id, format_tile(index), index, board=hint, level=self.computer)
        )

    # -- events --

    def handle(self, event: Event) -> list[Update]:
        """Apply one server event; return what changed, in order."""
        handler = self._handlers().get(event.type)
        if handler is None:
            return []  # pong, or a type a newer server added: nothing to do
        if event.id is not None and self.game_id is not None and event.id != self.game_id:
            return [Ignored(f"a {event.type!r} frame for another game ({event.id})")]
        if event.type in ("play", "state") and self.mark is not None:
            expected = self.mark if event.type == "state" else self.mark.other
            if event.mark is not None and event.mark is not expected:
                return [
                    Ignored(
                        f"a {event.type!r} frame that says {event.mark} where {expected} belongs"
                    )
                ]
            if event.game is not None:
                if (
                    event.type == "state"
                    and not self.resuming
                    and _behind(event.game, self.confirmed)
                ):
                    return []  # our move's confirmation, overtaken by the opponent's answer
                doubt = self._contradiction(event.game, ours_known=not self.resuming)
                if doubt:
                    return [Ignored(f"a {event.type!r} frame whose board {doubt}")]
        return handler(event)

    def _handlers(self) -> dict[str, Callable[[Event], list[Update]]]:
        return {
            "init": self._on_init,
            "join": self._on_join,
            "play": self._on_play,
            "state": self._on_state,
            "opponent_left": self._on_opponent_left,
            "opponent_back": self._on_opponent_back,
            "error": self._on_error,
            "seat_taken": self._on_seat_taken,
            "watchers": self._on_watchers,
            "timeout": self._on_timeout,
            "resigned": self._on_timeout,
        }

    def _contradiction(self, board: Game, *, ours_known: bool) -> str | None:
        """Why `board` cannot follow the moves we have seen, or None if it can. `ours_known`:
        every move of ours is on `confirmed` or pending (not so for a resume's answer, which may
        show a move whose confirmation was lost with the connection)."""
        assert self.mark is not None
        ours = self.mark.value if ours_known else None
        for index, (seen, shown) in enumerate(zip(self.confirmed.board, board.board, strict=True)):
            if seen != BLANK and shown != seen:
                return f"changes {format_tile(index)}, which holds {seen}"
            if seen == BLANK and shown == ours and index != self.pending:
                return f"shows a move of ours on {format_tile(index)} that we never played"
        return None

    def _on_init(self, event: Event) -> list[Update]:
        if event.id is None or event.token is None:
            return [Failed("bad_reply", "The server's reply to start had no game id or token.")]
        self.game_id, self.token, self.mark = event.id, event.token, event.mark or Mark.X
        if event.level is not None:  # the computer is our opponent, in its seat already
            self.computer, self.opponent_joined = event.level, True
        return [Created(event.id)]

    def _on_join(self, event: Event) -> list[Update]:
        self.opponent_joined = True
        if event.token is not None:  # the joiner's copy
            self.game_id = event.id or self.game_id
            self.token = event.token
            self.mark = event.mark or Mark.O
            if event.opponent == "away":  # the creator's connection had gone when we joined
                self.opponent_away = True
                return [Joined(us=True), OpponentLeft(at_join=True)]
            return [Joined(us=True)]
        if event.mark is not None:
            self.mark = event.mark
        return [Joined(us=False)]

    def _on_play(self, event: Event) -> list[Update]:
        self.opponent_joined = True
        self.opponent_away = False
        if event.game is not None:
            self.game = self.confirmed = event.game
        self.last_opponent_tile = event.tile
        self._reconcile()
        updates: list[Update] = [Moved(event.tile or "?")]
        return updates + self._maybe_over()

    def _on_state(self, event: Event) -> list[Update]:
        if event.mark is not None:
            self.mark = event.mark
        if event.level is not None:  # a game against the computer (told again after a resume)
            self.computer = event.level
        if event.loser is not None:  # the game was lost on time (or resigned) while we were away
            self.loser, self.resigned = event.loser, event.resigned
        before = self.game
        if not self.resuming:  # unasked for: a server that confirms our moves anyway (an `ack`)
            # The opponent's answer can overtake such a confirmation: never go back.
            if event.game is not None and event.game.moves >= self.game.moves:
                self.game = self.confirmed = event.game
            self._reconcile()
            return self._maybe_over()
        if event.game is not None:
            self.game = self.confirmed = event.game
        self.resuming = False
        assert self.mark is not None
        gone = self.mark.other
        away_tiles = tuple(_new_tiles(before, self.game, gone))
        if away_tiles:
            self.last_opponent_tile = away_tiles[-1]
        # A server that says where the opponent is (`opponent`) settles whether o has joined;
        # without it, assume the game is on: if it is not, the server refuses x's first move
        # with not_your_turn, and `_on_error` takes the move back (see `NotJoinedYet`).
        self.opponent_joined = event.opponent != "waiting"
        updates: list[Update] = [Resumed(away_tiles)]
        if event.opponent == "away" and not self.over and not self.game.is_over:
            self.opponent_away = True
            updates.append(OpponentLeft())
        resend = self._reconcile()
        if resend is not None:
            updates.append(Resend(resend))
        return updates + self._maybe_over()

    def _on_seat_taken(self, event: Event) -> list[Update]:
        if self.pending is not None:
            self._take_back()
        return [SeatTaken(_SEAT_TAKEN)]

    def _on_watchers(self, event: Event) -> list[Update]:
        if event.id != self.game_id or event.watchers is None:
            return []
        return [Watchers(event.watchers)]

    def _on_opponent_left(self, event: Event) -> list[Update]:
        self.opponent_away = True
        return [OpponentLeft()]

    def _on_opponent_back(self, event: Event) -> list[Update]:
        self.opponent_joined = True
        was_away, self.opponent_away = self.opponent_away, False
        return [OpponentBack()] if was_away else []

    def _on_error(self, event: Event) -> list[Update]:
        resuming, self.resuming = self.resuming, False
        if self.resigning and event.code == ErrorCode.GAME_OVER:
            self.resigning = False  # the game ended first: the frame that says how is on its way
            return []
        self.resigning = False
        if (
            event.code == ErrorCode.NOT_A_PLAYER
            and not resuming
            and self.pending is not None
            and self.token is not None
        ):
            self._take_back()  # refused: our seat belongs to another connection now
            return [SeatTaken(_SEAT_TAKEN)]
        if event.code in UNKNOWN_OUTCOME_CODES and self.pending is not None and not resuming:
            return [Unsettled(event.message or "the server failed while handling your move")]
        if (
            event.code == "not_your_turn"
            and self.pending is not None
            and self.mark is Mark.X
            and self.game.moves == 1
        ):
            tile, self.pending = format_tile(self.pending), None
            self.game, self.over, self.opponent_joined = Game(), False, False
            return [
                NotJoinedYet(tile, event.message or "Wait for an opponent to join before you play.")
            ]
        if self.pending is not None and not resuming:
            self._take_back()  # the refusal of our move: the game has not moved (nor ended)
        return [Failed(event.code or "error", event.message or "The server refused the request.")]

    # -- helpers --

    def _reconcile(self) -> dict[str, Any] | None:
        """Settle `pending` against the server's board; the move to send again, if any."""
        if self.pending is None or self.mark is None:
            return None
        if self.game.board[self.pending] == self.mark.value:
            self.pending = None  # on the board: accepted
            return None
        index, self.pending = self.pending, None
        if self.game.turn is self.mark and self.game.board[index] == " ":
            self.pending = index
            self.game = self.game.play(self.mark, index)
            return self._play_message(index)
        return None  # the board moved on without it; the player chooses again

    def _take_back(self) -> None:
        """Undo our pending move on the local board: the server refused it."""
        assert self.pending is not None
        board = list(self.game.board)
        board[self.pending] = " "
        self.game, self.pending, self.over = Game(tuple(board)), None, False

    def _on_timeout(self, event: Event) -> list[Update]:
        if event.id != self.game_id or event.loser is None:
            return []
        if event.game is not None:
            self.game = self.confirmed = event.game
        self.loser, self.pending = event.loser, None
        self.resigned = event.type == "resigned"
        return self._maybe_over()

    def _maybe_over(self) -> list[Update]:
        if self.game.is_over or self.loser is not None:
            self.over = True
            return [Over()]
        self.over = False
        return []


_SEAT_TAKEN = (
    "Your seat in this game was taken by another connection (an `xo resume` with your save, "
    "on this machine or another): this terminal stops here, and the save is kept."
)


def _behind(board: Game, confirmed: Game) -> bool:
    """True when `board` is an earlier position of `confirmed` (every mark on it is there too)."""
    return board.moves < confirmed.moves and all(
        cell in (BLANK, seen) for cell, seen in zip(board.board, confirmed.board, strict=True)
    )


def _new_tiles(before: Game, after: Game, mark: Mark) -> list[str]:
    return [
        format_tile(index)
        for index, (old, new) in enumerate(zip(before.board, after.board, strict=True))
        if new == mark.value and old != new
    ]
