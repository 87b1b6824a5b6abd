"""Where a player's moves come from: `--moves` first, then standard input.

Moves are tiles as `row,column` (`1,1`), separated by spaces or newlines. Moves from
`--moves`, or from standard input when it is not a terminal, are *scripted*: the
runner cannot ask a script again, so an illegal scripted move ends the game (exit 2).
Moves typed at a terminal are *interactive*: a bad one is explained and asked again.

Standard input is read one line at a time, on demand, by a daemon thread, so the event
loop keeps serving the connection while a person thinks, and a blocked read never
keeps the process alive after the game ends.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

_TOKEN = re.compile(r"[^\s,]*\s*,\s*[^\s,]*|\S+")


@dataclass(frozen=True)
class Move:
    text: str
    scripted: bool


def split_moves(text: str) -> list[str]:
    """The tiles in a `--moves` value or a line of input: `"1,1 0,0\\n2,2"` -> `["1,1", "0,0", "2,2"]`.

    Spaces around a comma (`"1, 1"`) stay in one tile; `#` starts a comment.
    """
    text = text.split("#", 1)[0]
    return ["".join(token.split()) for token in _TOKEN.findall(text)]


class Moves:
    """A queue of moves: the scripted list, then lines from `stdin` (None: no more moves)."""

    def __init__(
        self,
        scripted: Iterable[str] = (),
        *,
        stdin: TextIO | None = None,
        stdin_is_terminal: bool = False,
        reader: Callable[[TextIO], str] | None = None,
    ) -> None:
        self._queue: deque[Move] = deque(Move(tile, True) for tile in scripted)
        self._stdin = stdin
        self.stdin_is_terminal = stdin_is_terminal
        self._reader = reader or (lambda stream: stream.readline())
        self._read: asyncio.Future[str] | None = None
        self._eof = stdin is None

    @property
    def interactive(self) -> bool:
        """True when the next move will be typed by a person at a terminal."""
        return not self._queue and not self._eof and self.stdin_is_terminal

    def push_back(self, move: Move) -> None:
        """Put a move back at the front (it could not be played yet)."""
        self._queue.appendleft(move)

    async def next(self) -> Move | None:
        """The next move, or None when there are no more.

        A read of standard input that is still pending when this is cancelled carries on,
        and the next call picks up its line.
        """
        while True:
            if self._queue:
                return self._queue.popleft()
            if self._eof or self._stdin is None:
                return None
            if self._read is None:
                self._read = self._start_read(self._stdin)
            line = await asyncio.shield(self._read)
            self._read = None
            if line == "":
                self._eof = True
                return None
            scripted = not self.stdin_is_terminal
            if not scripted:
                return Move(
                    line.strip(), False
                )  # a person's line, whole, so a typo is explained as typed
            self._queue.extend(Move(tile, True) for tile in split_moves(line))

    def _start_read(self, stream: TextIO) -> asyncio.Future[str]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def settle(line: str) -> None:
            if not future.done():
                future.set_result(line)

        def read() -> None:
            try:
                line = self._reader(stream)
            except (OSError, ValueError):  # closed or unreadable: no more moves
                line = ""
            try:
                loop.call_soon_threadsafe(settle, line)
            except RuntimeError:  # the loop is gone: the game ended while a person typed
                pass

        threading.Thread(target=read, name="xo-stdin", daemon=True).start()
        return future


def from_options(
    moves: str | None, stdin: TextIO | None = None, stdin_is_terminal: bool | None = None
) -> Moves:
    """The move source for `--moves` and the process's standard input."""
    stream = sys.stdin if stdin is None else stdin
    terminal = is_terminal(stream) if stdin_is_terminal is None else stdin_is_terminal
    return Moves(split_moves(moves or ""), stdin=stream, stdin_is_terminal=terminal)


def is_terminal(stream: TextIO) -> bool:
    """True when `stream` is a terminal (False for pipes, files and closed streams)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
