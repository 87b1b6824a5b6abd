"""A tiny in-memory xo server speaking the protocol of PROTOCOL.md, for client tests.

It runs on `websockets.asyncio.server.serve` on port 0 and can host a *bot*: a player
with no socket that plays scripted moves, so a test drives one real client against it.
Hooks let a test drop a client's connection at exact moments (before or after a move
is applied) or refuse a move, make the bot leave and come back, and read every frame
clients sent. It honours `ack` as the real server does: a `state` to the mover after each
accepted move (after the opponent's `play`), unless `answer_acks` is off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from game.errors import ErrorCode, GameError
from game.protocol import (
    ID_PATTERN,
    Join,
    Ping,
    Play,
    Resume,
    Start,
    encode,
    error_message,
    init_message,
    join_message,
    parse_request,
    play_message,
    presence_message,
    seat_taken_message,
    state_message,
)
from game.rules import Game, Mark, format_tile, parse_tile

BOT = "bot"


@dataclass
class FakeGame:
    id: str
    game: Game = field(default_factory=Game)
    players: dict[Mark, ServerConnection | str | None] = field(default_factory=dict)
    tokens: dict[Mark, str] = field(default_factory=dict)
    acks: set[Mark] = field(default_factory=set)


PlayHook = Callable[[FakeGame, Mark, int], str | None]
"""Called before a client's move is applied: return "drop_before" to close the
connection without applying it, "drop_after" to apply it (and tell the opponent), then
close, "internal_after" to apply it and answer API Gateway's "Internal server error", or None; raise `GameError` to refuse it (the client gets that `error`)."""


class FakeServer:
    def __init__(
        self, bot_moves: list[str] | None = None, *, bot_mark: Mark = Mark.O, bot_joins: bool = True
    ) -> None:
        self.bot_moves = list(bot_moves or [])
        self.bot_mark = bot_mark
        self.bot_joins = bot_joins
        self.games: dict[str, FakeGame] = {}
        self.received: list[dict[str, Any]] = []
        self.connections: list[ServerConnection] = []
        self.play_hook: PlayHook | None = None
        self.answer_pings = True
        self.answer_acks = True
        self.on_bot_turn: Callable[[FakeGame], bool] | None = None
        """Return False to keep the bot from moving now (it moves on `bot_play`)."""
        self._server: Server | None = None
        self.url = ""

    # -- lifecycle --

    async def start(self) -> str:
        self._server = await serve(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/test"
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # -- games a test sets up --

    def bot_game(self) -> FakeGame:
        """A game the bot created (bot is x): a client joins it with its id."""
        game = FakeGame(secrets.token_urlsafe(16))
        game.players[Mark.X] = BOT
        game.tokens[Mark.X] = secrets.token_urlsafe(16)
        self.games[game.id] = game
        return game

    def connection_of(self, mark: Mark, game: FakeGame | None = None) -> ServerConnection | None:
        game = game or next(iter(self.games.values()))
        conn = game.players.get(mark)
        return conn if isinstance(conn, ServerConnection) else None

    async def drop(self, mark: Mark, game: FakeGame | None = None) -> None:
        """Close a client's connection from the server side (like DELETE @connections)."""
        conn = self.connection_of(mark, game)
        if conn is not None:
            await conn.close(1001, "going away")

    async def bot_leave(self, game: FakeGame) -> None:
        game.players[self.bot_mark] = None
        await self._send(game, self.bot_mark.other, presence_message(game.id, back=False))

    async def bot_back(self, game: FakeGame) -> None:
        game.players[self.bot_mark] = BOT
        await self._send(game, self.bot_mark.other, presence_message(game.id, back=True))
        await self._bot_turn(game)

    async def bot_play(self, game: FakeGame) -> None:
        """Make the bot's next scripted move now."""
        tile = self.bot_moves.pop(0)
        index = parse_tile(tile)
        game.game = game.game.play(self.bot_mark, index)
        await self._send(
            game,
            self.bot_mark.other,
            play_message(game.id, format_tile(index), self.bot_mark, game.game),
        )

    # -- the protocol --

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections.append(ws)
        try:
            async for raw in ws:
                try:
                    self.received.append(json.loads(raw))
                except ValueError:
                    self.received.append({"raw": raw})
                try:
                    await self._dispatch(ws, raw)
                except GameError as error:
                    await ws.send(encode(error_message(error)))
        except ConnectionClosed:
            pass
        finally:
            await self._disconnected(ws)

    async def _dispatch(self, ws: ServerConnection, raw: str | bytes) -> None:
        request = parse_request(raw)
        if isinstance(request, Ping):
            if self.answer_pings:
                await ws.send(encode({"type": "pong"}))
        elif isinstance(request, Start):
            game = FakeGame(secrets.token_urlsafe(16))
            token = secrets.token_urlsafe(16)
            game.players[Mark.X] = ws
            game.tokens[Mark.X] = token
            if request.ack:
                game.acks.add(Mark.X)
            self.games[game.id] = game
            await ws.send(encode(init_message(game.id, token)))
            if self.bot_joins and self.bot_mark is Mark.O:
                game.players[Mark.O] = BOT
                game.tokens[Mark.O] = secrets.token_urlsafe(16)
                await ws.send(encode(join_message(game.id, Mark.X)))
        elif isinstance(request, Join):
            game = self._game(request.game_id)
            if Mark.O in game.tokens:
                raise GameError(
                    ErrorCode.GAME_FULL, "This game already has two players: start a new one."
                )
            token = secrets.token_urlsafe(16)
            game.players[Mark.O] = ws
            game.tokens[Mark.O] = token
            if request.ack:
                game.acks.add(Mark.O)
            await ws.send(encode(join_message(game.id, Mark.O, token)))
            await self._bot_turn(game)
        elif isinstance(request, Play):
            game = self._game(request.game_id)
            mark = next((m for m, conn in game.players.items() if conn is ws), None)
            if mark is None:
                raise GameError(
                    ErrorCode.NOT_A_PLAYER, "This connection does not play in that game."
                )
            if Mark.O not in game.tokens:
                raise GameError(
                    ErrorCode.NOT_YOUR_TURN, "Wait for an opponent to join before you play."
                )
            game.game.check(mark, request.cell)
            hook = self.play_hook(game, mark, request.cell) if self.play_hook else None
            if hook == "drop_before":
                await ws.close(1001, "going away")
                return
            game.game = game.game.play(mark, request.cell)
            await self._send(
                game, mark.other, play_message(game.id, request.tile, mark, game.game), sender=ws
            )
            if hook == "drop_after":
                await ws.close(1001, "going away")
                return
            if hook == "internal_after":  # stored, but the sender hears API Gateway's failure
                await ws.send(encode({"message": "Internal server error", "connectionId": "c"}))
                return
            if mark in game.acks and self.answer_acks:
                await ws.send(encode(state_message(game.id, mark, game.game)))
            await self._bot_turn(game)
        elif isinstance(request, Resume):
            game = self._game(request.game_id)
            mark = next((m for m, token in game.tokens.items() if token == request.token), None)
            if mark is None:
                raise GameError(
                    ErrorCode.NOT_A_PLAYER, "That token does not belong to a player of this game."
                )
            previous = game.players.get(mark)
            game.players[mark] = ws
            if isinstance(previous, ServerConnection) and previous is not ws:
                with contextlib.suppress(ConnectionClosed):
                    await previous.send(encode(seat_taken_message(game.id)))
            if request.ack:
                game.acks.add(mark)
            await ws.send(encode(state_message(game.id, mark, game.game)))
            await self._send(game, mark.other, presence_message(game.id, back=True))
            await self._bot_turn(game)

    def _game(self, game_id: str) -> FakeGame:
        if not ID_PATTERN.fullmatch(game_id) or game_id not in self.games:
            raise GameError(
                ErrorCode.GAME_NOT_FOUND,
                "No game has that id (or it has expired): start a new game.",
            )
        return self.games[game_id]

    async def _send(
        self,
        game: FakeGame,
        to: Mark,
        message: dict[str, Any],
        sender: ServerConnection | None = None,
    ) -> None:
        conn = game.players.get(to)
        if isinstance(conn, ServerConnection):
            try:
                await conn.send(encode(message))
            except ConnectionClosed:
                pass
        elif conn is None and sender is not None and to in game.tokens:
            await sender.send(encode(presence_message(game.id, back=False)))

    async def _bot_turn(self, game: FakeGame) -> None:
        if (
            game.players.get(self.bot_mark) != BOT
            or game.game.turn is not self.bot_mark
            or not self.bot_moves
        ):
            return
        if Mark.O not in game.tokens:
            return
        if self.on_bot_turn is not None and not self.on_bot_turn(game):
            return
        await self.bot_play(game)

    async def _disconnected(self, ws: ServerConnection) -> None:
        for game in self.games.values():
            for mark, conn in list(game.players.items()):
                if conn is ws:
                    game.players[mark] = None
                    if not game.game.is_over:
                        await self._send(game, mark.other, presence_message(game.id, back=False))


class ThreadedFakeServer:
    """A `FakeServer` on its own event loop in a thread, for CliRunner tests (which block)."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)
        return self.server

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    def __exit__(self, *exc: object) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()
