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


def _config() -> Any:
    from botocore.config import Config

    # Fail fast and let the player retry: a move must never hang for minutes.
    return Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=2,
        read_timeout=5,
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
                client = boto3.client(service, endpoint_url=endpoint_url, config=_config())  # type: ignore[call-overload]
                _clients[key] = client
    return client


def reset() -> None:
    """Forget every client (tests that change endpoints call this)."""
    with _lock:
        _clients.clear()
