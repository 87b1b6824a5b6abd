"""The invocation's time left, and whether one more AWS call can end in it.

One DynamoDB call and the two posts after it (the sender's answer, the opponent's message)
fit in the Lambda timeout whatever happens (`functions.aws`). A request can make more: a
move posts to up to 10 spectators as well, a finished game gives seats back, `resume` and
`match` read before they write. When `@connections` or DynamoDB hangs, all of them
together would outlive the function: Lambda would stop it mid-request, API Gateway would
tell the sender `Internal server error` for a change that was stored, and nobody after the
cut would hear of it. So each call starts only if its worst case (`aws.worst_case_seconds`)
ends at least `SAFETY_MARGIN_SECONDS` before the timeout; otherwise it is not made, with
one log line: `notify.send` reports the post `SKIPPED`, and `store` raises `unavailable`
(before the write: nothing changed; after it: the best-effort caller logs and goes on).

The time left comes from the Lambda context of the invocation being handled
(`get_remaining_time_in_millis`), which `invocation` makes current for the handler's thread.
Outside an invocation (a test or script calling handler code with no context) there is no
deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from functions import aws

SAFETY_MARGIN_SECONDS = 1.0
"""Time kept back at the end of every invocation: the handler's own work between calls, and
its return to Lambda."""

_context: ContextVar[Any] = ContextVar("lambda_context", default=None)


@contextmanager
def invocation(context: Any) -> Iterator[None]:
    """Make `context` (Lambda's context object, or None) the current invocation's."""
    token = _context.set(context)
    try:
        yield
    finally:
        _context.reset(token)


def seconds_left() -> float | None:
    """Seconds before the current invocation times out; None outside an invocation."""
    remaining = getattr(_context.get(), "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return float(remaining()) / 1000


def too_late(service: str) -> float | None:
    """None if one more call to `service` can end in time; otherwise the seconds left (for
    the caller's log line: it must skip the call)."""
    left = seconds_left()
    if left is None or left - aws.worst_case_seconds(service) >= SAFETY_MARGIN_SECONDS:
        return None
    return left
