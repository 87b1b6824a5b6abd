"""Sending messages to players through API Gateway's `@connections` API.

Delivery is best effort: every call here runs after the write it reports has succeeded,
so no failure to reach a connection may fail the request (PROTOCOL.md, "Delivery is best
effort"). `send` never raises for a failed post; it logs the connection id and the error,
and says what happened. A post that could not end before the Lambda timeout is not made
(`functions.budget`): callers post what matters most first (the sender's answer, then its
opponent, then the spectators).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from functions import aws, budget, log
from game.protocol import encode


class Delivery(Enum):
    """What became of one post."""

    DELIVERED = "delivered"
    GONE = "gone"
    """410: the connection no longer exists; the caller may detach it from its game."""
    FAILED = "failed"
    """Anything else (429 full buffer, 5xx, 403, a timeout, no route to the endpoint): the
    connection may still be there; the player catches up by its next message or `resume`."""
    SKIPPED = "skipped"
    """Not posted: too little of the invocation's time was left for the post to end before
    the Lambda timeout. The player catches up as after `FAILED`."""


def send(connection_id: str, message: dict[str, Any]) -> Delivery:
    """Post `message` to one connection, and say what became of it. Never raises for a
    failed post (only for a bug, such as an unencodable message)."""
    from botocore.exceptions import BotoCoreError, ClientError

    data = encode(message).encode()
    left = budget.too_late("apigatewaymanagementapi")
    if left is not None:
        log.warning(
            "not posting %s to connection %s: %.1f s left, too little to end before the timeout",
            message.get("type"),
            connection_id,
            left,
        )
        return Delivery.SKIPPED
    client = aws.connections()
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=data)
    except client.exceptions.GoneException:  # a ClientError (410) from boto3
        log.info("connection %s is gone", connection_id)
        return Delivery.GONE
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "GoneException" or status == 410:
            log.info("connection %s is gone", connection_id)
            return Delivery.GONE
        log.warning(
            "could not post %s to connection %s: %s (HTTP %s): %s",
            message.get("type"),
            connection_id,
            code or type(error).__name__,
            status,
            error,
        )
        return Delivery.FAILED
    except BotoCoreError as error:
        log.warning(
            "could not post %s to connection %s: %s: %s",
            message.get("type"),
            connection_id,
            type(error).__name__,
            error,
        )
        return Delivery.FAILED
    return Delivery.DELIVERED
