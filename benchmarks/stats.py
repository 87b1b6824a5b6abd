"""Small statistics helpers for the benchmarks."""

from __future__ import annotations

import statistics
from typing import Any


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.4999999)))
    return ordered[rank - 1]


def summary(samples_ms: list[float]) -> dict[str, Any]:
    """Count, median, p90, p99 (nearest rank) and max of latencies in milliseconds."""
    if not samples_ms:
        return {"count": 0, "median_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(samples_ms)
    return {
        "count": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(percentile(ordered, 0.90), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
        "max_ms": round(ordered[-1], 2),
    }
