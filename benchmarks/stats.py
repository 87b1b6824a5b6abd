"""Small statistics helpers for the benchmarks."""

from __future__ import annotations

import statistics
from typing import Any


def summary(samples_ms: list[float]) -> dict[str, Any]:
    """Count, median and p99 (nearest rank) of latencies in milliseconds."""
    if not samples_ms:
        return {"count": 0, "median_ms": None, "p99_ms": None}
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]
    return {"count": len(ordered), "median_ms": round(statistics.median(ordered), 2), "p99_ms": round(p99, 2)}
