"""The rules of naughts and crosses and the xo wire protocol: pure code, no I/O.

Everything else in xo (Lambda handlers, the emulator's game wiring, the `xo`
client) depends on this package; it depends on nothing but the standard library.
"""

from game.errors import ErrorCode, GameError
from game.rules import BLANK, LINES, Game, Mark, format_tile, parse_tile

__all__ = [
    "BLANK",
    "LINES",
    "ErrorCode",
    "Game",
    "GameError",
    "Mark",
    "format_tile",
    "parse_tile",
]
