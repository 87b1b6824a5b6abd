"""A thin player over a `websockets` connection, for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

DRAW = ["1,1", "0,0", "2,2", "0,2", "0,1", "2,1", "1,0", "1,2", "2,0"]
X_WINS = ["0,0", "1,0", "0,1", "1,1", "0,2"]
O_WINS = ["0,0", "1,0", "0,1", "1,1", "2,2", "1,2"]


class Player:
    """One connection: `send` a message, `recv` the next one (as a dict)."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    @classmethod
    async def connect(cls, url: str) -> Player:
        return cls(await connect(url, max_size=None, ping_interval=None))

    async def send(self, **message: Any) -> None:
        await self.connection.send(json.dumps(message))

    async def send_raw(self, frame: str | bytes) -> None:
        await self.connection.send(frame)

    async def recv(self, timeout: float = 10) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.connection.recv(), timeout))

    async def silent(self, wait: float = 0.3) -> bool:
        """True if nothing arrives within `wait` seconds."""
        try:
            message = await asyncio.wait_for(self.connection.recv(), wait)
        except TimeoutError:
            return True
        raise AssertionError(f"expected silence, got {message!r}")

    async def close(self) -> None:
        await self.connection.close()

    def kill(self) -> None:
        """Drop the TCP connection with no close frame, as a dead laptop would."""
        self.connection.transport.abort()


async def new_game(url: str) -> tuple[Player, Player, dict[str, Any], dict[str, Any]]:
    """x starts, o joins; returns both players, x's init and o's join."""
    x, o = await Player.connect(url), await Player.connect(url)
    await x.send(type="start")
    init = await x.recv()
    assert init["type"] == "init", init
    await o.send(type="join", id=init["id"])
    joined = await o.recv()
    assert joined["type"] == "join" and joined["mark"] == "o", joined
    assert await x.recv() == {"type": "join", "id": init["id"], "mark": "x"}
    return x, o, init, joined


async def play_out(x: Player, o: Player, game_id: str, tiles: list[str]) -> dict[str, Any]:
    """Play `tiles` in turn; each move must reach the opponent (and only it). Returns the last play seen."""
    last: dict[str, Any] = {}
    for turn, tile in enumerate(tiles):
        mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
        await mover.send(type="play", id=game_id, tile=tile)
        last = await opponent.recv()
        assert (last["type"], last["tile"]) == ("play", tile), last
    return last
