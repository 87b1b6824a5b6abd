"""Counting what a deployment would be billed for: invocations, messages, `@connections` calls, DynamoDB.

The server counts what passes through it (frames in and out, `@connections`
requests, invocations per route). DynamoDB calls happen inside handlers, so the
emulator meters them where handlers run: `install_dynamodb_hooks` registers two
botocore hooks on boto3's default session (in each worker process, before the
handler's module is imported; in the emulator's own process for in-process
callables):

- ``before-parameter-build.dynamodb.*`` adds ``ReturnConsumedCapacity="TOTAL"``
  when the call accepts it and the handler did not ask, and
- ``after-call.dynamodb.*`` records the operation, the ``ConsumedCapacity`` the
  endpoint returned (removed again from the result if the hook asked for it, so
  handlers see the response they asked for) and the error code, if any.

A conditional write whose condition fails returns no ``ConsumedCapacity``, yet
DynamoDB bills it; the hook counts the write units the embedded DynamoDB
reports in its ``x-emulator-consumed-capacity`` header, or 1 (the minimum) from
an endpoint that does not send it. Clients created from a ``boto3.session.Session``
of the handler's own are not metered.
"""

from __future__ import annotations

import contextlib
import copy
import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)
CAPACITY_HEADER = "x-emulator-consumed-capacity"
"""Response header in which the embedded DynamoDB reports capacity consumed by a failed conditional write."""

DynamoDBCall = tuple[str, float, float, "str | None"]
"""One DynamoDB call: (operation, read units, write units, error code or None)."""


@dataclass
class DynamoDBOperation:
    """Totals for one DynamoDB operation (``GetItem``, ``UpdateItem``, ...)."""

    calls: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    errors: int = 0
    conditional_check_failures: int = 0


@dataclass
class Metrics:
    """A snapshot of what the emulator counted since it started or was last reset.

    ``invocations``: handler invocations per route key. ``invocation_errors``: those
    that raised, timed out or returned nothing usable. ``messages_in``: messages
    received from clients (one per complete message, whatever its frames).
    ``messages_out``: messages sent to clients: ``@connections`` posts, two-way
    replies and API Gateway's error frames (``Forbidden``, ``Internal server
    error``). ``handler_ms``: time spent in handlers per route (billed duration,
    each invocation rounded up to 1 ms). ``lambda_gb_seconds``: billed duration
    times each function's memory, as Lambda bills compute. ``connections_api``: ``@connections`` requests per (method, status).
    ``dynamodb``: calls per operation with consumed capacity units.
    ``connection_seconds``: time connections were open (closed ones plus open ones so far).
    """

    invocations: Counter[str] = field(default_factory=Counter)
    invocation_errors: Counter[str] = field(default_factory=Counter)
    handler_ms: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    lambda_gb_seconds: float = 0.0
    messages_in: int = 0
    messages_out: int = 0
    connections_opened: int = 0
    connections_closed: int = 0
    connection_seconds: float = 0.0
    connections_api: Counter[tuple[str, int]] = field(default_factory=Counter)
    dynamodb: dict[str, DynamoDBOperation] = field(default_factory=dict)

    @property
    def lambda_invocations(self) -> int:
        """All invocations, every route."""
        return sum(self.invocations.values())

    @property
    def connections_posts(self) -> int:
        """``POST @connections`` requests, whatever their status."""
        return sum(n for (method, _), n in self.connections_api.items() if method == "POST")

    @property
    def dynamodb_reads(self) -> int:
        """Calls of read operations (GetItem, Query, Scan, BatchGetItem, TransactGetItems)."""
        return sum(op.calls for name, op in self.dynamodb.items() if name in READ_OPERATIONS)

    @property
    def dynamodb_writes(self) -> int:
        """Calls of write operations (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems)."""
        return sum(op.calls for name, op in self.dynamodb.items() if name in WRITE_OPERATIONS)

    @property
    def read_units(self) -> float:
        return sum(op.read_units for op in self.dynamodb.values())

    @property
    def write_units(self) -> float:
        return sum(op.write_units for op in self.dynamodb.values())

    def record_invocation(
        self, route: str, *, handler_ms: float, memory_mb: int, failed: bool
    ) -> None:
        billed = float(math.ceil(handler_ms)) if handler_ms > 0 else 1.0
        self.invocations[route] += 1
        self.handler_ms[route] += billed
        self.lambda_gb_seconds += billed / 1000 * memory_mb / 1024
        if failed:
            self.invocation_errors[route] += 1

    def record_dynamodb(self, calls: list[DynamoDBCall]) -> None:
        for operation, read_units, write_units, error in calls:
            totals = self.dynamodb.setdefault(operation, DynamoDBOperation())
            totals.calls += 1
            totals.read_units += read_units
            totals.write_units += write_units
            if error is not None:
                totals.errors += 1
                if error == "ConditionalCheckFailedException":
                    totals.conditional_check_failures += 1

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, e.g. for a benchmark report."""
        return {
            "invocations": dict(self.invocations),
            "invocation_errors": dict(self.invocation_errors),
            "handler_ms": dict(self.handler_ms),
            "lambda_gb_seconds": self.lambda_gb_seconds,
            "lambda_invocations": self.lambda_invocations,
            "messages_in": self.messages_in,
            "messages_out": self.messages_out,
            "connections_opened": self.connections_opened,
            "connections_closed": self.connections_closed,
            "connection_seconds": round(self.connection_seconds, 3),
            "connections_api": {
                f"{method} {status}": n for (method, status), n in self.connections_api.items()
            },
            "connections_posts": self.connections_posts,
            "dynamodb": {name: vars(op).copy() for name, op in self.dynamodb.items()},
            "dynamodb_reads": self.dynamodb_reads,
            "dynamodb_writes": self.dynamodb_writes,
            "read_units": self.read_units,
            "write_units": self.write_units,
        }


class Meter:
    """The live counters of one emulator. Read with `snapshot()`, zero with `reset()`."""

    def __init__(self) -> None:
        self._metrics = Metrics()
        self._open_since: dict[str, float] = {}

    @property
    def live(self) -> Metrics:
        """The counters themselves, updated in place by the server (event loop thread only)."""
        return self._metrics

    def message_sent(self) -> None:
        """One message sent to a client (a reply, an error frame or a `@connections` POST)."""
        self._metrics.messages_out += 1

    def connection_opened(self, connection_id: str) -> None:
        self._metrics.connections_opened += 1
        self._open_since[connection_id] = time.monotonic()

    def connection_closed(self, connection_id: str) -> None:
        self._metrics.connections_closed += 1
        started = self._open_since.pop(connection_id, None)
        if started is not None:
            self._metrics.connection_seconds += time.monotonic() - started

    def snapshot(self) -> Metrics:
        """A copy of the counters, with the time of still-open connections included."""
        result = copy.deepcopy(self._metrics)
        now = time.monotonic()
        result.connection_seconds += sum(now - started for started in self._open_since.values())
        return result

    def reset(self) -> None:
        """Zero every counter; open connections count from now on."""
        self._metrics = Metrics()
        now = time.monotonic()
        self._open_since = dict.fromkeys(self._open_since, now)


# DynamoDB hooks, used inside the handler runtime (worker processes, executor threads).

_calls: ContextVar[list[DynamoDBCall] | None] = ContextVar("emulator_dynamodb_calls", default=None)
_install_lock = threading.Lock()
_INJECTED = "emulator_injected_consumed_capacity"


@contextlib.contextmanager
def recording(calls: list[DynamoDBCall]) -> Iterator[list[DynamoDBCall]]:
    """Record the DynamoDB calls made in this context (thread) into ``calls``."""
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)


def _before_parameter_build(
    params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
) -> None:
    if _calls.get() is None:
        return
    members = model.input_shape.members if model.input_shape is not None else {}
    if "ReturnConsumedCapacity" in members and "ReturnConsumedCapacity" not in params:
        params["ReturnConsumedCapacity"] = "TOTAL"
        context[_INJECTED] = True


def _units(operation: str, consumed: Any) -> tuple[float, float]:
    entries = consumed if isinstance(consumed, list) else [consumed]
    read = write = 0.0
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if "ReadCapacityUnits" in entry or "WriteCapacityUnits" in entry:
            read += float(entry.get("ReadCapacityUnits", 0.0))
            write += float(entry.get("WriteCapacityUnits", 0.0))
        elif operation in WRITE_OPERATIONS:
            write += float(entry.get("CapacityUnits", 0.0))
        else:
            read += float(entry.get("CapacityUnits", 0.0))
    return read, write


def _after_call(
    http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
) -> None:
    calls = _calls.get()
    injected = context.pop(_INJECTED, False)
    if calls is None:
        return
    operation = model.name
    read, write = _units(operation, parsed.get("ConsumedCapacity"))
    if injected:
        parsed.pop("ConsumedCapacity", None)
    error: str | None = None
    if http_response is not None and http_response.status_code >= 300:
        error = str(parsed.get("Error", {}).get("Code") or http_response.status_code)
        if error == "ConditionalCheckFailedException" and operation in WRITE_OPERATIONS:
            reported = http_response.headers.get(CAPACITY_HEADER)
            write += float(reported) if reported else 1.0
    calls.append((operation, read, write, error))


def install_dynamodb_hooks() -> bool:
    """Register the metering hooks on boto3's default session (once). False without boto3."""
    try:
        import boto3
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return False
    with _install_lock:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
        assert session is not None
        # unique_id makes registering twice on one session a no-op.
        events = session.events
        events.register(
            "before-parameter-build.dynamodb",
            _before_parameter_build,
            unique_id="emulator-meter-before",
        )
        events.register("after-call.dynamodb", _after_call, unique_id="emulator-meter-after")
        return True
