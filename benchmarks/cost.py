"""What one million games cost on AWS, from request counts and public prices.

Counts for xo come from the emulator's meter over a real game; the tutorial's design
is the fixed count its issue states (`start` 1 write and 1 post; `join` 1 write, 1 read
and 2 posts; each `play` 1 read and 1 post; no `$disconnect`, no validation).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PRICES_FILE = Path(__file__).with_name("prices.json")


@dataclass(frozen=True)
class GameCounts:
    """AWS requests that one full game makes (2 connects, start, join, 9 moves, 2 disconnects)."""

    messages_in: int
    messages_out: int
    lambda_invocations: int
    lambda_gb_seconds: float
    dynamodb_write_units: float
    dynamodb_read_units: float
    dynamodb_requests: int = 0
    connection_posts: int = 0


def prices() -> dict[str, Any]:
    return json.loads(PRICES_FILE.read_text())


def tutorial_counts(gb_seconds_per_invocation: float, moves: int = 9) -> GameCounts:
    """The tutorial's design: start (1 write, 1 post), join (1 write, 1 read, 2 posts),
    each play (1 read, 1 post). Its reads are strongly consistent (1 read unit each)."""
    invocations = 2 + moves
    return GameCounts(
        messages_in=2 + moves,
        messages_out=1 + 2 + moves,
        lambda_invocations=invocations,
        lambda_gb_seconds=invocations * gb_seconds_per_invocation,
        dynamodb_write_units=2,
        dynamodb_read_units=1 + moves,
        dynamodb_requests=2 + 1 + moves,
        connection_posts=1 + 2 + moves,
    )


def cost_per_million_games(
    counts: GameCounts, price: dict[str, Any] | None = None
) -> dict[str, float]:
    """Dollars per million games, by line item and in total (connection minutes left out:
    they depend on how long people think, and are the same for both designs)."""
    p = price or prices()
    lines = {
        "messages": (counts.messages_in + counts.messages_out)
        * p["api_gateway_message_per_million"],
        "lambda_requests": counts.lambda_invocations * p["lambda_request_per_million"],
        "lambda_compute": counts.lambda_gb_seconds * p["lambda_gb_second_arm64"] * 1_000_000,
        "dynamodb_writes": counts.dynamodb_write_units * p["dynamodb_write_unit_per_million"],
        "dynamodb_reads": counts.dynamodb_read_units * p["dynamodb_read_unit_per_million"],
    }
    lines["total"] = sum(lines.values())
    return {name: round(value, 4) for name, value in lines.items()}


def as_dict(counts: GameCounts) -> dict[str, Any]:
    return asdict(counts)
