"""What a move costs, counted by the emulator's meter: a feature costs nothing to a game that
does not use it, and a game against the computer costs per move what a two-player game does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from client.local import xo_emulator
from emulator.server import ThreadedEmulator
from game.rules import Game
from tests.waiting import eventually


@pytest.fixture(scope="module")
def metered_server() -> Iterator[ThreadedEmulator]:
    """An emulator of its own, so no other test's requests land in the counts."""
    server = xo_emulator(provisioned_concurrency=1, close_timeout=1).serve_in_thread()
    try:
        yield server
    finally:
        server.stop()


class Meter:
    """The emulator's counts, read as differences."""

    def __init__(self, server: ThreadedEmulator) -> None:
        self.server = server

    def read(self) -> dict[str, int]:
        metrics = self.server.metrics
        return {
            "dynamodb": sum(op.calls for op in metrics.dynamodb.values()),
            "posts": metrics.connections_posts,
            **{f"invocations {route}": n for route, n in metrics.invocations.items()},
        }

    async def cost(self, route: str, before: dict[str, int]) -> dict[str, int]:
        """DynamoDB requests and posts since `before`, once one more `route` invocation ended
        (the meter counts an invocation as its handler returns, after its posts)."""
        key = f"invocations {route}"
        await eventually(lambda: self.read().get(key, 0) > before.get(key, 0), what=key)
        after = self.read()
        return {name: after[name] - before[name] for name in ("dynamodb", "posts")}


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 30))
    return message


async def test_a_move_against_the_computer_costs_what_a_two_player_move_costs(
    metered_server: ThreadedEmulator,
) -> None:
    meter = Meter(metered_server)
    two_player: list[dict[str, int]] = []
    async with connect(metered_server.url) as x, connect(metered_server.url) as o:
        before = meter.read()
        await x.send(json.dumps({"type": "start"}))
        game_id = (await receive(x))["id"]
        await meter.cost("start", before)
        before = meter.read()
        await o.send(json.dumps({"type": "join", "id": game_id}))
        await receive(o)
        await receive(x)
        await meter.cost("join", before)
        for mover, other, tile in ((x, o, "1,1"), (o, x, "0,0"), (x, o, "2,2")):
            before = meter.read()
            await mover.send(json.dumps({"type": "play", "id": game_id, "tile": tile}))
            assert (await receive(other))["type"] == "play"
            two_player.append(await meter.cost("play", before))
    closing = meter.read()
    await eventually(  # the two `$disconnect`s are metered before the next game is
        lambda: (
            meter.read().get("invocations $disconnect", 0)
            >= closing.get("invocations $disconnect", 0) + 2
        ),
        what="both $disconnects",
    )
    against_computer: list[dict[str, int]] = []
    async with connect(metered_server.url) as player:
        before = meter.read()
        await player.send(json.dumps({"type": "start", "vs": "computer", "level": "perfect"}))
        game_id = (await receive(player))["id"]
        await meter.cost("start", before)
        board = Game()
        while not board.is_over:
            tile = next(f"{k // 3},{k % 3}" for k in range(9) if board.board[k] == " ")
            before = meter.read()
            await player.send(
                json.dumps(
                    {
                        "type": "play",
                        "id": game_id,
                        "tile": tile,
                        "board": board.rows(),
                        "level": "perfect",
                    }
                )
            )
            answer = await receive(player)
            assert answer["type"] in ("play", "state"), answer
            board = Game(tuple(cell for row in answer["board"] for cell in row))
            against_computer.append(await meter.cost("play", before))
    assert two_player == [{"dynamodb": 1, "posts": 1}] * 3
    assert against_computer[:-1] == [{"dynamodb": 1, "posts": 1}] * (len(against_computer) - 1)
    # the move that ends the game also frees the player's seat (its connection's limit),
    # as a two-player game's final move frees both
    assert against_computer[-1] == {"dynamodb": 2, "posts": 1}
    assert board.outcome == "o"  # x's first-empty-cell play loses to the perfect computer
