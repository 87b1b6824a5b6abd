"""AWS requests per game, counted by the emulator's meter (not estimated), and what one
million games cost at AWS's public prices beside the tutorial's design.

An in-process emulator (`client.local.xo_emulator`, embedded DynamoDB) serves raw
WebSocket players through whole games: 2 connects, `start`, `join`, a 9-move draw,
2 closes, then waits until both `$disconnect` invocations are counted. The meter is
read after every step, so each route's requests are shown on their own. One untimed
game first warms the handlers' workers; the figures are the mean of the measured games
(whose counts must be identical).

Lambda compute: each invocation's measured handler time, rounded up to the
millisecond as Lambda bills it, times the deployed memory (`infra`: 256 MB, arm64).
The tutorial's design is given the same mean GB-seconds per invocation, so only the
request counts differ between the two columns.

`python -m benchmarks.game_requests [--games N]` runs this section alone.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections import Counter
from typing import Any

from benchmarks import cost, game_kinds
from benchmarks.players import DRAW, Player, expect

DEFAULT_MEMORY_MB = 256


def lambda_memory_mb() -> int:
    """The memory the Pulumi program gives every function (its default)."""
    try:
        import dataclasses

        from infra.websocket_game import XoStackArgs

        for item in dataclasses.fields(XoStackArgs):
            if item.name == "lambda_memory_mb":
                return int(item.default)  # type: ignore[arg-type]
    except Exception:  # pulumi missing, say: the documented default
        pass
    return DEFAULT_MEMORY_MB


class _Durations(logging.Handler):
    """Invocation durations from the emulator's log line, for meters without `handler_ms`."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.ms: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if (
            isinstance(record.args, tuple)
            and str(record.msg).startswith("route=")
            and len(record.args) >= 5
        ):
            duration = float(record.args[4])
            self.ms[str(record.args[0])] += float(max(1, -(-duration // 1)))


def _flat(metrics: Any, durations: _Durations) -> Counter[str]:
    flat: Counter[str] = Counter()
    flat["messages_in"] = metrics.messages_in
    flat["messages_out"] = metrics.messages_out
    flat["posts"] = metrics.connections_posts
    for route, n in metrics.invocations.items():
        flat["invocations"] += n
        flat[f"invocations {route}"] += n
    for n in metrics.invocation_errors.values():
        flat["invocation_errors"] += n
    handler_ms = getattr(metrics, "handler_ms", None)
    for value in (handler_ms if handler_ms is not None else durations.ms).values():
        flat["billed_ms"] += value
    for name, op in metrics.dynamodb.items():
        kind = "reads" if name in _READS else "writes"
        flat[f"dynamodb_{kind}"] += op.calls
        flat[f"dynamodb {name}"] += op.calls
        flat["read_units"] += op.read_units
        flat["write_units"] += op.write_units
        flat["dynamodb_errors"] += op.errors
    return flat


_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})

STEPS = ["2 connects", "start", "join", *(f"play {i + 1}" for i in range(9)), "2 disconnects"]


async def _one_game(threaded: Any, durations: _Durations) -> dict[str, Counter[str]]:
    """Play one full game; the meter's increments for each step."""

    def read() -> Counter[str]:
        return _flat(threaded.metrics, durations)

    async def settle(before: Counter[str], route: str, count: int) -> Counter[str]:
        # The meter counts an invocation when its handler returns, a moment after its posts arrive.
        deadline = time.perf_counter() + 30
        while True:
            now = read()
            if (
                now[f"invocations {route}"] - before[f"invocations {route}"] >= count
                or time.perf_counter() > deadline
            ):
                return now
            await asyncio.sleep(0.005)

    steps: dict[str, Counter[str]] = {}
    errors: Counter[str] = Counter()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    before = read()
    x = await Player.connect(threaded.url, errors, inbox)
    o = await Player.connect(threaded.url, errors, inbox)
    await asyncio.sleep(0.05)
    now = read()
    steps["2 connects"], before = now - before, now
    await x.send({"type": "start"})
    _, _, init = await expect(inbox, "init", x)
    game_id = init["id"]
    now = await settle(before, "start", 1)
    steps["start"], before = now - before, now
    await o.send({"type": "join", "id": game_id})
    await expect(inbox, "join", o)
    await expect(inbox, "join", x)
    now = await settle(before, "join", 1)
    steps["join"], before = now - before, now
    for turn, tile in enumerate(DRAW):
        mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
        await mover.send({"type": "play", "id": game_id, "tile": tile})
        await expect(inbox, "play", opponent)
        now = await settle(before, "play", 1)
        steps[f"play {turn + 1}"], before = now - before, now
    await x.close()
    await o.close()
    now = await settle(before, "$disconnect", 2)
    steps["2 disconnects"] = now - before
    if errors:
        raise RuntimeError(f"error frames during a metered game: {dict(errors)}")
    return steps


async def _games(threaded: Any, durations: _Durations, games: int) -> list[dict[str, Counter[str]]]:
    await _one_game(threaded, durations)  # warm-up: starts every route's worker
    await asyncio.sleep(0.2)
    return [await _one_game(threaded, durations) for _ in range(games)]


def measure(games: int = 3) -> dict[str, Any]:
    from client.local import xo_emulator

    durations = _Durations()
    log = logging.getLogger("emulator")
    saved_level = log.level
    log.addHandler(durations)
    log.setLevel(logging.INFO)
    threaded = xo_emulator().serve_in_thread()
    try:
        played = asyncio.run(_games(threaded, durations, games))
        kinds = game_kinds.measure_on(threaded, games)  # rematch, spectator, quick match rows
    finally:
        threaded.stop()
        log.removeHandler(durations)
        log.setLevel(saved_level)
    from emulator.metering import Metrics

    metered = "handler_ms" in getattr(Metrics, "__dataclass_fields__", {})
    source = (
        "the meter's handler time"
        if metered
        else "invocation durations in the emulator's log (handler + IPC)"
    )
    return {**summarize(played, source), "kinds": kinds}


def summarize(played: list[dict[str, Counter[str]]], duration_source: str = "") -> dict[str, Any]:
    memory_mb = lambda_memory_mb()
    fields = [
        "invocations",
        "dynamodb_reads",
        "dynamodb_writes",
        "read_units",
        "write_units",
        "posts",
        "messages_in",
        "messages_out",
        "billed_ms",
        "invocation_errors",
        "dynamodb_errors",
    ]
    count_fields = [f for f in fields if f != "billed_ms"]
    per_step: dict[str, dict[str, float]] = {}
    identical = True
    for step in STEPS:
        values = [game[step] for game in played]
        for f in count_fields:
            if len({v[f] for v in values}) > 1:
                identical = False
        per_step[step] = {f: sum(v[f] for v in values) / len(values) for f in fields}
        per_step[step]["operations"] = dict(
            sorted(
                (key.split(" ", 1)[1], sum(v[key] for v in values) / len(values))
                for key in {k for v in values for k in v if k.startswith("dynamodb ")}
            )
        )
    total = {f: sum(per_step[s][f] for s in STEPS) for f in fields}
    plays = [game[f"play {i + 1}"] for game in played for i in range(9)]
    move_requests = sorted(
        {(p["dynamodb_reads"] + p["dynamodb_writes"], p["posts"]) for p in plays}
    )
    gb_seconds = total["billed_ms"] / 1000 * memory_mb / 1024
    per_invocation = gb_seconds / total["invocations"] if total["invocations"] else 0.0
    xo = cost.GameCounts(
        messages_in=int(total["messages_in"]),
        messages_out=int(total["messages_out"]),
        lambda_invocations=int(total["invocations"]),
        lambda_gb_seconds=gb_seconds,
        dynamodb_write_units=total["write_units"],
        dynamodb_read_units=total["read_units"],
        dynamodb_requests=int(total["dynamodb_reads"] + total["dynamodb_writes"]),
        connection_posts=int(total["posts"]),
    )
    tutorial = cost.tutorial_counts(per_invocation)
    prices = cost.prices()
    xo_cost = cost.cost_per_million_games(xo, prices)
    tutorial_cost = cost.cost_per_million_games(tutorial, prices)
    return {
        "games_measured": len(played),
        "counts_identical_across_games": identical,
        "per_step": per_step,
        "per_game": total,
        "move_requests": [{"dynamodb_requests": d, "posts": p} for d, p in move_requests],
        "lambda_memory_mb": memory_mb,
        "duration_source": duration_source,
        "gb_seconds_per_invocation": per_invocation,
        "xo": cost.as_dict(xo),
        "tutorial": cost.as_dict(tutorial),
        "prices": prices,
        "cost_per_million_games": {"xo": xo_cost, "tutorial": tutorial_cost},
        "cost_ratio": round(xo_cost["total"] / tutorial_cost["total"], 3)
        if tutorial_cost["total"]
        else None,
    }


def render(result: dict[str, Any]) -> str:
    from benchmarks.report import number, table

    def n(value: float) -> str:
        return number(round(value, 2))

    rows = []
    for step, v in result["per_step"].items():
        ops = ", ".join(f"{name} {n(c)}" for name, c in v["operations"].items()) or "-"
        rows.append(
            [
                step,
                n(v["invocations"]),
                n(v["dynamodb_reads"]),
                n(v["dynamodb_writes"]),
                n(v["read_units"]),
                n(v["write_units"]),
                n(v["posts"]),
                n(v["messages_in"]),
                n(v["messages_out"]),
                f"{v['billed_ms']:.1f}",
                ops,
            ]
        )
    t = result["per_game"]
    rows.append(
        [
            "per game",
            n(t["invocations"]),
            n(t["dynamodb_reads"]),
            n(t["dynamodb_writes"]),
            n(t["read_units"]),
            n(t["write_units"]),
            n(t["posts"]),
            n(t["messages_in"]),
            n(t["messages_out"]),
            f"{t['billed_ms']:.1f}",
            "",
        ]
    )
    text = table(
        [
            "step",
            "Lambda",
            "DDB reads",
            "DDB writes",
            "RU",
            "WU",
            "@conn posts",
            "msgs in",
            "msgs out",
            "billed ms",
            "DynamoDB operations",
        ],
        rows,
    )
    moves = "; ".join(
        f"{m['dynamodb_requests']} DynamoDB request(s) and {m['posts']} post(s)"
        for m in result["move_requests"]
    )
    text += (
        f"\nmean of {result['games_measured']} metered games after a warm-up game; counts identical in every game: "
        f"{'yes' if result['counts_identical_across_games'] else 'NO'}. Every move: {moves}."
        f"\nerrors: {n(t['invocation_errors'])} failed invocations, {n(t['dynamodb_errors'])} DynamoDB errors"
    )
    xo, tut = result["cost_per_million_games"]["xo"], result["cost_per_million_games"]["tutorial"]
    labels = {
        "messages": "API Gateway messages (in + out)",
        "lambda_requests": "Lambda requests",
        "lambda_compute": "Lambda compute (GB-s, arm64)",
        "dynamodb_writes": "DynamoDB write units",
        "dynamodb_reads": "DynamoDB read units",
        "total": "total",
    }
    xc, tc = result["xo"], result["tutorial"]
    quantities = {
        "messages": (
            xc["messages_in"] + xc["messages_out"],
            tc["messages_in"] + tc["messages_out"],
        ),
        "lambda_requests": (xc["lambda_invocations"], tc["lambda_invocations"]),
        "lambda_compute": (xc["lambda_gb_seconds"], tc["lambda_gb_seconds"]),
        "dynamodb_writes": (xc["dynamodb_write_units"], tc["dynamodb_write_units"]),
        "dynamodb_reads": (xc["dynamodb_read_units"], tc["dynamodb_read_units"]),
    }
    cost_rows = []
    for key, label in labels.items():
        q = quantities.get(key)
        cost_rows.append(
            [
                label,
                "" if q is None else f"{q[0]:.4g}",
                f"${xo[key]:,.2f}",
                "" if q is None else f"{q[1]:.4g}",
                f"${tut[key]:,.2f}",
            ]
        )
    p = result["prices"]
    text += "\n\n" + table(
        ["per million games", "xo / game", "xo $", "tutorial / game", "tutorial $"], cost_rows
    )
    text += (
        f"\nxo / tutorial = {result['cost_ratio']}x. Prices: {p['region']} list prices as of {p['as_of']} (benchmarks/prices.json)."
        f"\nLambda compute: {result['duration_source']}, rounded up to 1 ms per invocation, x {result['lambda_memory_mb']} MB;"
        f" the tutorial gets the same mean {result['gb_seconds_per_invocation'] * 1e6:.0f} micro-GB-s per invocation."
        "\nLeft out of both: connection minutes ($0.25 per million), which depend on how long people think."
    )
    if "kinds" in result:
        text += "\n\n" + game_kinds.render(result["kinds"])
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description="AWS requests per game, metered by the emulator, and cost per million games."
    )
    parser.add_argument("--games", type=int, default=3)
    args = parser.parse_args()
    print(render(measure(args.games)))


if __name__ == "__main__":
    main()
