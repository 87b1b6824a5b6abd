"""Move latency on the local emulator, beside its floor, measured in the same run.

- `move_latency`: two clients play whole games, each answering the instant the
  opponent's move arrives; the figure is the time from x (or o) sending `play` to the
  opponent receiving it.
- `relay_floor`: a bare `websockets` server that forwards each frame from one client
  to the other (no handler, no database).
- `update_item_floor`: one conditional `UpdateItem` on the same DynamoDB endpoint the
  handlers use.

floor = relay median + UpdateItem median; the headline is move median / floor.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import boto3
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

from benchmarks.stats import summary

DRAW = ["1,1", "0,0", "2,2", "0,2", "0,1", "2,1", "1,0", "1,2", "2,0"]


async def move_latency(url: str, moves: int = 108) -> dict[str, Any]:
    """Play draws until at least `moves` moves were timed; both sides answer at once."""
    samples: list[float] = []
    async with connect(url, max_size=None) as x, connect(url, max_size=None) as o:
        while len(samples) < moves:
            await x.send(json.dumps({"type": "start"}))
            game_id = json.loads(await x.recv())["id"]
            await o.send(json.dumps({"type": "join", "id": game_id}))
            await o.recv()
            await x.recv()
            for turn, tile in enumerate(DRAW):
                mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
                sent = time.perf_counter()
                await mover.send(json.dumps({"type": "play", "id": game_id, "tile": tile}))
                message = json.loads(await opponent.recv())
                samples.append((time.perf_counter() - sent) * 1000)
                if message.get("type") != "play":
                    raise RuntimeError(f"expected play, got {message}")
    return summary(samples)


async def relay_floor(frames: int = 300) -> dict[str, Any]:
    """One frame from client A to client B through a bare relay, no handler, no database."""
    peers: list[Any] = []
    ready = asyncio.Event()

    async def relay(connection: Any) -> None:
        peers.append(connection)
        if len(peers) == 2:
            ready.set()
        async for frame in connection:
            other = peers[1] if connection is peers[0] else peers[0]
            await other.send(frame)

    samples: list[float] = []
    async with serve(relay, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}") as a:
            async with connect(f"ws://127.0.0.1:{port}") as b:
                await asyncio.wait_for(ready.wait(), 5)
                payload = json.dumps({"type": "play", "id": "A" * 22, "tile": "1,1"})
                for i in range(frames):
                    sender, receiver = (a, b) if i % 2 == 0 else (b, a)
                    sent = time.perf_counter()
                    await sender.send(payload)
                    await receiver.recv()
                    samples.append((time.perf_counter() - sent) * 1000)
    return summary(samples)


def update_item_floor(endpoint: str, table: str, requests: int = 300) -> dict[str, Any]:
    """One conditional UpdateItem (ALL_NEW) on `endpoint`, as a warm handler would send it."""
    from functions.aws import _config

    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="bench", aws_secret_access_key="bench", config=_config(),
    )
    key = {"GameId": {"S": "benchmark#floor"}}
    client.put_item(TableName=table, Item={**key, "n": {"N": "0"}})
    samples: list[float] = []
    for _ in range(requests):
        sent = time.perf_counter()
        client.update_item(
            TableName=table, Key=key, UpdateExpression="SET n = n + :one",
            ConditionExpression="attribute_exists(GameId)",
            ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW",
        )
        samples.append((time.perf_counter() - sent) * 1000)
    client.delete_item(TableName=table, Key=key)
    return summary(samples)
