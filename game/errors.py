"""Domain errors: every rejected request becomes one `GameError` with a code and a sentence."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """The `code` of an `{"type": "error"}` frame. See PROTOCOL.md."""

    BAD_REQUEST = "bad_request"
    UNKNOWN_TYPE = "unknown_type"
    GAME_NOT_FOUND = "game_not_found"
    GAME_FULL = "game_full"
    NOT_A_PLAYER = "not_a_player"
    NOT_YOUR_TURN = "not_your_turn"
    TILE_TAKEN = "tile_taken"
    INVALID_TILE = "invalid_tile"
    GAME_OVER = "game_over"
    UNAVAILABLE = "unavailable"
    TOO_MANY_GAMES = "too_many_games"
    TOO_MANY_STARTS = "too_many_starts"
    WATCHERS_FULL = "watchers_full"
    TIME_UP = "time_up"
    CLOCK_RUNNING = "clock_running"
    NO_REMATCH = "no_rematch"


class GameError(Exception):
    """A request the game refuses. `message` is a sentence a person understands."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"GameError({self.code.value!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GameError) and (self.code, self.message) == (
            other.code,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.message))
