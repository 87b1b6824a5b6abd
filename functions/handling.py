"""What every xo handler shares: reading the event, and answering a rejected request.

A handler is a plain function `(request, connection_id) -> None` wrapped by `route`:
the wrapper parses the body with `game.protocol.parse_request`, and turns any
`GameError` into an `{"type":"error"}` frame posted to the sender alone. The
Lambda result is always `{"statusCode": 200}`: for API Gateway the message was
handled, even when the game refused it. The wrapper also makes the Lambda context current
(`functions.budget`), so that no AWS call outlives the function.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from functions import budget, log, notify
from game.errors import GameError
from game.protocol import Request, error_message, parse_request

OK = {"statusCode": 200}
R = TypeVar("R", bound=Request)


def connection_id(event: dict[str, Any]) -> str:
    return str(event["requestContext"]["connectionId"])


def route(
    kind: type[R],
) -> Callable[[Callable[[R, str], None]], Callable[[dict[str, Any], Any], dict[str, Any]]]:
    """Make a Lambda handler from `fn(request, connection_id)` for requests of type `kind`."""

    def wrap(fn: Callable[[R, str], None]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        @functools.wraps(fn)
        def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
            sender = connection_id(event)
            with budget.invocation(context):
                try:
                    request = parse_request(event.get("body"))
                    if not isinstance(
                        request, kind
                    ):  # API Gateway routed on `type`; only a misconfigured route lands here
                        raise TypeError(f"{fn.__module__} got {type(request).__name__}")
                    fn(request, sender)
                except GameError as error:
                    log.info("rejected %s from %s: %s", fn.__module__, sender, error.code.value)
                    notify.send(sender, error_message(error))
            return OK

        return handler

    return wrap
