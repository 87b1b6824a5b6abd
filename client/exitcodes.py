"""How `xo` ends: its exit codes, described once (`xo --help` lists `DESCRIPTIONS` under
"Exit codes", wrapped by Click to the terminal's width)."""

from __future__ import annotations

from enum import IntEnum

from game.protocol import MATCH_OFFER_SECONDS


class ExitCode(IntEnum):
    WON = 0
    SERVER_ERROR = 1
    USAGE = 2
    CONNECTION_LOST = 3
    OPPONENT_GONE = 4
    LOST = 5
    DRAW = 6
    SEAT_TAKEN = 7
    NOBODY_CAME = 8
    INTERRUPTED = 130


DESCRIPTIONS: dict[ExitCode, str] = {
    ExitCode.WON: "you won (also: a command other than a game succeeded)",
    ExitCode.SERVER_ERROR: "the server refused a request (unknown game id, game full, failure)",
    ExitCode.USAGE: "usage: bad options, nothing to resume, a scripted move illegal or missing",
    ExitCode.CONNECTION_LOST: "could not connect, or the connection dropped and could not be resumed",
    ExitCode.OPPONENT_GONE: "the opponent left and did not come back within --opponent-timeout, "
    "or the server hosting the game is gone",
    ExitCode.LOST: "you lost",
    ExitCode.DRAW: "a draw",
    ExitCode.SEAT_TAKEN: "your seat was taken by another connection (an `xo resume` elsewhere); "
    "the save is kept",
    ExitCode.NOBODY_CAME: f"`xo play`: nobody came to play in the {MATCH_OFFER_SECONDS // 60} "
    "minutes your offer stood",
    ExitCode.INTERRUPTED: "you left (Ctrl-C, or end of input at the prompt); `xo resume` continues",
}
