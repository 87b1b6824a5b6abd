"""Requests per game and cost per million games for each kind of game, beside the plain
one, counted by the emulator's meter over real games (raw WebSocket players):

- plain: two players, `start`, `join`, the nine-move draw, two closes;
- one spectator: the same, and one `watch` from a third connection that stays to the end;
- quick-matched: the same game, both players paired by `match` instead of `start`/`join`;
- a rematch: the plain game, both players ask for a rematch, the second draw (two games);
- against the computer: one player, `start` vs the perfect computer, moves with the board
  hint until the game ends (x plays the first free tile and loses), one close.

Each kind is played once untimed to warm the workers, then `games` times; counts must be
the same in every game. Lambda compute is left out here (see the main game_requests table,
whose figures it would repeat): the columns are requests, which is where kinds differ.

`python -m benchmarks.game_kinds [--games N]` runs this section alone.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks import cost
from benchmarks.players import DRAW, Player, expect

Scenario = Callable[[str, Counter[str]], Awaitable[int]]
"""Plays one game at a URL; returns how many connections it closed."""


async def plain(url: str, errors: Counter[str]) -> int:
    await _two_player_game(url, errors, spectators=0)
    return 2


async def one_spectator(url: str, errors: Counter[str]) -> int:
    await _two_player_game(url, errors, spectators=1)
    return 3


async def rematch(url: str, errors: Counter[str]) -> int:
    """Two games on the same two connections: a plain game, then its rematch (marks swapped)."""
    x = await Player.connect(url, errors)
    o = await Player.connect(url, errors)
    await x.send({"type": "start"})
    _, _, init = await expect(x.inbox, "init")
    game_id = init["id"]
    await o.send({"type": "join", "id": game_id})
    await expect(o.inbox, "join")
    await expect(x.inbox, "join")
    for first, second in ((x, o), (o, x)):
        for turn, tile in enumerate(DRAW):
            mover, opponent = (first, second) if turn % 2 == 0 else (second, first)
            await mover.send({"type": "play", "id": game_id, "tile": tile})
            await expect(opponent.inbox, "play")
        if first is x:
            await x.send({"type": "rematch", "id": game_id})
            await expect(o.inbox, "rematch_offer")
            await o.send({"type": "rematch", "id": game_id})
            _, _, again = await expect(o.inbox, "rematch")
            await expect(x.inbox, "rematch")
            game_id = again["id"]
    for player in (x, o):
        await player.close()
    return 2


async def quick_match(url: str, errors: Counter[str]) -> int:
    await _two_player_game(url, errors, spectators=0, quick=True)
    return 2


async def _two_player_game(
    url: str, errors: Counter[str], spectators: int, quick: bool = False
) -> None:
    x = await Player.connect(url, errors)
    o = await Player.connect(url, errors)
    watchers = [await Player.connect(url, errors) for _ in range(spectators)]
    await x.send({"type": "match"} if quick else {"type": "start"})
    _, _, init = await expect(x.inbox, "init")
    game_id = init["id"]
    await o.send({"type": "match"} if quick else {"type": "join", "id": game_id})
    await expect(o.inbox, "join")
    await expect(x.inbox, "join")
    for watcher in watchers:
        await watcher.send({"type": "watch", "id": game_id})
        await expect(watcher.inbox, "watching")
    for turn, tile in enumerate(DRAW):
        mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
        await mover.send({"type": "play", "id": game_id, "tile": tile})
        await expect(opponent.inbox, "play")
        for watcher in watchers:
            await expect(watcher.inbox, "play")
    for player in (x, o, *watchers):
        await player.close()


async def against_computer(url: str, errors: Counter[str]) -> int:
    from game.rules import Game

    x = await Player.connect(url, errors)
    inbox = x.inbox
    await x.send({"type": "start", "vs": "computer", "level": "perfect"})
    _, _, init = await expect(inbox, "init")
    board = Game()
    while not board.is_over:
        tile = next(k for k in range(9) if board.board[k] == " ")
        await x.send(
            {
                "type": "play",
                "id": init["id"],
                "tile": f"{tile // 3},{tile % 3}",
                "board": board.rows(),
                "level": "perfect",
            }
        )
        while True:
            _, _, answer = await inbox.get()
            if answer.get("type") in ("play", "state"):
                break
        board = Game(tuple(cell for row in answer["board"] for cell in row))
    await x.close()
    return 1


KINDS: dict[str, Scenario] = {
    "plain game (2 players, 9-move draw)": plain,
    "with one spectator": one_spectator,
    "quick-matched (xo play), 2 players": quick_match,
    "a game and its rematch (2 games, 18 moves)": rematch,
    "against the computer (perfect)": against_computer,
}


def _read(threaded: Any) -> Counter[str]:
    from benchmarks.game_requests import _Durations, _flat

    return _flat(threaded.metrics, _Durations())


async def _one(threaded: Any, scenario: Scenario) -> Counter[str]:
    errors: Counter[str] = Counter()
    before = _read(threaded)
    closed = await scenario(threaded.url, errors)
    deadline = time.perf_counter() + 30
    while True:  # every close's `$disconnect` is metered before the next game starts
        disconnects = _read(threaded)["invocations $disconnect"]
        if disconnects - before["invocations $disconnect"] >= closed:
            break
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{closed} $disconnect invocations not seen within 30 s")
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # the last handler's DynamoDB calls are metered as it returns
    if errors:
        raise RuntimeError(f"error frames during a metered game: {dict(errors)}")
    return _read(threaded) - before


async def _measure(threaded: Any, games: int) -> dict[str, list[Counter[str]]]:
    played: dict[str, list[Counter[str]]] = {}
    for name, scenario in KINDS.items():
        await _one(threaded, scenario)  # warm-up
        played[name] = [await _one(threaded, scenario) for _ in range(games)]
    return played


def measure_on(threaded: Any, games: int = 3) -> dict[str, Any]:
    """Play every kind on a running emulator; counts and cost per kind."""
    return summarize(asyncio.run(_measure(threaded, games)))


def summarize(played: dict[str, list[Counter[str]]]) -> dict[str, Any]:
    fields = ["invocations", "dynamodb_reads", "dynamodb_writes", "write_units", "read_units"]
    fields += ["posts", "messages_in", "messages_out"]
    prices = cost.prices()
    kinds = {}
    for name, games in played.items():
        mean = {f: sum(g[f] for g in games) / len(games) for f in fields}
        identical = all(len({g[f] for g in games}) == 1 for f in fields)
        counts = cost.GameCounts(
            messages_in=int(mean["messages_in"]),
            messages_out=int(mean["messages_out"]),
            lambda_invocations=int(mean["invocations"]),
            lambda_gb_seconds=0.0,
            dynamodb_write_units=mean["write_units"],
            dynamodb_read_units=mean["read_units"],
            dynamodb_requests=int(mean["dynamodb_reads"] + mean["dynamodb_writes"]),
            connection_posts=int(mean["posts"]),
        )
        kinds[name] = {
            **mean,
            "identical": identical,
            "cost_per_million_games": cost.cost_per_million_games(counts, prices)["total"],
        }
    return {"games_measured": len(next(iter(played.values()))), "kinds": kinds}


def render(result: dict[str, Any]) -> str:
    from benchmarks.report import table

    rows = [
        [
            name,
            f"{k['invocations']:g}",
            f"{k['dynamodb_reads']:g}",
            f"{k['dynamodb_writes']:g}",
            f"{k['posts']:g}",
            f"{k['messages_in'] + k['messages_out']:g}",
            f"${k['cost_per_million_games']:,.2f}",
            "yes" if k["identical"] else "NO",
        ]
        for name, k in result["kinds"].items()
    ]
    return (
        table(
            [
                "kind of game (whole game)",
                "Lambda",
                "DDB reads",
                "DDB writes",
                "@conn posts",
                "messages",
                "$ / million games*",
                "same every game",
            ],
            rows,
        )
        + f"\n* messages, Lambda requests and DynamoDB units at list prices; Lambda compute left out"
        f" (see above). Mean of {result['games_measured']} games per kind after a warm-up game."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=3)
    args = parser.parse_args()
    from client.local import xo_emulator

    threaded = xo_emulator().serve_in_thread()
    try:
        print(render(measure_on(threaded, args.games)))
    finally:
        threaded.stop()


if __name__ == "__main__":
    main()
