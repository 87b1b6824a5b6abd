"""The optional turn clock: each move must come within a game's `seconds`, or its player
loses by timeout. Pure code, no I/O, no timers.

Nothing runs on a schedule: a clock is a number (`seconds`) and a deadline (epoch
seconds by which the player to move must move). Whoever touches the game next decides:
a move after the deadline is refused and settles the game, and the waiting player may
claim the win once the deadline has passed.
"""

from __future__ import annotations

from typing import NamedTuple

from game import lifetime
from game.errors import ErrorCode, GameError
from game.rules import Game, Mark

MIN_SECONDS = 5
"""Shorter than a round trip plus a person reading the board is no game."""
MAX_SECONDS = lifetime.DEFAULT_SECONDS
"""A game expires this long after its last move anyway (`game.lifetime`)."""


def check_seconds(seconds: object) -> int:
    """`seconds` as a clock's move time. Raises `GameError(bad_request)` unless it is a whole
    number from `MIN_SECONDS` to `MAX_SECONDS`."""
    if type(seconds) is not int or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise GameError(
            ErrorCode.BAD_REQUEST,
            f'The "clock" field must be a whole number of seconds from {MIN_SECONDS} to '
            f"{MAX_SECONDS}.",
        )
    return seconds


class Clock(NamedTuple):
    """A game's clock: `seconds` per move; `deadline` (epoch seconds) for the player to move,
    None until both players are in (the clock starts when o joins)."""

    seconds: int
    deadline: int | None = None

    def started(self, now: int) -> Clock:
        """The clock after a move (or the join) at `now`: the next player has `seconds`."""
        return Clock(self.seconds, now + self.seconds)

    def expired(self, now: int) -> bool:
        return self.deadline is not None and now > self.deadline

    def loser(self, game: Game, now: int) -> Mark | None:
        """The player who lost by timeout at `now`: the one to move, once the deadline passed
        in an unfinished game."""
        if game.is_over or not self.expired(now):
            return None
        return game.turn

    def remaining(self, now: int) -> int | None:
        """Whole seconds left to the player to move (0 once expired), or None if not started."""
        if self.deadline is None:
            return None
        return max(0, self.deadline - now)
