"""`xo check`: play scripted games against a server, one line per step, and time the moves.

What a deployer runs after `pulumi up` (or against any xo server, `xo local` included):

1. game 1, two fresh connections: x starts, o joins, x wins on the top row;
2. game 2: a draw, all nine tiles;
3. drop and resume: x's connection is cut after its first move (no close frame, as when
   a network goes away); o must hear `opponent_left`; x reconnects and resumes with its
   token, gets the board back, o hears `opponent_back`, and the game is played to x's win;
4. more drawn games until at least `min_moves` moves have been timed;
5. the move latency: median, p90 and p99 of the time from sending a `play` to the
   opponent receiving it.

Every frame is built and read with `game.protocol` (the handlers' own module), every
board is checked against `game.rules`, and every wait is bounded by `timeout`. A step
that fails says what was expected and what came instead, and the others still run.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

import typer
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from client import urls
from client.exitcodes import ExitCode
from game.protocol import (
    Event,
    Join,
    Play,
    Request,
    Resume,
    Start,
    encode,
    parse_event,
    request_message,
)
from game.rules import Game, Mark, parse_tile

X_WINS = ("0,0", "1,0", "0,1", "1,1", "0,2")
"""x takes the top row."""
DRAW = ("0,0", "1,1", "2,2", "0,1", "2,1", "2,0", "0,2", "1,2", "1,0")
"""Nine tiles, no line."""
RESUMED_X_WINS = ("0,0", "1,1", "0,1", "2,2", "0,2")
"""The drop-and-resume game: x drops after its first move, resumes, and takes the top row."""
MIN_MOVES = 50
"""Moves timed at least, so that p99 means something."""
DEFAULT_TIMEOUT_SECONDS = 10.0
"""How long to wait for any one frame (and for a connection to open)."""


class CheckFailed(Exception):
    """A step did not go as the protocol says; the message says what came instead."""


@dataclass
class Player:
    """One connection, with the frames that arrived before anyone waited for them."""

    name: str
    connection: ClientConnection
    timeout: float
    held: list[Event] = field(default_factory=list)

    @classmethod
    async def connect(cls, url: str, name: str, timeout: float) -> Player:
        try:
            connection = await asyncio.wait_for(connect(url, open_timeout=None), timeout)
        except TimeoutError:
            raise CheckFailed(f"{name} could not connect within {timeout:g} s") from None
        except (OSError, InvalidHandshake, InvalidURI) as error:
            raise CheckFailed(f"{name} could not connect: {error}") from None
        return cls(name, connection, timeout)

    async def send(self, request: Request) -> None:
        try:
            await self.connection.send(encode(request_message(request)))
        except ConnectionClosed as error:
            raise CheckFailed(f"{self.name}'s connection closed ({error})") from None

    async def expect(self, kind: str, game_id: str | None) -> Event:
        """The next `kind` frame for `game_id` (any game if None); an `error` frame, a frame
        that is not a server message, a closed connection or `timeout` seconds of silence
        fail the step. Other frames are held for a later `expect`."""

        def wanted(event: Event) -> bool:
            return event.type == kind and (game_id is None or event.id == game_id)

        for index, event in enumerate(self.held):
            if wanted(event):
                return self.held.pop(index)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            try:
                raw = await asyncio.wait_for(self.connection.recv(), deadline - loop.time())
            except TimeoutError:
                raise CheckFailed(
                    f"{self.name} heard no {kind} within {self.timeout:g} s"
                    + (f" (heard {', '.join(e.type for e in self.held)})" if self.held else "")
                ) from None
            except ConnectionClosed as error:
                raise CheckFailed(f"{self.name}'s connection closed ({error})") from None
            try:
                event = parse_event(raw)
            except ValueError:
                raise CheckFailed(f"{self.name} got a frame that is not xo's: {raw!r}") from None
            if event.type == "error":
                raise CheckFailed(f"{self.name} was refused: {event.code}: {event.message}")
            if wanted(event):
                return event
            self.held.append(event)

    def drop(self) -> None:
        """Cut the connection without a close frame, as a lost network does."""
        self.connection.transport.abort()

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.connection.close(), self.timeout)
        except (TimeoutError, ConnectionClosed, OSError):
            self.connection.transport.abort()


@dataclass
class Table:
    """Two seated players of one game."""

    game_id: str
    x: Player
    o: Player
    x_token: str

    def player(self, mark: Mark) -> Player:
        return self.x if mark is Mark.X else self.o


async def seat(x: Player, o: Player) -> Table:
    """x starts a game and o joins it; both must hear `join` (o's copy with its token)."""
    await x.send(Start(ack=True))
    init = await x.expect("init", None)
    if not init.id or not init.token or init.mark is not Mark.X:
        raise CheckFailed(f"the init frame lacks an id, a token or mark x: {init}")
    await o.send(Join(init.id, ack=True))
    joined = await o.expect("join", init.id)
    if joined.mark is not Mark.O or not joined.token:
        raise CheckFailed(f"o's join frame lacks mark o or a token: {joined}")
    heard = await x.expect("join", init.id)
    if heard.mark is not Mark.X:
        raise CheckFailed(f"x's join frame says it plays {heard.mark}")
    return Table(init.id, x, o, init.token)


async def play(table: Table, tiles: tuple[str, ...], game: Game, latencies: list[float]) -> Game:
    """Play `tiles` from `game`: each mover's opponent must hear the move (timed) with the
    board `game.rules` gives, and the mover must get that board back (its ack)."""
    for tile in tiles:
        mark = game.turn_or_raise()
        game = game.play(mark, parse_tile(tile))
        mover, other = table.player(mark), table.player(mark.other)
        sent = time.perf_counter()
        await mover.send(Play(table.game_id, tile, parse_tile(tile)))
        heard = await other.expect("play", table.game_id)
        latencies.append(time.perf_counter() - sent)
        if heard.tile != tile or heard.game != game:
            raise CheckFailed(
                f"{other.name} heard {heard.tile} with board {_board(heard.game)}, "
                f"not {tile} with {_board(game)}"
            )
        ack = await mover.expect("state", table.game_id)
        if ack.game != game:
            raise CheckFailed(f"{mover.name}'s ack shows {_board(ack.game)}, not {_board(game)}")
    return game


def _board(game: Game | None) -> str:
    if game is None:
        return "no board"
    return "/".join("".join(row).replace(" ", ".") for row in game.rows())


def _outcome(game: Game) -> str:
    return "a draw" if game.is_draw else f"{game.winner} wins"


async def _two_players(url: str, timeout: float) -> tuple[Player, Player]:
    x = await Player.connect(url, "x", timeout)
    try:
        return x, await Player.connect(url, "o", timeout)
    except CheckFailed:
        await x.close()
        raise


async def scripted_game(
    url: str, tiles: tuple[str, ...], timeout: float, latencies: list[float]
) -> str:
    """A whole game on two fresh connections; returns what happened."""
    x, o = await _two_players(url, timeout)
    try:
        table = await seat(x, o)
        game = await play(table, tiles, Game(), latencies)
        expected = Game.from_moves(list(tiles))
        if not game.is_over or game.outcome != expected.outcome:
            raise CheckFailed(f"the game did not end as {_outcome(expected)}")
        return f"{_outcome(game)} in {game.moves} moves"
    finally:
        await x.close()
        await o.close()


async def drop_and_resume(url: str, timeout: float, latencies: list[float]) -> str:
    """x drops after its first move, o hears it, x resumes from a new connection, x wins."""
    x, o = await _two_players(url, timeout)
    players = [x, o]
    try:
        table = await seat(x, o)
        game = await play(table, RESUMED_X_WINS[:1], Game(), latencies)
        x.drop()
        await o.expect("opponent_left", table.game_id)
        back = await Player.connect(url, "x (resumed)", timeout)
        players.append(back)
        await back.send(Resume(table.game_id, table.x_token, ack=True))
        state = await back.expect("state", table.game_id)
        if state.game != game or state.mark is not Mark.X:
            raise CheckFailed(f"the resumed state shows {_board(state.game)} as {state.mark}")
        await o.expect("opponent_back", table.game_id)
        table.x = back
        game = await play(table, RESUMED_X_WINS[1:], game, latencies)
        if game.winner is not Mark.X:
            raise CheckFailed(f"the resumed game ended as {_outcome(game)}, not x wins")
        return (
            "x cut off after 1 move, o heard opponent_left, x resumed the board, "
            f"o heard opponent_back, {_outcome(game)} in {game.moves} moves"
        )
    finally:
        for player in players[1:]:
            await player.close()


@dataclass(frozen=True)
class Latency:
    """Move latency over `moves` moves, in seconds."""

    moves: int
    median: float
    p90: float
    p99: float

    @classmethod
    def of(cls, samples: list[float]) -> Latency:
        cuts = statistics.quantiles(samples, n=100, method="inclusive")
        return cls(len(samples), statistics.median(samples), cuts[89], cuts[98])

    def __str__(self) -> str:
        return (
            f"move latency over {self.moves} moves: median {self.median * 1000:.1f} ms, "
            f"p90 {self.p90 * 1000:.1f} ms, p99 {self.p99 * 1000:.1f} ms"
        )


async def run_check(
    url: str,
    report: Callable[[str], None],
    *,
    min_moves: int = MIN_MOVES,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> bool:
    """Run every step against `url`, `report`ing one line per step; True if all passed."""
    latencies: list[float] = []
    failures = 0

    async def step(name: str, body: Awaitable[str]) -> None:
        nonlocal failures
        started = time.perf_counter()
        try:
            detail = await body
        except CheckFailed as error:
            failures += 1
            report(f"FAIL  {name}: {error}")
            return
        report(f"PASS  {name}: {detail} ({time.perf_counter() - started:.2f} s)")

    report(f"xo check against {url}")
    await step("game 1", scripted_game(url, X_WINS, timeout, latencies))
    await step("game 2", scripted_game(url, DRAW, timeout, latencies))
    await step("drop and resume", drop_and_resume(url, timeout, latencies))
    extra = max(0, math.ceil((min_moves - len(latencies)) / len(DRAW))) if not failures else 0
    for number in range(4, 4 + extra):
        await step(f"game {number}", scripted_game(url, DRAW, timeout, latencies))
    steps = 3 + extra + 1
    if len(latencies) >= min_moves:
        report(f"PASS  {Latency.of(latencies)}")
    else:
        failures += 1
        report(f"FAIL  move latency: {len(latencies)} moves timed, fewer than {min_moves}")
    if failures:
        report(f"xo check failed: {failures} of {steps} steps failed.")
    else:
        report(f"xo check passed: {steps} steps.")
    return not failures


def check(
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            envvar=urls.ENV_VAR,
            help="The server, ws:// or wss://. Default: $WEBSOCKET_URL, else the Pulumi stack's "
            "websocketUrl.",
            show_envvar=True,
        ),
    ] = None,
    moves: Annotated[
        int, typer.Option("--moves", min=MIN_MOVES, help="Time at least this many moves.")
    ] = MIN_MOVES,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.1, help="Seconds to wait for any one frame or connection."),
    ] = DEFAULT_TIMEOUT_SECONDS,
) -> None:
    """Check a server: two scripted games (one won, one drawn), a drop and resume, and the
    move latency (median, p90, p99). One line per step; exit 1 if any step failed.

    Run it after `pulumi up`: with no --url it checks the Pulumi stack's websocketUrl.
    """
    try:
        resolved = urls.resolve_url(url)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(int(ExitCode.USAGE)) from None
    if resolved is None:
        typer.echo(
            "No server to check: pass --url (or set WEBSOCKET_URL, or run this in the Pulumi "
            "project after `pulumi up`).",
            err=True,
        )
        raise typer.Exit(int(ExitCode.USAGE))
    passed = asyncio.run(run_check(resolved.url, typer.echo, min_moves=moves, timeout=timeout))
    raise typer.Exit(0 if passed else int(ExitCode.SERVER_ERROR))
