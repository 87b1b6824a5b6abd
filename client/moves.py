"""Where a player's moves come from: `--moves` first, then standard input.

Moves are tiles as `row,column` (`1,1`), separated by spaces or newlines. Moves from
`--moves`, or from standard input when it is not a terminal, are *scripted*: the
runner cannot ask a script again, so an illegal scripted move ends the game (exit 2).
Moves typed at a terminal are *interactive*: a bad one is explained and asked again.

Standard input is read one line at a time, on demand, by a daemon thread, so the event
loop keeps serving the connection while a person thinks, and a blocked read never
keeps the process alive after the game ends.

At a terminal (POSIX), the prompt is the standard library's `readline` where present
(line editing, arrow keys, history), and input is matched to the turn: whatever is typed
while it is not the player's turn is read as it is typed (`typed_out_of_turn`, so the
runner can say "not your turn yet") and dropped, and anything left half-typed is
discarded when the prompt appears. `close()` puts the terminal back as it was found.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

_TOKEN = re.compile(r"[^\s,]*\s*,\s*[^\s,]*|\S+")


RESIGN_COMMAND = "/resign"
"""Typed (or scripted) instead of a move: give up the game; the opponent wins."""


def is_resign(text: str) -> bool:
    """True for the line (or scripted move) that resigns the game."""
    return text.strip().lower() == RESIGN_COMMAND


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
        self.prompt = ""
        """The prompt the next read shows, when the reader shows it (`shows_prompt`)."""
        self._terminal: _Terminal | None = None
        if stdin is not None and stdin_is_terminal and reader is None:
            self._terminal = _Terminal.open(stdin)
            if self._terminal is not None:
                self._reader = self._terminal.read_line

    @property
    def shows_prompt(self) -> bool:
        """True when reading a typed line shows the prompt itself (readline does)."""
        return self._terminal is not None and not self._queue

    @property
    def watches_turn(self) -> bool:
        """True when lines typed out of turn can be caught (a POSIX terminal, no read pending)."""
        return self._terminal is not None and self._read is None and not self._eof

    async def typed_out_of_turn(self) -> str | None:
        """The next line typed while it is not the player's turn (to be dropped), or None at
        end of input (Ctrl-D). Cancel it when the turn comes."""
        assert self._terminal is not None
        line = await self._terminal.typed()
        if line is None:
            self._eof = True
        return line

    def close(self) -> None:
        """Put the terminal back as it was (a prompt may be pending in the reading thread)."""
        if self._terminal is not None:
            self._terminal.restore()

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
                if self._terminal is not None:
                    self._terminal.discard_typed_ahead()
                    self._terminal.prompt = self.prompt
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


class _Terminal:
    """Standard input as a POSIX terminal: the readline prompt, typed-ahead lines, and the
    terminal's settings to restore."""

    def __init__(self, stream: TextIO, fd: int, saved: list[Any]) -> None:
        self.stream = stream
        self.fd = fd
        self._saved = saved
        self.prompt = ""
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (input() edits lines with it once it is imported)

    @classmethod
    def open(cls, stream: TextIO) -> _Terminal | None:
        try:
            import termios

            fd = stream.fileno()
            return cls(stream, fd, termios.tcgetattr(fd))
        except (ImportError, OSError, ValueError, AttributeError):
            return None  # not POSIX, or not a real terminal: lines are read as they come

    def read_line(self, stream: TextIO) -> str:
        """One line typed at the prompt (from the reading thread); "" at end of input."""
        if stream is sys.stdin:
            try:
                return input(self.prompt) + "\n"
            except EOFError:
                return ""
        return stream.readline()

    def discard_typed_ahead(self) -> None:
        """Drop whatever was typed but not yet read (a half-typed line, a stray Enter)."""
        import termios

        with contextlib.suppress(OSError):
            termios.tcflush(self.fd, termios.TCIFLUSH)

    async def typed(self) -> str | None:
        """The next line typed (read straight from the terminal), or None at end of input."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(self.fd, readable)
        try:
            await ready
        finally:
            loop.remove_reader(self.fd)
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            return None
        return data.decode(errors="replace") if data else None

    def restore(self) -> None:
        import termios

        with contextlib.suppress(OSError):
            termios.tcsetattr(self.fd, termios.TCSANOW, self._saved)


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
