"""The terminal: lines out, a spinner while waiting. The only client module that writes.

On a terminal, waiting shows a spinner on one line that is erased before anything else
is written. Anywhere else (a pipe, a file, a test), waiting prints its sentence once and
nothing is ever overwritten: no carriage returns, no escape sequences.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import typer

from client.board import render_board
from game.rules import Game

FRAMES = "|/-\\"
FRAME_SECONDS = 0.12
CLEAR_LINE = "\r\x1b[K"

Echo = Callable[..., Any]


class View:
    """Writes the game for a person. `tty` turns the spinner on."""

    def __init__(self, *, tty: bool, echo: Echo = typer.echo) -> None:
        self.tty = tty
        self._echo = echo
        self._spinner: asyncio.Task[None] | None = None
        self._waiting: str | None = None
        self._prompt_open = False
        self.prompt_interrupted = False
        """True when a line was written over an open prompt: ask again."""

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

    def board(self, game: Game) -> None:
        self.say()
        self.say(render_board(game))
        self.say()

    def prompt(self, text: str) -> None:
        """Text the player answers on the same line."""
        self._break_prompt()
        self._echo(text, nl=False)
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
            self._echo(f"{CLEAR_LINE}{FRAMES[frame % len(FRAMES)]} {text}", nl=False)
            frame += 1
            await asyncio.sleep(FRAME_SECONDS)
