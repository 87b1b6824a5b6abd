"""Run every benchmark and print one table per section, then the targets: met or not.

    python -m benchmarks [--quick | --smoke] [--json PATH]

Sections (each also runs alone: `python -m benchmarks.<section>`):
1. coldstart      handler import times in fresh interpreters, archive size
2. game_requests  AWS requests per game counted by the emulator; cost per million games
3. latency        one game's move latency on `xo local` beside its floor (relay + UpdateItem)
4. load           concurrent games on the same `xo local`, stepped up until it no longer holds

The soak test is separate: `python -m benchmarks.soak`. These are figures, not tests:
nothing here fails a build. Results also go to JSON (default benchmarks/results/latest.json).
`--smoke` runs each section at its smallest: the suite runs it (tests/benchmarks) to check
that every section still works; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import coldstart, game_requests, latency, load
from benchmarks.procs import ROOT, LocalServer
from benchmarks.report import heading, mb, ms, table

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


def _machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "", False
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "git_commit": commit + ("+changes" if dirty else ""),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue, with the figure that meets it or not."""
    found: list[dict[str, Any]] = []

    def add(name: str, met: bool | None, figure: str) -> None:
        found.append({"target": name, "met": met, "figure": figure})

    lat = results.get("latency")
    if lat:
        median, floor = lat["one_game"]["median_ms"], lat["floor_median_ms"]
        add(
            "one game: median move latency <= 1.5 x floor (relay + UpdateItem medians)",
            lat["ratio"] is not None and lat["ratio"] <= 1.5,
            f"{ms(median)} / {ms(floor)} = {lat['ratio']}x",
        )
    ld = results.get("load")
    if ld:
        step = next(
            (s for s in ld["steps"] if s["games"] == 500 and s["target_moves_per_s"] == 50), None
        )
        if step is None:
            add(
                "`xo local`: 1,000 connections (500 games), 50 moves/s, p99 < 250 ms, no errors",
                False,
                "step not reached (an earlier step did not hold)",
            )
        else:
            met = (
                step["connections_open_at_end"] == 1000
                and step["latency"]["p99_ms"] is not None
                and step["latency"]["p99_ms"] < 250
                and step["error_count"] == 0
                and step["moves_per_s"] >= 45
            )
            add(
                "`xo local`: 1,000 connections (500 games), 50 moves/s, p99 < 250 ms, no errors",
                met,
                f"{step['connections_open_at_end']} open, {step['moves_per_s']:g} moves/s, p99 {ms(step['latency']['p99_ms'])},"
                f" {step['error_count']} errors, memory {mb(step['emulator_rss_max_bytes'])}",
            )
    gr = results.get("game_requests")
    if gr:
        moves = gr["move_requests"]
        add(
            "each move: exactly 1 DynamoDB request and 1 post (one player told)",
            moves == [{"dynamodb_requests": 1, "posts": 1}],
            "; ".join(f"{m['dynamodb_requests']} request(s), {m['posts']} post(s)" for m in moves),
        )
        xo, tut = (
            gr["cost_per_million_games"]["xo"]["total"],
            gr["cost_per_million_games"]["tutorial"]["total"],
        )
        add(
            "cost per million games <= 1.25 x the tutorial's",
            gr["cost_ratio"] is not None and gr["cost_ratio"] <= 1.25,
            f"${xo:.2f} / ${tut:.2f} = {gr['cost_ratio']}x",
        )
    cs = results.get("coldstart")
    if cs:
        worst_route, worst = max(
            cs["handlers"].items(), key=lambda item: item[1]["without_boto3_ms"]
        )
        add(
            "handler import without boto3 < 30 ms (every handler)",
            worst["without_boto3_ms"] < 30,
            f"slowest {worst_route} {ms(worst['without_boto3_ms'])} (median)",
        )
        add(
            "deployment archive < 100 KB",
            cs["archive_bytes"] < 100 * 1024,
            f"{cs['archive_bytes'] / 1024:.1f} KB",
        )
    return found


def render_targets(found: list[dict[str, Any]]) -> str:
    rows = [["met" if t["met"] else "NOT MET", t["target"], t["figure"]] for t in found]
    return table(["", "target", "figure"], rows, left=3)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Run every xo benchmark; print tables, write JSON."
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help="fewer samples and load steps (about 2 minutes)"
    )
    size.add_argument(
        "--smoke",
        action="store_true",
        help="each section at its smallest, to check that it runs (figures mean nothing)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"where to write results (default {DEFAULT_JSON})",
    )
    args = parser.parse_args()
    began = time.perf_counter()
    results: dict[str, Any] = {"machine": _machine(), "quick": args.quick, "smoke": args.smoke}
    m = results["machine"]
    mode = " (quick)" if args.quick else " (smoke: figures mean nothing)" if args.smoke else ""
    print(
        f"xo benchmarks{mode}: {m['git_commit']}, Python {m['python']}, {m['cpus']} CPUs,"
        f" load average {m['load_average_at_start']}",
        flush=True,
    )

    print(
        heading("1. Cold start: handler import in a fresh interpreter; deployment archive"),
        flush=True,
    )
    results["coldstart"] = coldstart.measure(args.quick, args.smoke)
    print(coldstart.render(results["coldstart"]), flush=True)

    print(
        heading("2. AWS requests per game (metered by the emulator) and cost per million games"),
        flush=True,
    )
    results["game_requests"] = game_requests.measure(1 if args.smoke else 2 if args.quick else 3)
    print(game_requests.render(results["game_requests"]), flush=True)

    server = LocalServer(log_path=args.json.parent / "xo-local.log")
    server.start()
    try:
        print(
            heading("3. Move latency on `xo local` (embedded DynamoDB) beside its floor"),
            flush=True,
        )
        results["latency"] = asyncio.run(latency.measure(server, args.quick, args.smoke))
        print(latency.render(results["latency"]), flush=True)

        print(heading("4. Concurrent games on one `xo local`, stepped up"), flush=True)
        results["load"] = asyncio.run(
            load.measure(
                server,
                args.quick,
                progress=lambda text: print(text, flush=True),
                smoke=args.smoke,
            )
        )
        print("\n" + load.render(results["load"]), flush=True)
    finally:
        server.stop()
        results["emulator_log"] = str(server.log_path)

    results["latency"]["under_load"] = [
        {
            "games": s["games"],
            "target_moves_per_s": s["target_moves_per_s"],
            "latency": s["latency"],
        }
        for s in results.get("load", {}).get("steps", [])
    ]
    print(heading("Move latency: one game, floors, and under paced load"))
    print(latency.render(results["latency"]))

    results["targets"] = targets(results)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["elapsed_s"] = round(time.perf_counter() - began, 1)
    print(heading("Targets (figures, not a pass/fail gate)"))
    print(render_targets(results["targets"]))
    print(
        f"\n{results['elapsed_s']:.0f} s in all; load average at the end {results['machine']['load_average_at_end']}"
        " (other work on the machine skews every figure)"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    print(f"results: {args.json}")


if __name__ == "__main__":
    sys.exit(main())
