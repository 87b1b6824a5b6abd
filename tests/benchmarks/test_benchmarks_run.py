"""The benchmark commands still run: each at its smallest, checked for its tables and JSON.

Figures are not checked (they are figures, not thresholds): only that every section ran
to the end and reported. Deselect locally with `pytest -m "not benchmarks"`; CI runs them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from functions.routes import ROUTES

RUN_LIMIT_S = 540
"""A benchmark that hangs fails here, with its output (the smoke runs take about a minute on
two loaded cores, ~20-60 s each)."""

pytestmark = [pytest.mark.benchmarks, pytest.mark.timeout(RUN_LIMIT_S + 60)]

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    """`python -m <args>` from the repository root; its standard output. Fails on exit != 0."""
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


def test_every_benchmark_section_runs_and_writes_its_json(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"
    stdout = run("benchmarks", "--smoke", "--json", str(out))
    for heading in (
        "== 1. Cold start",
        "== 2. AWS requests per game",
        "== 3. Move latency",
        "== 4. Concurrent games",
        "== Targets",
    ):
        assert heading in stdout
    results = json.loads(out.read_text())
    assert results["smoke"] is True
    assert set(results["coldstart"]["handlers"]) == {route.key for route in ROUTES}
    assert results["game_requests"]["games_measured"] == 1
    assert results["latency"]["one_game"]["count"] == 9
    assert [(s["games"], s["target_moves_per_s"]) for s in results["load"]["steps"]] == [(2, 4.0)]
    assert {t["target"] for t in results["targets"]} and all(
        t["figure"] for t in results["targets"]
    )


def test_profile_move_times_every_process_of_a_move() -> None:
    """profile_move wraps emulator and moto internals in its child processes: each wrapped
    step must still report its stamps (a renamed internal would leave its row empty)."""
    stdout = run("benchmarks.profile_move", "--moves", "9")
    for segment in (
        "client send -> emulator reads the frame",
        "emulator: frame -> invocation starts",
        "DynamoDB server: capacity middleware + moto",
        "HTTP -> emulator @connections",
        "TOTAL: play sent -> opponent receives",
    ):
        row = re.search(rf"^{re.escape(segment)}\s+(\d+)\s", stdout, re.MULTILINE)
        assert row and int(row.group(1)) >= 1, (segment, stdout[-3000:])


def test_soak_loses_no_move(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    stdout = run(
        "benchmarks.soak",
        *("--games", "2", "--seconds", "2", "--think", "0.1", "--drop-every", "1"),
        *("--seed", "1", "--json", str(out)),
    )
    assert "MOVES LOST (must be 0)" in stdout
    result = json.loads(out.read_text())["result"]
    assert result["moves_sent"] > 0
    assert result["lost"] == 0 and result["board_disagreements"] == 0, result
