"""Sending messages to players through API Gateway's `@connections` API."""

from __future__ import annotations

from typing import Any

from functions import aws, log
from game.protocol import encode


def send(connection_id: str, message: dict[str, Any]) -> bool:
    """Post `message` to one connection. Returns False if the connection is gone (410),
    so the caller can detach it; any other failure raises."""
    client = aws.connections()
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=encode(message).encode())
    except client.exceptions.GoneException:
        log.info("connection %s is gone", connection_id)
        return False
    return True
