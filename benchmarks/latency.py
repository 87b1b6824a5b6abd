"""Move latency on the local emulator, beside its floor, measured in the same run.

- `move_latency`: two clients play whole games (9-move draws), each answering the
  instant the opponent's move arrives; the figure is the time from one side sending
  `play` to the other receiving it.
- `relay_floor`: a bare `websockets` server (`benchmarks.relay`, a process of its own
  like the emulator) that forwards each frame from one client to the other: no
  handler, no database.
- `update_item_floor`: one conditional `UpdateItem` (ALL_NEW) through boto3, with the
  handlers' client configuration, on the same DynamoDB endpoint the handlers use.
- `play_update_item`: for comparison, the `UpdateItem` that `play` really sends (its
  condition checks player, turn, tile, lines and expiry), timed the same way.

floor = relay median + UpdateItem median; the headline is move median / floor.

`python -m benchmarks.latency [--quick]` runs this section alone on a fresh `xo local`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.players import DRAW, Player, expect, new_game
from benchmarks.procs import ROOT, LocalServer
from benchmarks.stats import summary


async def move_latency(url: str, moves: int = 108, warmup_games: int = 1) -> dict[str, Any]:
    """Play 9-move draws until `moves` moves were timed (after `warmup_games` untimed
    games, which also start the handlers' workers). Each game has two fresh connections,
    as two `xo` players have: one connection may start only so many games a minute
    (`functions.settings.STARTS_PER_MINUTE`), and this plays more."""
    samples: list[float] = []
    errors: Counter[str] = Counter()
    games = 0
    while len(samples) < moves:
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        x = await Player.connect(url, errors, inbox)
        o = await Player.connect(url, errors, inbox)
        try:
            game_id = await new_game(x, o, inbox)
            for turn, tile in enumerate(DRAW):
                mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
                sent = await mover.send({"type": "play", "id": game_id, "tile": tile})
                _, arrived, _ = await expect(inbox, "play", opponent)
                if games >= warmup_games:
                    samples.append((arrived - sent) * 1000)
        finally:
            await x.close()
            await o.close()
        games += 1
    return {**summary(samples), "games": games - warmup_games, "errors": dict(errors)}


async def relay_floor(frames: int = 300) -> dict[str, Any]:
    """One frame from client A to client B through a bare relay in its own process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.relay"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        port = int(await asyncio.to_thread(process.stdout.readline))
        errors: Counter[str] = Counter()
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        a = await Player.connect(f"ws://127.0.0.1:{port}", errors, inbox)
        b = await Player.connect(f"ws://127.0.0.1:{port}", errors, inbox)
        payload = {"type": "play", "id": "A" * 22, "tile": "1,1"}
        samples: list[float] = []
        for i in range(frames + 20):
            sender, receiver = (a, b) if i % 2 == 0 else (b, a)
            sent = await sender.send(payload)
            _, arrived, _ = await expect(inbox, "play", receiver)
            if i >= 20:
                samples.append((arrived - sent) * 1000)
        await a.close()
        await b.close()
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return summary(samples)


_CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_credentials: dict[str, str] = {}
"""The handlers' own credentials (the embedded DynamoDB accepts only those the emulator issued)."""


def _client(endpoint: str) -> Any:
    import boto3

    from functions.aws import client_config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=_credentials.get("AWS_ACCESS_KEY_ID", "bench"),
        aws_secret_access_key=_credentials.get("AWS_SECRET_ACCESS_KEY", "bench"),
        aws_session_token=_credentials.get("AWS_SESSION_TOKEN"),
        config=client_config("dynamodb"),
    )


def update_item_floor(endpoint: str, table: str, requests: int = 300) -> dict[str, Any]:
    """One conditional UpdateItem (ALL_NEW) on `endpoint`, as a warm handler would send it."""
    client = _client(endpoint)
    key = {"GameId": {"S": "benchmark#floor"}}
    client.put_item(TableName=table, Item={**key, "n": {"N": "0"}})
    samples: list[float] = []
    for i in range(requests + 20):
        sent = time.perf_counter()
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET n = n + :one",
            ConditionExpression="attribute_exists(GameId)",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        if i >= 20:
            samples.append((time.perf_counter() - sent) * 1000)
    client.delete_item(TableName=table, Key=key)
    return summary(samples)


@contextmanager
def _handler_environment(endpoint: str, table: str) -> Iterator[None]:
    from functions import aws, settings

    values = {
        settings.TABLE_NAME: table,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": _credentials.get("AWS_ACCESS_KEY_ID", "bench"),
        "AWS_SECRET_ACCESS_KEY": _credentials.get("AWS_SECRET_ACCESS_KEY", "bench"),
        "AWS_SESSION_TOKEN": _credentials.get("AWS_SESSION_TOKEN", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    aws.reset()
    try:
        yield
    finally:
        aws.reset()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def play_update_item(endpoint: str, table: str, games: int = 12) -> dict[str, Any]:
    """The UpdateItem that `functions.store.play_move` sends, timed around the boto3 call
    alone (games created with `store.create_game`/`join_game` under made-up connection ids)."""
    from functions import aws, ids, store

    samples: list[float] = []

    class TimedClient:
        """The handlers' DynamoDB client, timing each move's UpdateItem."""

        def __init__(self, client: Any) -> None:
            self.client = client

        def update_item(self, **request: Any) -> Any:
            sent = time.perf_counter()
            try:
                return self.client.update_item(**request)
            finally:
                if "#board" in request.get("UpdateExpression", ""):
                    samples.append((time.perf_counter() - sent) * 1000)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

    with _handler_environment(endpoint, table):
        aws.use("dynamodb", TimedClient(aws.dynamodb()))
        order = [1 * 3 + 1, 0, 8, 2, 1, 7, 3, 5, 6]  # DRAW as cell indexes
        for game in range(games + 1):
            game_id = ids.new_secret()
            store.create_game(game_id, "benchX", ids.new_secret(), False)
            store.join_game(game_id, "benchO", ids.new_secret(), False)
            if game == 0:
                samples.clear()
            for turn, index in enumerate(order):
                store.play_move(game_id, "benchX" if turn % 2 == 0 else "benchO", index)
            if game == 0:
                samples.clear()
    return summary(samples)


async def measure(server: LocalServer, quick: bool = False, smoke: bool = False) -> dict[str, Any]:
    """One game's move latency on `server`, then the floors against the handlers' own DynamoDB.
    `smoke`: one game of each, to check that it runs (its figures mean nothing)."""
    moves = 9 if smoke else 54 if quick else 108
    frames = 20 if smoke else 150 if quick else 300
    update_games = 1 if smoke else 6 if quick else 12
    game = await move_latency(server.url, moves)
    env = server.handler_environment()
    endpoint = env.get("AWS_ENDPOINT_URL_DYNAMODB")
    table = env.get("TABLE_NAME")
    if not endpoint or not table:
        raise RuntimeError(
            "could not read the handlers' DynamoDB endpoint from a worker's environment"
        )
    _credentials.update({name: env[name] for name in _CREDENTIAL_VARIABLES if name in env})
    relay = await relay_floor(frames)
    update = await asyncio.to_thread(update_item_floor, endpoint, table, frames)
    play_update = await asyncio.to_thread(play_update_item, endpoint, table, update_games)
    floor = (relay["median_ms"] or 0) + (update["median_ms"] or 0)
    return {
        "one_game": game,
        "relay": relay,
        "update_item": update,
        "play_update_item": play_update,
        "dynamodb_endpoint": endpoint,
        "floor_median_ms": round(floor, 2),
        "ratio": round(game["median_ms"] / floor, 2) if floor and game["median_ms"] else None,
        "ratio_to_play_update": round(
            game["median_ms"] / ((relay["median_ms"] or 0) + play_update["median_ms"]), 2
        )
        if play_update["median_ms"] and game["median_ms"]
        else None,
    }


def render(result: dict[str, Any]) -> str:
    from benchmarks.report import ms, table

    game, relay, update, play = (
        result["one_game"],
        result["relay"],
        result["update_item"],
        result["play_update_item"],
    )
    rows = [
        [
            "move: play -> opponent receives (one game)",
            game["count"],
            ms(game["median_ms"]),
            ms(game["p90_ms"]),
            ms(game["p99_ms"]),
            ms(game["max_ms"]),
        ],
        [
            "floor: bare websockets relay, A -> B",
            relay["count"],
            ms(relay["median_ms"]),
            ms(relay["p90_ms"]),
            ms(relay["p99_ms"]),
            ms(relay["max_ms"]),
        ],
        [
            "floor: conditional UpdateItem (boto3)",
            update["count"],
            ms(update["median_ms"]),
            ms(update["p90_ms"]),
            ms(update["p99_ms"]),
            ms(update["max_ms"]),
        ],
        [
            "  for comparison: UpdateItem as play sends it",
            play["count"],
            ms(play["median_ms"]),
            ms(play["p90_ms"]),
            ms(play["p99_ms"]),
            ms(play["max_ms"]),
        ],
    ]
    for step in result.get("under_load", []):
        lat = step["latency"]
        rows.append(
            [
                f"move under load: {step['games']} games, {step['target_moves_per_s']} moves/s",
                lat["count"],
                ms(lat["median_ms"]),
                ms(lat["p90_ms"]),
                ms(lat["p99_ms"]),
                ms(lat["max_ms"]),
            ]
        )
    text = table(["", "n", "median", "p90", "p99", "max"], rows)
    text += (
        f"\nfloor = relay median + UpdateItem median = {ms(result['floor_median_ms'])}; "
        f"move median / floor = {result['ratio']}x (headline)"
        f"\n(with the UpdateItem play really sends in the floor instead: {result['ratio_to_play_update']}x)"
        f"\nDynamoDB endpoint (read from a handler worker's environment): {result['dynamodb_endpoint']}"
    )
    if game["errors"]:
        text += f"\nerror frames during the game: {game['errors']}"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description="Move latency on `xo local`, beside its floor.")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with LocalServer() as server:
        result = asyncio.run(measure(server, args.quick))
    print(render(result))


if __name__ == "__main__":
    main()
