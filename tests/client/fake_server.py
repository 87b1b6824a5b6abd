"""xo's real handlers behind a WebSocket server on port 0, with fault injection, for client tests.

Every frame a client sends goes to the handler `functions.routes.ROUTES` names, exactly as
API Gateway would route it, against moto's DynamoDB (`functions.store`'s conditional
writes, so the rules and sentences are the product's own). `@connections` is a stand-in
that delivers each post to the client's socket in order. What the server adds is only what
a test needs to inject:

- a *bot*: a player with no socket (connection id `bot`) that plays `bot_moves` when it is
  its turn (`on_bot_turn` may hold it back; `bot_play` forces a move); it joins a game a
  client starts (`bot_joins`), or starts one a client joins (`bot_game`), and can leave
  and come back (`bot_leave`, `bot_back`, through `$disconnect` and `resume`); with
  `bot_takes_offers`, it asks for a quick match right behind each client's `match`, before
  that client hears a word, so it takes the client's offer and its `join` goes out right
  behind the `init` (no time for the offer to lapse in between);
- `play_hook(game, mark, index)` before a client's move: "drop_before" closes the
  connection without running the handler, "drop_after" runs it then closes,
  "internal_after" runs it and answers API Gateway's "Internal server error" in place of
  the sender's `state`, and a raised `GameError` refuses the move with that error;
- `refuse_with`: answer every new handshake with that HTTP status instead of upgrading it
  (410 Gone: the local emulator while it stops), and with `close_after_refusing`, stop
  listening at the first refusal (the next attempt is refused: the server process is gone);
- `answer_pings` and `answer_acks` switched off, `drop(mark)` to close a client's
  connection from the server side, `push(mark, frame)` to send a client a frame the
  handlers would not (a forged one), and `received`, every frame clients sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from functions import aws, settings, store
from functions.routes import ROUTES
from functions.table import create_table_request, ttl_request
from game.errors import GameError
from game.protocol import (
    Join,
    Match,
    Ping,
    Play,
    Resume,
    Start,
    encode,
    error_message,
    parse_request,
    request_message,
)
from game.rules import Game, Mark, format_tile, parse_tile

BOT = "bot"
TABLE = "xo-client-tests"
MANAGEMENT_URL = "https://fake.execute-api.us-east-1.amazonaws.com/test"
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    settings.TABLE_NAME: TABLE,
    settings.CONNECTIONS_URL: MANAGEMENT_URL,
}


class FakeGame:
    """A game as the store holds it, with the raw tokens the server saw go by."""

    def __init__(self, game_id: str) -> None:
        self.id = game_id
        self.tokens: dict[Mark, str] = {}

    @property
    def game(self) -> Game:
        record = store.load_game(self.id)
        return record.game if record else Game()

    def connection_of(self, mark: Mark) -> str | None:
        record = store.load_game(self.id)
        return record.connection_of(mark) if record else None


PlayHook = Callable[[FakeGame, Mark, int], str | None]


class _Gone(Exception):
    """`@connections` answers 410 for a connection that is not open."""


def _full_buffer(conn: str) -> Exception:
    """What boto3 raises when API Gateway answers 429: the client is not reading."""
    from botocore.exceptions import ClientError

    return ClientError(
        {
            "Error": {"Code": "LimitExceededException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": 429},
        },
        "PostToConnection",
    )


class _Connections:
    """The `apigatewaymanagementapi` stand-in: posts go to the server's sockets (or its bot)."""

    class exceptions:
        GoneException = _Gone

    def __init__(self, server: FakeServer) -> None:
        self.server = server

    def post_to_connection(self, *, ConnectionId: str, Data: bytes) -> dict[str, Any]:
        self.server._post(ConnectionId, json.loads(Data))
        return {}


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
        self.full: set[str] = set()
        """Connections whose buffer is full: posts to them answer 429, as on AWS."""
        self.answer_pings = True
        self.answer_acks = True
        self.bot_takes_offers = False
        """The bot sends `match` right behind each client's: it takes that client's offer at
        once (its `join` is queued behind the client's `init`, before either is sent)."""
        self.on_bot_turn: Callable[[FakeGame], bool] | None = None
        """Return False to keep the bot from moving now (it moves on `bot_play`)."""
        self.refuse_with: int | None = None
        """Answer new handshakes with this HTTP status (no upgrade), as a server that is stopping."""
        self.close_after_refusing = False
        """Stop listening at the first refused handshake: later connections are refused."""
        self.url = ""
        self._server: Server | None = None
        self._sockets: dict[str, ServerConnection] = {}
        self._outboxes: dict[str, asyncio.Queue[dict[str, Any] | None]] = {}
        self._muted: set[str] = set()
        self._handlers = {route.key: _load(route.handler) for route in ROUTES}
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._setting_up = False

    # -- lifecycle --

    async def start(self) -> str:
        from moto import mock_aws

        for key, value in ENVIRONMENT.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        self._mock = mock_aws()
        self._mock.start()
        aws.reset()
        client = aws.dynamodb()
        client.create_table(**create_table_request(TABLE))
        client.update_time_to_live(**ttl_request(TABLE))
        aws.use("apigatewaymanagementapi", _Connections(self), MANAGEMENT_URL)
        self._loop = asyncio.get_running_loop()
        self._server = await serve(
            self._handle, "127.0.0.1", 0, process_request=self._process_request
        )
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/test"
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._mock is not None:
            aws.reset()
            self._mock.stop()
            self._mock = None
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    # -- games a test sets up --

    def bot_game(self, moves: tuple[str, ...] = (), away: Mark | None = None) -> FakeGame:
        """A game the bot started as x. With `moves`, o (a socketless stand-in whose token is
        in `tokens`) joins, the moves are played in turn, and o leaves when `away` is O."""
        self._setting_up = True
        try:
            self._call(BOT, request_message(Start(ack=False)))
            game = self._latest
            if moves or away is not None:
                self._call("stand-in", request_message(Join(game.id)))
                for turn, tile in enumerate(moves):
                    mover = BOT if turn % 2 == 0 else "stand-in"
                    self._call(mover, request_message(Play(game.id, tile, parse_tile(tile))))
                if away is Mark.O:
                    self._disconnect("stand-in")
        finally:
            self._setting_up = False
        return game

    def connection_of(self, mark: Mark, game: FakeGame | None = None) -> ServerConnection | None:
        game = game or next(iter(self.games.values()))
        conn = game.connection_of(mark)
        return self._sockets.get(conn) if conn else None

    async def drop(self, mark: Mark, game: FakeGame | None = None) -> None:
        """Close a client's connection from the server side (like DELETE @connections)."""
        ws = self.connection_of(mark, game)
        if ws is not None:
            await ws.close(1001, "going away")

    async def push(self, mark: Mark, message: dict[str, Any], game: FakeGame | None = None) -> None:
        """Send `message` to the client playing `mark`, as if the server had posted it (a frame
        the handlers do not send yet, or a forged one)."""
        game = game or next(iter(self.games.values()))
        conn = game.connection_of(mark)
        assert conn is not None, f"{mark} has no connection"
        await self.push_to(conn, message)

    async def push_to(self, conn: str, message: dict[str, Any]) -> None:
        """Send `message` to client connection `conn` (`c1` is the first client to connect),
        if it is still open."""
        outbox = self._outboxes.get(conn)
        if outbox is not None:
            outbox.put_nowait(message)

    async def bot_leave(self, game: FakeGame) -> None:
        self._disconnect(BOT)

    async def bot_back(self, game: FakeGame) -> None:
        self._call(BOT, request_message(Resume(game.id, game.tokens[self.bot_mark])))

    async def bot_join(self, game: FakeGame) -> None:
        self._call(BOT, request_message(Join(game.id)))

    async def bot_match(self) -> None:
        """The bot asks for a quick match (`xo play`): it takes the offer that stands, or waits."""
        self._call(BOT, request_message(Match()))

    async def bot_play(self, game: FakeGame) -> None:
        """Make the bot's next scripted move now."""
        tile = self.bot_moves.pop(0)
        self._call(BOT, request_message(Play(game.id, tile, parse_tile(tile))))

    # -- the handlers --

    def _call(self, conn: str, message: dict[str, Any]) -> dict[str, Any]:
        """Run the handler API Gateway would route `message` to, as connection `conn`."""
        return self._route(conn, encode(message))

    def _disconnect(self, conn: str) -> None:
        event = {"requestContext": {"connectionId": conn, "eventType": "DISCONNECT"}}
        self._handlers["$disconnect"](event, None)

    @property
    def _latest(self) -> FakeGame:
        return list(self.games.values())[-1]

    def _post(self, conn: str, message: dict[str, Any]) -> None:
        """A handler's post: note game ids and tokens, then deliver (or 410)."""
        game_id = message.get("id")
        if message.get("type") in ("init", "join") and isinstance(game_id, str):
            game = self.games.setdefault(game_id, FakeGame(game_id))
            if message.get("token"):
                game.tokens[Mark(message["mark"])] = message["token"]
        if conn in self.full:
            raise _full_buffer(conn)
        if conn == BOT:
            if not self._setting_up:
                self._schedule(self._bot_heard, message)
            return
        if conn == "stand-in":
            return
        if conn in self._muted and message.get("type") == "state":
            return
        outbox = self._outboxes.get(conn)
        if outbox is None:
            raise _Gone(conn)
        outbox.put_nowait(message)
        if message.get("type") == "init" and self.bot_joins and self.bot_mark is Mark.O:
            self._schedule(self._bot_joins_game, message["id"])

    def _schedule(self, callback: Callable[..., Any], *args: Any) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(callback, *args)

    def _bot_joins_game(self, game_id: str) -> None:
        self._call(BOT, request_message(Join(game_id)))

    def _bot_heard(self, message: dict[str, Any]) -> None:
        if message.get("type") in ("join", "play", "state", "opponent_back", "init"):
            game_id = message.get("id")
            if isinstance(game_id, str) and game_id in self.games:
                self._bot_turn(self.games[game_id])

    def _bot_turn(self, game: FakeGame) -> None:
        record = store.load_game(game.id)
        if record is None or record.connection_of(self.bot_mark) != BOT or not self.bot_moves:
            return
        if record.game.turn is not self.bot_mark or Mark.O not in record.tokens:
            return
        if self.on_bot_turn is not None and not self.on_bot_turn(game):
            return
        tile = self.bot_moves.pop(0)
        self._call(BOT, request_message(Play(game.id, tile, parse_tile(tile))))

    # -- client connections --

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        """Upgrade the handshake, unless the test has the server refuse it (`refuse_with`)."""
        if self.refuse_with is None:
            return None
        if self.close_after_refusing and self._server is not None:
            self._server.server.close()  # the listening socket closes now; this answer still goes
        status = HTTPStatus(self.refuse_with)
        return ws.respond(status, json.dumps({"message": status.phrase}))  # {"message":"Gone"}

    async def _handle(self, ws: ServerConnection) -> None:
        conn = f"c{len(self.connections) + 1}"
        self.connections.append(ws)
        self._sockets[conn] = ws
        outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._outboxes[conn] = outbox
        writer = asyncio.create_task(self._write(ws, outbox))
        try:
            async for raw in ws:
                try:
                    self.received.append(json.loads(raw))
                except ValueError:
                    self.received.append({"raw": raw})
                await self._dispatch(ws, conn, raw)
        except ConnectionClosed:
            pass
        finally:
            del self._outboxes[conn]
            outbox.put_nowait(None)
            await writer
            self._disconnect(conn)

    async def _write(self, ws: ServerConnection, outbox: asyncio.Queue[Any]) -> None:
        while (message := await outbox.get()) is not None:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(encode(message))

    async def _dispatch(self, ws: ServerConnection, conn: str, raw: str | bytes) -> None:
        try:
            request = parse_request(raw)
        except GameError:
            request = None
        hook = None
        if isinstance(request, Play) and self.play_hook is not None:
            game = self.games.get(request.game_id) or FakeGame(request.game_id)
            record = store.load_game(request.game_id)
            mark = record.players.get(conn) if record else None
            try:
                hook = self.play_hook(game, mark, request.cell) if mark else None
            except GameError as error:
                self._outboxes[conn].put_nowait(error_message(error))
                return
            if hook == "drop_before":
                await ws.close(1001, "going away")
                return
        if isinstance(request, Play) and (hook is not None or not self.answer_acks):
            self._muted.add(conn)  # the sender's `state` is lost, or replaced below
        try:
            result = self._route(conn, raw)
        finally:
            self._muted.discard(conn)
        if isinstance(request, Match) and self.bot_takes_offers:
            self._call(BOT, request_message(Match()))  # same step: the writer has sent nothing yet
        if hook == "drop_after":
            await ws.close(1001, "going away")
        elif hook == "internal_after":
            self._outboxes[conn].put_nowait({"message": "Internal server error"})
        elif "body" in result and (self.answer_pings or not isinstance(request, Ping)):
            self._outboxes[conn].put_nowait(json.loads(result["body"]))

    def _route(self, conn: str, raw: str | bytes) -> dict[str, Any]:
        """As API Gateway routes a frame: on its `type`, else to `$default`."""
        text = raw if isinstance(raw, str) else raw.decode(errors="replace")
        try:
            kind = json.loads(text).get("type")
        except (ValueError, AttributeError):
            kind = None
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        event = {
            "requestContext": {"connectionId": conn, "routeKey": kind, "eventType": "MESSAGE"},
            "body": text,
        }
        result: dict[str, Any] = (handler or self._handlers["$default"])(event, None)
        return result


def _load(handler: str) -> Any:
    module, _, name = handler.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


class ThreadedFakeServer:
    """A `FakeServer` on its own event loop in a thread, for CliRunner tests (which block)."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self.server

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def run(self, function: Callable[[], Any]) -> Any:
        """Run a plain function on the server's loop (the handlers run there)."""

        async def call() -> Any:
            return function()

        return self.call(call())

    def __exit__(self, *exc: object) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


__all__ = ["BOT", "FakeGame", "FakeServer", "ThreadedFakeServer", "format_tile"]
