"""boto3 clients, created once per container on first use (nothing heavy at import).

Lambda keeps a container warm between invocations, so module-level clients are
reused; importing boto3 lazily keeps cold-start import time to what a handler
really needs. Clients are built under a lock because boto3's default session is
not thread-safe to build clients from.
"""

from __future__ import annotations

import threading
from typing import Any

from functions import settings

_lock = threading.Lock()
_clients: dict[str, Any] = {}


CLIENT_LIMITS: dict[str, tuple[float, float, int]] = {
    "dynamodb": (1.0, 2.0, 2),
    "apigatewaymanagementapi": (1.0, 2.0, 1),
}
"""Per service: connect timeout (s), read timeout (s), total attempts (1 = no retry).

Chosen so that one DynamoDB call (retried once, after botocore's backoff) and the two
`@connections` posts after it (the sender's answer, its opponent's message) end well inside
the Lambda timeout the stack declares (`tests/infra/test_time_budget.py` computes the worst
case): the player then gets the handler's `unavailable`, never a function killed
mid-request. Every call starts only if it can still end in time (`functions.budget`), so
the calls beyond those are skipped rather than outliving the function.
Posts are not retried: delivery is best effort, and a retried post could deliver a message
twice."""

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 20.0
RETRY_AFTER_EXTRA_SECONDS = 5.0
"""botocore's standard retry mode sleeps before retry `n` (1-based) at most
`min(BACKOFF_BASE_SECONDS * 2 ** (n - 1), BACKOFF_CAP_SECONDS)`, plus up to
`RETRY_AFTER_EXTRA_SECONDS` more when the service asks (`x-amz-retry-after`).
`tests/infra/test_time_budget.py` checks these bounds against botocore's own."""


def worst_case_seconds(service: str) -> float:
    """The longest one call to `service` can take, retries included: every attempt connects
    and reads up to its timeouts, with the longest backoff before each retry."""
    connect, read, attempts = CLIENT_LIMITS[service]
    backoff = sum(
        min(BACKOFF_BASE_SECONDS * 2.0 ** (retry - 1), BACKOFF_CAP_SECONDS)
        + RETRY_AFTER_EXTRA_SECONDS
        for retry in range(1, attempts)
    )
    return attempts * (connect + read) + backoff


def client_config(service: str) -> Any:
    """The botocore `Config` the client for `service` is built with (limits above)."""
    from botocore.config import Config

    connect, read, attempts = CLIENT_LIMITS[service]
    return Config(
        retries={"total_max_attempts": attempts, "mode": "standard"},
        connect_timeout=connect,
        read_timeout=read,
        tcp_keepalive=True,
    )


def dynamodb() -> Any:
    """The DynamoDB client (endpoint from boto3's own `AWS_ENDPOINT_URL_DYNAMODB` if set)."""
    return _client("dynamodb", None)


def connections() -> Any:
    """The `apigatewaymanagementapi` client for this stage's `@connections` endpoint."""
    return _client("apigatewaymanagementapi", settings.connections_url())


def _client(service: str, endpoint_url: str | None) -> Any:
    key = f"{service} {endpoint_url}"
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                import boto3

                # The stubs overload on each service's literal name; `service` is one of two.
                client = boto3.client(
                    service, endpoint_url=endpoint_url, config=client_config(service)
                )  # type: ignore[call-overload]
                _clients[key] = client
    return client


def use(service: str, client: Any, endpoint_url: str | None = None) -> None:
    """Answer `service` at `endpoint_url` with `client` until the next `reset` (tests put
    stand-ins here: a recording `@connections`, an unreachable DynamoDB). The URL is the one
    the accessor passes: None for `dynamodb()`, `settings.connections_url()` for
    `connections()`."""
    with _lock:
        _clients[f"{service} {endpoint_url}"] = client


def reset() -> None:
    """Forget every client (tests that change endpoints call this)."""
    with _lock:
        _clients.clear()
