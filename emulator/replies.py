"""What API Gateway sends a WebSocket client of its own: error frames, refused
handshakes, and what a handler's result asks to send back.

AWS: API Gateway developer guide, "Set up a WebSocket API integration response"
(apigateway-websocket-api-integration-responses.html) and "Create routes for
WebSocket APIs" (websocket-api-develop-routes.html).
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import http
import json
from typing import Any

from websockets.datastructures import Headers
from websockets.http11 import Response

from .throttling import THROTTLED_MESSAGE

INTERNAL_ERROR = "Internal server error"
FORBIDDEN = "Forbidden"

THROTTLED_BODY = json.dumps({"message": THROTTLED_MESSAGE}).encode()
"""The body of a throttled `$connect`'s 429."""

GONE_BODY = b'{"message":"Gone"}'
"""The body of the 410 that answers a handshake while the emulator stops (the emulator's
own: an API on AWS does not stop). A reconnecting client can tell it from a wrong path
(403), and give up as it would on a refused connection."""

AUTHORIZER_MESSAGES = {401: "Unauthorized", 403: FORBIDDEN, 500: INTERNAL_ERROR}
"""The body's message of a handshake the `$connect` authorizer refused, by status."""


def error_frame(message: str, connection_id: str, request_id: str) -> bytes:
    """API Gateway's error frame, with its own spacing, byte for byte."""
    return f'{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"{request_id}"}}'.encode()


def rejection(status: int, body: bytes) -> Response:
    """A refused handshake: ``status`` with a JSON ``body``, closing the connection."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    headers = Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
            ("Content-Type", "application/json"),
        ]
    )
    return Response(status, phrase, headers, body)


def connect_outcome(result: Any, failed: bool) -> tuple[int, str | None]:
    """The handshake status a `$connect` result asks for, and the subprotocol to echo
    (502 when the handler failed or returned no usable status)."""
    if failed or not isinstance(result, dict):
        return 502, None
    status = result.get("statusCode")
    if isinstance(status, bool):
        return 502, None
    try:
        code = int(status)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 502, None
    if not 200 <= code <= 599:  # an informational status cannot end a handshake
        return 502, None
    subprotocol = None
    for field in ("headers", "multiValueHeaders"):
        headers = result.get(field)
        if isinstance(headers, dict):
            for name, value in headers.items():
                if str(name).lower() == "sec-websocket-protocol":
                    subprotocol = value[-1] if isinstance(value, list) and value else value
    return code, str(subprotocol) if subprotocol else None


class Reply:
    """What a message route sends back (`message_outcome`)."""

    NOTHING: Reply
    INTERNAL_ERROR: Reply

    def __init__(self, data: bytes | None = None) -> None:
        self.data = data


Reply.NOTHING = Reply()
Reply.INTERNAL_ERROR = Reply()


def message_outcome(result: Any, failed: bool, *, two_way: bool) -> Reply:
    """What a message route's result sends back: its body (two-way routes only),
    `Reply.INTERNAL_ERROR` (the handler failed, returned None, or a body that is not a
    string or not base64 when it says it is), or `Reply.NOTHING`."""
    if failed or result is None:
        return Reply.INTERNAL_ERROR
    if not two_way:
        return Reply.NOTHING
    if not isinstance(result, dict):
        return Reply.INTERNAL_ERROR
    body = result.get("body")
    if body is None:
        return Reply.NOTHING
    if not isinstance(body, str):
        return Reply.INTERNAL_ERROR
    if result.get("isBase64Encoded"):
        try:
            return Reply(base64.b64decode(body, validate=True))
        except (binascii.Error, ValueError):
            return Reply.INTERNAL_ERROR
    return Reply(body.encode("utf-8"))
