"""`$default` (a two-way route): everything no other route takes. Answers `ping` with
`pong`, and anything else with the error frame that says what was wrong, as the route's
response (no `@connections` call needed)."""

from __future__ import annotations

from typing import Any

from game.errors import ErrorCode, GameError
from game.protocol import Ping, encode, error_message, parse_request, pong_message


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    try:
        request = parse_request(event.get("body"))
        if not isinstance(request, Ping):
            raise GameError(
                ErrorCode.UNKNOWN_TYPE, "This server has no route for that message type."
            )
        reply = pong_message()
    except GameError as error:
        reply = error_message(error)
    return {"statusCode": 200, "body": encode(reply)}
