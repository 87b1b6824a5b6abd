"""Raw WebSocket players for the benchmarks: no `xo` client logic, just frames and timestamps.

Each `Player` reads its connection in a task of its own and stamps every message the
moment it arrives (so a busy benchmark loop does not inflate latencies); the messages
go to a queue the game logic reads. Error frames are counted by code as they arrive:
xo's `{"type":"error","code":...}` by code, API Gateway's own `{"message": ...}` frames
by message.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

DRAW = ["1,1", "0,0", "2,2", "0,2", "0,1", "2,1", "1,0", "1,2", "2,0"]
"""A nine-move draw, x first."""


class Gone(Exception):
    """The connection closed while a message was awaited."""


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


class Player:
    """One WebSocket connection to the game server."""

    def __init__(
        self,
        connection: ClientConnection,
        errors: Counter[str],
        inbox: asyncio.Queue[Any] | None = None,
    ) -> None:
        self.connection = connection
        self.errors = errors
        self.inbox: asyncio.Queue[Any] = inbox if inbox is not None else asyncio.Queue()
        self.closed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls,
        url: str,
        errors: Counter[str],
        inbox: asyncio.Queue[Any] | None = None,
        timeout: float = 10.0,
    ) -> Player:
        connection = await connect(
            url,
            ping_interval=None,
            max_size=None,
            open_timeout=timeout,
            close_timeout=5,
            compression=None,
        )
        return cls(connection, errors, inbox)

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                at = time.perf_counter()
                try:
                    message = json.loads(raw)
                except ValueError:
                    self.errors["not JSON"] += 1
                    continue
                if not isinstance(message, dict):
                    self.errors["not an object"] += 1
                    continue
                if message.get("type") == "error":
                    self.errors[str(message.get("code"))] += 1
                elif "type" not in message and "message" in message:
                    self.errors[f"API Gateway: {message['message']}"] += 1
                self.inbox.put_nowait((self, at, message))
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()
            self.inbox.put_nowait((self, time.perf_counter(), None))

    @property
    def open(self) -> bool:
        return not self.closed.is_set()

    async def send(self, message: dict[str, Any]) -> float:
        """Send one message; returns the time it was handed to the socket."""
        sent = time.perf_counter()
        try:
            await self.connection.send(encode(message))
        except ConnectionClosed as error:
            raise Gone() from error
        return sent

    async def close(self) -> None:
        try:
            await self.connection.close()
        except Exception:  # closing is best effort
            pass
        self.reader.cancel()

    def abort(self) -> None:
        """Drop the TCP connection at once, no closing handshake (a lost network)."""
        transport = self.connection.transport
        if transport is not None:
            transport.abort()


async def expect(
    inbox: asyncio.Queue[Any], want: str, who: Player | None = None, timeout: float = 10.0
) -> tuple[Player, float, dict[str, Any]]:
    """The next message of type `want` (from `who`, if given) in `inbox`; messages of other
    types are skipped. Raises `Gone` if a connection closed, TimeoutError after `timeout`."""
    deadline = time.perf_counter() + timeout
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise TimeoutError(f"no {want} within {timeout} s")
        player, at, message = await asyncio.wait_for(inbox.get(), remaining)
        if message is None:
            raise Gone()
        if message.get("type") == "error" or "type" not in message:
            raise Refused(message)
        if message.get("type") == want and (who is None or player is who):
            return player, at, message


class Refused(Exception):
    """An error frame arrived instead of the message awaited."""

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(message.get("code") or message.get("message"))
        self.message = message


async def new_game(x: Player, o: Player, inbox: asyncio.Queue[Any], timeout: float = 10.0) -> str:
    """x starts a game and o joins it (both on the shared `inbox`); returns the game id."""
    await x.send({"type": "start"})
    _, _, init = await expect(inbox, "init", x, timeout)
    game_id = str(init["id"])
    await o.send({"type": "join", "id": game_id})
    seen: set[Player] = set()
    while len(seen) < 2:
        player, _, _ = await expect(inbox, "join", None, timeout)
        seen.add(player)
    return game_id
