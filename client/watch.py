"""`xo watch --id GAME_ID`: follow a game as a spectator, live, until it ends.

`Spectator` turns the server's messages into lines to print (no I/O); `watch` carries
frames from one connection to it. A spectator sends one request (`watch`) and then only
listens: it holds no seat and cannot move.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

import typer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from client import urls
from client.board import render_board
from client.exitcodes import ExitCode
from client.runner import KEEPALIVE_SECONDS
from game.errors import GameError
from game.protocol import Watch, encode, parse_event, request_message
from game.rules import Game, parse_tile

FOLLOW_SECONDS = 60.0
"""After a game ends, how long a spectator waits for its rematch (which it then follows)."""
FINISHED, REFUSED = ExitCode.WON, ExitCode.SERVER_ERROR
"""The game ended (0, "a command other than a game succeeded"); the server refused (no such
game, or as many spectators as a game can have)."""
USAGE, CONNECTION_LOST = ExitCode.USAGE, ExitCode.CONNECTION_LOST


@dataclass
class Spectator:
    """One spectator's view of a game."""

    game_id: str
    game: Game = field(default_factory=Game)
    over: bool = False
    failed: bool = False

    def request(self) -> dict[str, object]:
        return request_message(Watch(self.game_id))

    def handle(self, raw: str | bytes) -> list[str]:
        """The lines to print for one server message."""
        try:
            event = parse_event(raw)
            data = json.loads(raw)
        except ValueError:
            return []
        if event.type == "error":
            self.failed = True
            return [f"The server refused: {event.message}"]
        lines: list[str] = []
        if event.type == "watching" and event.game is not None:
            self.game = event.game
            present = data.get("present", [])
            away = [mark for mark in ("x", "o") if mark not in present]
            lines += [
                f"Watching game {self.game_id} ({_count(event.watchers)} watching).",
                render_board(self.game),
            ]
            if away:
                lines.append(f"Not connected now: {' and '.join(away)}.")
        elif event.type == "play" and event.game is not None:
            self.game = event.game
            try:
                last = parse_tile(event.tile) if event.tile else None
            except GameError:  # not a tile: draw the board without marking the last move
                last = None
            lines += [f"{event.mark} played {event.tile}.", render_board(self.game, last)]
        elif event.type in ("timeout", "resigned") and event.loser is not None:
            self.over = True
            how = "resigned" if event.type == "resigned" else "ran out of time"
            return [f"The game is over: {event.loser} {how}, {event.loser.other} won."]
        elif event.type == "rematch" and event.id:
            self.game_id, self.game, self.over = event.id, Game(), False
            return [
                f"Rematch: game {event.id}, marks swapped.",
                render_board(self.game),
                "x to play.",
            ]
        elif event.type == "presence":
            mark = data.get("mark")
            lines.append(f"{mark} is connected." if data.get("present") else f"{mark} left.")
        else:
            return []
        lines.append(self._status())
        return lines

    def _status(self) -> str:
        outcome = self.game.outcome
        if outcome is None:
            return f"{self.game.turn} to play."
        self.over = True
        return (
            "The game is over: it's a draw."
            if outcome == "draw"
            else f"The game is over: {outcome} won."
        )


def _count(watchers: int | None) -> str:
    return "?" if watchers is None else str(watchers)


async def watch(
    url: str,
    game_id: str,
    echo: Callable[[str], None],
    open_timeout: float = 10.0,
    keepalive: float = KEEPALIVE_SECONDS,
    follow: float = FOLLOW_SECONDS,
) -> int:
    """Watch `game_id` at `url`, printing with `echo`, until the game ends and no rematch
    starts within `follow` seconds (a rematch is followed). Returns the exit code."""
    spectator = Spectator(game_id)
    ended: float | None = None
    try:
        async with connect(url, open_timeout=open_timeout, ping_interval=None) as ws:
            await ws.send(encode(spectator.request()))
            while True:
                wait = keepalive if ended is None else ended + follow - time.monotonic()
                if wait <= 0:
                    return FINISHED
                try:
                    raw = await asyncio.wait_for(ws.recv(), wait)
                except TimeoutError:  # API Gateway closes a connection idle for 10 minutes
                    if ended is None:
                        await ws.send(encode({"type": "ping"}))
                    continue
                for line in spectator.handle(raw):
                    echo(line)
                if spectator.failed:
                    return REFUSED
                ended = None if not spectator.over else (ended or time.monotonic())
    except InvalidURI as error:
        echo(f"{url!r} is not a WebSocket URL ({error}).")
        return USAGE
    except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake) as error:
        echo(f"The connection to {url} was lost: {error or type(error).__name__}.")
        return CONNECTION_LOST


def run(url: str, game_id: str, echo: Callable[[str], None], follow: float = FOLLOW_SECONDS) -> int:
    return asyncio.run(watch(url, game_id, echo, follow=follow))


def command(
    game_id: Annotated[str, typer.Option("--id", help="The game to watch.")],
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            envvar=urls.ENV_VAR,
            help="The server the players use, ws:// or wss://. Default: $WEBSOCKET_URL, else the "
            "Pulumi stack's websocketUrl.",
            show_envvar=True,
        ),
    ] = None,
    follow: Annotated[
        float,
        typer.Option(
            "--follow",
            min=0,
            help="Seconds to wait after a game for its rematch, which is then watched too.",
        ),
    ] = FOLLOW_SECONDS,
) -> None:
    """Watch a game live as a spectator: the board, each move, who leaves and comes back.

    A spectator cannot move. Ends when the game does (exit 0); exit 1 if the server refuses
    (no such game, or it has as many spectators as a game can have).
    """
    try:
        resolved = urls.resolve_url(url)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(int(USAGE)) from None
    if resolved is None:
        typer.echo(
            "Which server? Pass --url (the one the players use) or set WEBSOCKET_URL.", err=True
        )
        raise typer.Exit(int(USAGE))
    raise typer.Exit(int(run(resolved.url, game_id, typer.echo, follow)))
