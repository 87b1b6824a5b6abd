"""`benchmarks.latency` measures as many moves as it is asked for, on the real cost caps."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.latency import move_latency
from client.local import xo_emulator
from functions.settings import DEFAULT_STARTS_PER_MINUTE

pytestmark = [pytest.mark.benchmarks, pytest.mark.timeout(300)]


def test_more_games_than_one_connection_may_start_in_a_minute_are_all_measured() -> None:
    games = DEFAULT_STARTS_PER_MINUTE + 1
    with xo_emulator().serve_in_thread() as emu:
        measured = asyncio.run(move_latency(emu.url, moves=9 * games, warmup_games=0))
    assert (measured["count"], measured["games"], measured["errors"]) == (9 * games, games, {})
