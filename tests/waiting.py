"""Bounded waiting for tests: a condition that never comes true fails the test, never hangs it."""

import asyncio
import time
from collections.abc import Callable

DEFAULT_TIMEOUT_S = 10.0
"""Long enough for a loaded two-core machine; a real regression still fails in seconds."""


async def eventually(
    check: Callable[[], object], timeout: float = DEFAULT_TIMEOUT_S, what: str = ""
) -> None:
    """Wait until `check()` is true, polling every 10 ms; raise AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout} s: {what or check}")
        await asyncio.sleep(0.01)
