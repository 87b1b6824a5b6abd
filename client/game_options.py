"""The options every game command takes (`xo new`, `join`, `play`, `resume`), declared once.

Typer reads a command's options from its parameters, one by one. A command declares one
keyword-only parameter of type `GameOptions` where these options belong; `@game_options`
spells that parameter out as the options it holds, in its place (so help lists them there,
as if they were written out), and calls the command with one `GameOptions` built from what
the player gave.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Annotated, Any

import typer

from client.runner import Options

DEFAULTS = Options()
"""The one source of the game options' defaults."""


@dataclass(frozen=True)
class GameOptions:
    """What the player asked of a game: scripted moves, and the runner's knobs (`options()`).
    Each field's annotation is the option Typer shows."""

    moves: Annotated[
        str | None,
        typer.Option(
            "--moves",
            help='Your moves in order, for scripts: "1,1 0,0 2,2" (/resign gives up). When they '
            "run out, moves are read from standard input.",
        ),
    ] = None
    opponent_timeout: Annotated[
        float,
        typer.Option(
            "--opponent-timeout",
            min=0,
            help="Seconds to wait for an opponent who left to come back before giving up (exit 4).",
        ),
    ] = DEFAULTS.opponent_timeout
    retries: Annotated[
        int,
        typer.Option(
            "--retries",
            min=0,
            help="Reconnect attempts after the connection drops (exit 3 when they run out).",
        ),
    ] = DEFAULTS.retries
    keepalive: Annotated[
        float,
        typer.Option(
            "--keepalive",
            min=0.05,
            hidden=True,
            help="Seconds without sending before a ping (API Gateway drops connections idle "
            "for 10 minutes).",
        ),
    ] = DEFAULTS.keepalive
    answer_timeout: Annotated[
        float,
        typer.Option(
            "--answer-timeout",
            min=0.05,
            hidden=True,
            help="Seconds to wait for the server's answer to a move before resynchronising.",
        ),
    ] = DEFAULTS.answer_timeout
    rematch: Annotated[
        bool,
        typer.Option(
            "--rematch",
            help="When the game ends, ask for one rematch (marks swapped) without asking you "
            'first; at a terminal xo asks "Play again? [y/N]" otherwise.',
        ),
    ] = DEFAULTS.rematch

    def runner_options(self) -> Options:
        """The runner's `Options`: these, and `DEFAULTS` for the rest."""
        return replace(
            DEFAULTS,
            opponent_timeout=self.opponent_timeout,
            retries=self.retries,
            keepalive=self.keepalive,
            answer_timeout=self.answer_timeout,
            rematch=self.rematch,
        )


Command = Callable[..., None]


def game_options(command: Command) -> Command:
    """`command` with its `GameOptions` parameter spelled out as the options it holds (for
    Typer), called with one `GameOptions` of what was given."""
    signature = inspect.signature(command, eval_str=True)
    params = list(signature.parameters.values())
    [at] = [i for i, param in enumerate(params) if param.annotation is GameOptions]
    name = params[at].name
    hints = typing.get_type_hints(GameOptions, include_extras=True)
    spelled = [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=field.default,
            annotation=hints[field.name],
        )
        for field in fields(GameOptions)
    ]

    @functools.wraps(command)
    def spelled_out(**given: Any) -> None:
        chosen = GameOptions(**{field.name: given.pop(field.name) for field in fields(GameOptions)})
        command(**given, **{name: chosen})

    parameters = [*params[:at], *spelled, *params[at + 1 :]]
    spelled_out.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    spelled_out.__annotations__ = {p.name: p.annotation for p in parameters}
    return spelled_out
