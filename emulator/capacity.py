"""DynamoDB item sizes and capacity units, computed as DynamoDB documents them.

AWS: DynamoDB developer guide, "Item sizes and formats" (CapacityUnitCalculations.html)
and "DynamoDB read and write capacity units" (read-write-operations.html).

moto answers ``ReturnConsumedCapacity`` with fixed numbers (1.0 for every write,
0.5 for every read); the embedded DynamoDB replaces them with these:

- item size: attribute names (UTF-8 bytes) plus values: strings in UTF-8 bytes,
  binaries in bytes, numbers ``ceil(significant digits / 2) + 1``, booleans and
  nulls 1, lists and maps 3 plus 1 per element plus the elements, sets the sum
  of their elements;
- writes: 1 unit per started KB of the larger of the item before and after
  (at least 1, also when a condition fails);
- reads: 1 unit per started 4 KB of the item (at least 1, also when no item is
  found), halved for eventually consistent reads.
"""

from __future__ import annotations

import base64
import math
from typing import Any


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").lower().split("e")[0].replace(".", "")
    digits = digits.lstrip("0").rstrip("0")
    return (len(digits) + 1) // 2 + 1 if digits else 2


def value_size(value: dict[str, Any]) -> int:
    """Size in bytes of one attribute value in DynamoDB's JSON form (``{"S": "x"}``)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(base64.b64decode(data)) if isinstance(data, str) else len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(item.encode("utf-8")) for item in data)
    if kind == "NS":
        return sum(_number_size(item) for item in data)
    if kind == "BS":
        return sum(
            len(base64.b64decode(item)) if isinstance(item, str) else len(item) for item in data
        )
    if kind == "L":
        return 3 + sum(1 + value_size(item) for item in data)
    if kind == "M":
        return 3 + sum(
            1 + len(name.encode("utf-8")) + value_size(item) for name, item in data.items()
        )
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, Any] | None) -> int:
    """Size in bytes of an item in DynamoDB's JSON form; 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def write_units(*sizes: int) -> float:
    """Write capacity units for a write touching items of these sizes (the larger counts)."""
    return float(max(1, math.ceil(max(sizes, default=0) / 1024)))


def read_units(size: int, *, consistent: bool) -> float:
    """Read capacity units for reading an item of ``size`` bytes."""
    units = max(1, math.ceil(size / 4096))
    return float(units if consistent else units / 2)
