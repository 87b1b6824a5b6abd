"""Concurrent games held by one emulator at a fixed pace per game, stepped up.

The emulator is started the way a user starts it, with one command (`xo local --port 0`,
a child process; its URL is its first stdout line). This process drives it with raw
asyncio WebSocket players. For each step (games, target moves/s):

1. open 2 connections per game, paced at 500 new connections/s (API Gateway's default
   account quota);
2. `start` + `join` every game (at most 50 games setting up at once);
3. for a fixed time, every game moves at the same fixed pace with a random phase, so
   that all games together make the target moves/s; a game that ends (a 9-move draw)
   starts a new one on the same connections;
4. close every connection and wait until the emulator is idle again (its `$disconnect`
   invocations done) before the next step.

Measured per step: connections opened and still open at the end, moves/s achieved,
latency from a `play` leaving its sender to the opponent receiving it (median, p99),
errors (error frames by code, API Gateway error frames, connection failures, moves left
unanswered for 10 s), the emulator's memory (RSS of the process and all it started:
workers, embedded DynamoDB) and CPU. Stepping stops at the first step that does not
hold: p99 above 250 ms, any error, or under 90 % of the target rate achieved.

`python -m benchmarks.load [--quick] [--steps 50x10,500x50] [--seconds S]` runs this
section alone on a fresh `xo local`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections import Counter
from typing import Any

from benchmarks.players import DRAW, Gone, Player, Refused, expect, new_game
from benchmarks.procs import LocalServer, raise_fd_limit
from benchmarks.stats import summary

STEPS = [(50, 10), (100, 20), (250, 25), (500, 50), (500, 75), (500, 100), (500, 150)]
QUICK_STEPS = [(50, 10), (250, 25), (500, 50)]
SECONDS = 20.0
QUICK_SECONDS = 8.0
SMOKE_STEPS = [(2, 4.0)]
SMOKE_SECONDS = 2.0
"""`--smoke`: one small step after a one-second warm-up, to check that it runs."""
P99_LIMIT_MS = 250.0
MIN_RATE_SHARE = 0.9
CONNECTS_PER_S = 500
SETUP_CONCURRENCY = 50
MOVE_TIMEOUT_S = 10.0


async def warm_up(url: str, games: int = 8, seconds: float = 3.0) -> dict[str, Any]:
    """Games moving as fast as they can for a few seconds, so that each route has its
    workers running (as many as this concurrency needs) before anything is measured."""
    errors: Counter[str] = Counter()
    moves = 0
    stop = time.perf_counter() + seconds

    async def one() -> None:
        nonlocal moves
        while time.perf_counter() < stop:  # fresh connections each game, as in `move_latency`
            inbox: asyncio.Queue[Any] = asyncio.Queue()
            x = await Player.connect(url, errors, inbox)
            o = await Player.connect(url, errors, inbox)
            try:
                game_id = await new_game(x, o, inbox, timeout=30)
                for turn, tile in enumerate(DRAW):
                    mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
                    await mover.send({"type": "play", "id": game_id, "tile": tile})
                    await expect(inbox, "play", opponent, timeout=30)
                    moves += 1
            finally:
                await x.close()
                await o.close()

    await asyncio.gather(*(one() for _ in range(games)))
    return {"games": games, "seconds": seconds, "moves": moves, "errors": dict(errors)}


async def run_step(
    server: LocalServer, games: int, rate: float, seconds: float, on_move: Any = None
) -> dict[str, Any]:
    """One step; `on_move(game_id, tile, sent, arrived)` sees every timed move (for profiling)."""
    loop = asyncio.get_running_loop()
    url = server.url
    errors: Counter[str] = Counter()
    setup_errors: Counter[str] = Counter()
    inboxes: list[asyncio.Queue[Any]] = [asyncio.Queue() for _ in range(games)]
    players: list[Player | None] = [None] * (2 * games)

    # 1. Connections, paced.
    began = loop.time()

    async def open_one(i: int) -> None:
        try:
            players[i] = await Player.connect(url, errors, inboxes[i // 2], timeout=30)
        except Exception as error:  # refused, reset, timed out: all count
            errors[f"connect failed: {type(error).__name__}"] += 1

    connecting = []
    for i in range(2 * games):
        connecting.append(asyncio.create_task(open_one(i)))
        await asyncio.sleep(max(0.0, began + (i + 1) / CONNECTS_PER_S - loop.time()))
    await asyncio.gather(*connecting)
    connect_s = loop.time() - began
    opened = sum(p is not None for p in players)

    # 2. start + join.
    began = loop.time()
    game_ids: list[str | None] = [None] * games
    limit = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def set_up(g: int) -> None:
        x, o = players[2 * g], players[2 * g + 1]
        if x is None or o is None:
            return
        async with limit:
            try:
                game_ids[g] = await new_game(x, o, inboxes[g], timeout=30)
            except (Gone, Refused, TimeoutError) as error:
                setup_errors[f"setup: {type(error).__name__}"] += 1

    await asyncio.gather(*(set_up(g) for g in range(games)))
    setup_s = loop.time() - began
    errors.update(setup_errors)

    # 3. Paced moves.
    interval = games / rate
    samples: list[float] = []
    slipped = 0
    new_games = 0
    moves_sent = 0
    start = loop.time() + 0.5
    deadline = start + seconds

    async def play(g: int) -> None:
        nonlocal slipped, new_games, moves_sent
        x, o, inbox, game_id = players[2 * g], players[2 * g + 1], inboxes[g], game_ids[g]
        if x is None or o is None or game_id is None:
            return
        turn = 0
        due = start + random.uniform(0, interval)
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            if loop.time() >= deadline:
                return
            mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
            try:
                sent = await mover.send({"type": "play", "id": game_id, "tile": DRAW[turn]})
                moves_sent += 1
                _, arrived, _ = await expect(inbox, "play", opponent, timeout=MOVE_TIMEOUT_S)
            except TimeoutError:
                errors["no play within 10 s"] += 1
                return
            except Gone:
                errors["connection closed"] += 1
                return
            except Refused:  # counted by the reader
                return
            samples.append((arrived - sent) * 1000)
            if on_move is not None:
                on_move(game_id, DRAW[turn], sent, arrived)
            turn += 1
            if turn == len(DRAW):
                try:
                    game_id = await new_game(x, o, inbox, timeout=MOVE_TIMEOUT_S)
                except (Gone, Refused, TimeoutError) as error:
                    errors[f"new game: {type(error).__name__}"] += 1
                    return
                new_games += 1
                turn = 0
            due += interval
            if due < loop.time():
                slipped += 1
                due = loop.time()

    memory: list[int] = []
    processes = 0

    async def sample_memory() -> None:
        nonlocal processes
        while True:
            memory.append(await asyncio.to_thread(server.rss_bytes))
            processes = max(processes, await asyncio.to_thread(server.processes))
            await asyncio.sleep(1.0)

    cpu_before = await asyncio.to_thread(server.cpu_seconds)
    driver_before = time.process_time()
    sampler = asyncio.create_task(sample_memory())
    await asyncio.gather(*(play(g) for g in range(games)))
    window_s = loop.time() - start
    cpu_used = await asyncio.to_thread(server.cpu_seconds) - cpu_before
    driver_used = time.process_time() - driver_before
    sampler.cancel()
    memory.append(await asyncio.to_thread(server.rss_bytes))
    by_role = (
        await asyncio.to_thread(server.rss_by_role) if hasattr(server, "rss_by_role") else None
    )
    still_open = sum(1 for p in players if p is not None and p.open)
    moves_in_window = sum(1 for _ in samples)

    # 4. Close everything; wait for the emulator to finish the `$disconnect`s.
    began = loop.time()
    await asyncio.gather(*(p.close() for p in players if p is not None))
    close_s = loop.time() - began
    idle_s = await asyncio.to_thread(server.wait_idle)

    latency = summary(samples)
    achieved = moves_in_window / seconds
    error_total = sum(errors.values())
    held = (
        error_total == 0
        and latency["p99_ms"] is not None
        and latency["p99_ms"] <= P99_LIMIT_MS
        and achieved >= MIN_RATE_SHARE * rate
        and opened == 2 * games
    )
    return {
        "games": games,
        "target_moves_per_s": rate,
        "seconds": seconds,
        "connections_opened": opened,
        "connections_open_at_end": still_open,
        "connect_s": round(connect_s, 2),
        "setup_s": round(setup_s, 2),
        "moves": moves_in_window,
        "moves_sent": moves_sent,
        "moves_per_s": round(achieved, 1),
        "moves_behind_schedule": slipped,
        "games_started_during_window": new_games,
        "latency": latency,
        "errors": dict(errors),
        "error_count": error_total,
        "emulator_rss_max_bytes": max(memory) if memory else None,
        "emulator_rss_end_bytes": memory[-1] if memory else None,
        "emulator_rss_by_role_bytes": by_role,
        "emulator_processes": processes,
        "emulator_cpu_cores": round(cpu_used / window_s, 2) if window_s > 0 else None,
        "emulator_cpu_ms_per_move": round(cpu_used * 1000 / moves_in_window, 1)
        if moves_in_window
        else None,
        "machine_load_average": round(os.getloadavg()[0], 2),
        "driver_cpu_cores": round(driver_used / window_s, 2) if window_s > 0 else None,
        "close_s": round(close_s, 2),
        "idle_after_close_s": round(idle_s, 2),
        "held": held,
    }


async def measure(
    server: LocalServer,
    quick: bool = False,
    steps: list[tuple[int, float]] | None = None,
    seconds: float | None = None,
    progress: Any = None,
    smoke: bool = False,
) -> dict[str, Any]:
    raise_fd_limit()
    steps = steps or (SMOKE_STEPS if smoke else QUICK_STEPS if quick else STEPS)
    seconds = seconds or (SMOKE_SECONDS if smoke else QUICK_SECONDS if quick else SECONDS)
    idle_rss = await asyncio.to_thread(server.rss_bytes)
    warm = await (warm_up(server.url, games=2, seconds=1.0) if smoke else warm_up(server.url))
    await asyncio.to_thread(server.wait_idle)
    results = []
    largest = None
    for games, rate in steps:
        result = await run_step(server, games, rate, seconds)
        results.append(result)
        if progress is not None:
            progress(render_step(result, header=not results[:-1]))
        if not result["held"]:
            break
        largest = {"games": games, "connections": 2 * games, "moves_per_s": rate}
    return {
        "command": " ".join(server.command),
        "url": server.url,
        "emulator_start_s": round(server.started_s, 2),
        "emulator_rss_idle_bytes": idle_rss,
        "warm_up": warm,
        "seconds_per_step": seconds,
        "p99_limit_ms": P99_LIMIT_MS,
        "steps": results,
        "largest_load_held": largest,
    }


def _step_row(s: dict[str, Any]) -> list[Any]:
    from benchmarks.report import mb, ms

    lat = s["latency"]
    errors = ", ".join(f"{k} {v}" for k, v in sorted(s["errors"].items())) or "0"
    return [
        f"{s['games']} games @ {s['target_moves_per_s']:g}/s",
        f"{s['connections_opened']}/{s['connections_open_at_end']}",
        f"{s['moves_per_s']:g}",
        ms(lat["median_ms"]),
        ms(lat["p99_ms"]),
        ms(lat["max_ms"]),
        errors,
        mb(s["emulator_rss_max_bytes"]),
        f"{s['emulator_cpu_cores']}",
        "-" if s["emulator_cpu_ms_per_move"] is None else f"{s['emulator_cpu_ms_per_move']:.0f}",
        f"{s['setup_s']:.1f}s/{s['idle_after_close_s']:.1f}s",
        f"{s['machine_load_average']:.1f}",
        "yes" if s["held"] else "NO",
    ]


HEADERS = [
    "step",
    "conns open/end",
    "moves/s",
    "median",
    "p99",
    "max",
    "errors",
    "emu RSS",
    "emu CPU",
    "CPU ms/move",
    "setup/drain",
    "loadavg",
    "held",
]


def render_step(step: dict[str, Any], header: bool = True) -> str:
    """One line of progress while the steps run."""
    row = _step_row(step)
    return (
        f"  {row[0]}: {row[1]} connections opened/open at end, {row[2]} moves/s, median {row[3]}, p99 {row[4]},"
        f" errors {row[6]}, RSS {row[7]}, held {row[12]}"
    )


def render(result: dict[str, Any]) -> str:
    from benchmarks.report import mb, table

    text = table(HEADERS, [_step_row(s) for s in result["steps"]])
    largest = result["largest_load_held"]
    held = (
        f"{largest['games']} games ({largest['connections']} connections) at {largest['moves_per_s']:g} moves/s"
        if largest
        else "none"
    )
    warm = result["warm_up"]
    last = next((s for s in reversed(result["steps"]) if s.get("emulator_rss_by_role_bytes")), None)
    if last is not None:
        r = last["emulator_rss_by_role_bytes"]
        text += (
            f"\nmemory at the end of {last['games']} games @ {last['target_moves_per_s']:g}/s: emulator {mb(r['emulator'])},"
            f" DynamoDB {mb(r['dynamodb'])}, {r['worker_count']} handler workers {mb(r['workers'])}"
            + (f", other {mb(r['other'])}" if r["other"] else "")
        )
    text += (
        f"\nlargest load held: {held} (held = p99 <= {result['p99_limit_ms']:g} ms, no errors, >= 90 % of the target rate)"
        f"\nemulator: `{result['command']}` started in {result['emulator_start_s']} s; RSS before the steps {mb(result['emulator_rss_idle_bytes'])};"
        f" RSS = the process and every process it started (workers, DynamoDB); CPU in cores of 2;"
        f" CPU ms/move = the emulator's CPU over the moves of the window (new games included);"
        f" loadavg = the machine's 1-minute load average at the end of the step (others' work included)."
        f"\n{result['seconds_per_step']:g} s of paced moves per step after a {warm['seconds']:g} s warm-up ({warm['games']} games"
        f" as fast as they go: {warm['moves']} moves); setup = connect + start/join, drain = wait for the $disconnects after closing."
    )
    return text


def _parse_steps(text: str) -> list[tuple[int, float]]:
    steps = []
    for item in text.split(","):
        games, _, rate = item.partition("x")
        steps.append((int(games), float(rate)))
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description="Concurrent games on one `xo local`, stepped up.")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--steps", type=_parse_steps, help="games x moves/s, comma-separated: 50x10,500x50"
    )
    parser.add_argument("--seconds", type=float)
    args = parser.parse_args()
    with LocalServer() as server:
        result = asyncio.run(measure(server, args.quick, args.steps, args.seconds, progress=print))
    print(render(result))


if __name__ == "__main__":
    main()
