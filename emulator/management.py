"""The `@connections` management API: POST, GET and DELETE on one connection, as API
Gateway answers them (after the request's signature was checked).

AWS: API Gateway developer guide, "Use @connections commands in your backend service"
(apigateway-how-to-call-websocket-api-connections.html).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from . import ids
from .connection import Connection
from .runtime import new_request_id

Answer = tuple[int, list[tuple[str, str]], bytes]
"""Status, headers and body of an HTTP answer."""


def json_headers() -> list[tuple[str, str]]:
    return [("Content-Type", "application/json"), ("x-amzn-RequestId", new_request_id())]


def error(status: int, error_type: str, message: str | None) -> Answer:
    """An API Gateway error: JSON ``{"message": ...}`` and the ``x-amzn-ErrorType`` header botocore reads."""
    headers = [*json_headers(), ("x-amzn-ErrorType", error_type)]
    return status, headers, json.dumps({"message": message}).encode()


class ManagementApi:
    """Answers `@connections` requests for the connections in ``connections`` (read
    here, never changed). It acts only through what it is given: ``send(connection,
    body)`` delivers a POST, ``disconnect(connection)`` closes for a DELETE, and
    ``buffered(connection_id)`` tells the bytes still waiting for that client.
    ``max_message_size``: the largest POST body (413 past it); ``client_buffer_limit``:
    bytes waiting for a slow client before a POST answers 429."""

    def __init__(
        self,
        connections: Mapping[str, Connection],
        *,
        send: Callable[[Connection, bytes], None],
        disconnect: Callable[[Connection], None],
        buffered: Callable[[str], int],
        max_message_size: int,
        client_buffer_limit: int,
    ) -> None:
        self._connections = connections
        self._send = send
        self._disconnect = disconnect
        self._buffered = buffered
        self.max_message_size = max_message_size
        self.client_buffer_limit = client_buffer_limit

    def handle(self, method: str, connection_id: str, body: bytes) -> Answer:
        if method not in ("POST", "GET", "DELETE"):
            return error(403, "ForbiddenException", "Forbidden")
        if not ids.is_connection_id(connection_id):
            return error(400, "BadRequestException", f"Invalid connectionId: {connection_id}")
        if method == "POST" and len(body) > self.max_message_size:
            return error(413, "PayloadTooLargeException", "Message too long")
        conn = self._connections.get(connection_id)
        if conn is None or not conn.open:
            return error(410, "GoneException", None)
        if method == "POST":
            if self._buffered(connection_id) > self.client_buffer_limit:
                return error(429, "LimitExceededException", "Client buffer is full")
            self._send(conn, body)
            return 200, json_headers(), b""
        if method == "GET":
            info = {
                "connectedAt": ids.iso8601(conn.peer.connected_at),
                "identity": {"sourceIp": conn.peer.source_ip, "userAgent": conn.peer.user_agent},
                "lastActiveAt": ids.iso8601(conn.last_active),
            }
            return 200, json_headers(), json.dumps(info).encode()
        self._disconnect(conn)
        return 204, json_headers(), b""
