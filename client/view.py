"""The terminal: lines out, a spinner while waiting. The only client module that writes.

On a terminal, waiting shows a spinner on one line, cut to the terminal's width, that is
erased before anything else is written; the marks are in colour. Anywhere else (a pipe, a
file, a test), and on a terminal with `TERM=dumb`, waiting prints its sentence once and
nothing is ever overwritten: no carriage returns, no escape sequences. `NO_COLOR` (any
value) turns colour off.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Callable, Mapping
from typing import Any

import typer

from client.board import render_board
from game.rules import Game

FRAMES = "|/-\\"
FRAME_SECONDS = 0.12
CLEAR_LINE = "\r\x1b[K"

Echo = Callable[..., Any]


class View:
    """Writes the game for a person. `tty` turns the spinner on, `colour` the marks' colours;
    `width()` gives the terminal's columns (the spinner's line is cut to fit)."""

    def __init__(
        self,
        *,
        tty: bool,
        echo: Echo = typer.echo,
        colour: bool = False,
        width: Callable[[], int] | None = None,
    ) -> None:
        self.tty = tty
        self.colour = colour
        self._width = width or (lambda: shutil.get_terminal_size().columns)
        self._echo = echo
        self._spinner: asyncio.Task[None] | None = None
        self._waiting: str | None = None
        self._prompt_open = False
        self.prompt_interrupted = False
        """True when a line was written over an open prompt: ask again."""

    @classmethod
    def for_terminal(cls, *, tty: bool, environ: Mapping[str, str] | None = None) -> View:
        """The view for standard output: spinner and colour only on a terminal that is not
        `TERM=dumb`; no colour when `NO_COLOR` is set."""
        env = os.environ if environ is None else environ
        smart = tty and env.get("TERM", "") != "dumb"
        return cls(tty=smart, colour=smart and "NO_COLOR" not in env)

    # -- lines --

    def say(self, text: str = "") -> None:
        """A line on standard output."""
        self._break_prompt()
        self._echo(text)

    def warn(self, text: str) -> None:
        """A line on standard error (failures, reconnects)."""
        self._break_prompt()
        self._echo(text, err=True)

    def _break_prompt(self) -> None:
        self.stop()
        if self._prompt_open:  # a prompt waits on this line: keep it whole, ask again later
            self._prompt_open = False
            self.prompt_interrupted = True
            self._echo("")

    def board(self, game: Game, last: int | None = None) -> None:
        self.say()
        self.say(render_board(game, last, colour=self.colour))
        self.say()

    def prompt(self, text: str) -> None:
        """Text the player answers on the same line."""
        self._break_prompt()
        self._echo(text, nl=False)
        self._prompt_open = True
        self.prompt_interrupted = False

    def prompt_shown(self) -> None:
        """The line editor writes the prompt itself: only note that one is open."""
        self._break_prompt()
        self._prompt_open = True
        self.prompt_interrupted = False

    def answer(self, text: str) -> None:
        """A scripted answer, written after the prompt as if typed."""
        self.stop()
        self._echo(text)
        self._prompt_open = False

    def answered(self) -> None:
        """The player pressed Enter: the terminal already ended the prompt's line."""
        self._prompt_open = False

    # -- waiting --

    def wait(self, text: str) -> None:
        """Show that we are waiting: a spinner on a terminal, else the sentence once."""
        if text == self._waiting:
            return
        self.stop()
        self._waiting = text
        if not self.tty:
            self._echo(text)
            return
        with contextlib.suppress(
            RuntimeError
        ):  # no running loop: no spinner, the sentence still shows
            self._spinner = asyncio.get_running_loop().create_task(self._spin(text))
            return
        self._echo(text)

    def stop(self) -> None:
        """End the current wait (erasing the spinner line on a terminal)."""
        if self._spinner is not None:
            self._spinner.cancel()
            self._spinner = None
            self._echo(CLEAR_LINE, nl=False)
        self._waiting = None

    async def _spin(self, text: str) -> None:
        frame = 0
        while True:
            line = f"{FRAMES[frame % len(FRAMES)]} {text}"
            fits = max(1, self._width() - 1)  # the last column would wrap on some terminals
            if len(line) > fits:
                line = line[: max(0, fits - 3)] + "..." if fits > 3 else line[:fits]
            self._echo(f"{CLEAR_LINE}{line}", nl=False)
            frame += 1
            await asyncio.sleep(FRAME_SECONDS)
