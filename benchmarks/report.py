"""Plain-text tables for the benchmark output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def mb(value: float | None) -> str:
    return "-" if value is None else f"{value / 2**20:.0f} MB"


def number(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], left: int = 1) -> str:
    """Columns padded to their widest cell; the first `left` columns left-aligned, the others right."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [
            cell.ljust(widths[i]) if i < left else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def heading(title: str) -> str:
    return f"\n== {title} " + "=" * max(0, 76 - len(title))
