"""Log lines for CloudWatch (Lambda sends the `logging` output there).

`logging` is imported on the first line logged, not at import: it alone costs a cold
start more than the rest of a handler's imports.
"""

from __future__ import annotations

from typing import Any

_logger: Any = None


def _get() -> Any:
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger("xo")
        _logger.setLevel(logging.INFO)
    return _logger


def info(message: str, *args: Any) -> None:
    _get().info(message, *args)


def warning(message: str, *args: Any) -> None:
    _get().warning(message, *args)
