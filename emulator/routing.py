"""Route selection, as API Gateway evaluates a WebSocket API's route selection expression.

AWS: API Gateway developer guide, "Create routes for WebSocket APIs in API Gateway"
(websocket-api-develop-routes.html), section "Route selection expressions".

Rules the emulator applies to every incoming message:

- The expression is ``$request.body.<path>`` or ``${request.body.<path>}``, where
  ``<path>`` is one or more dot-separated JSON member names (``$request.body.a.b``).
- The message body is parsed as JSON. A body that is not JSON, is not a JSON
  object, or has no value at the path (or ``null`` there) selects ``$default``.
- A string value is matched as is. Any other value is matched by its JSON text
  (``json.dumps`` with compact separators): ``1`` -> ``"1"``, ``1.5`` -> ``"1.5"``,
  ``true`` -> ``"true"``, ``{"a":1}`` -> ``'{"a":1}'``.
- A value naming no route selects ``$default``; with no ``$default`` route the
  client receives API Gateway's ``Forbidden`` frame.
- Binary frames are not JSON text, so they always select ``$default``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

CONNECT = "$connect"
DISCONNECT = "$disconnect"
DEFAULT = "$default"

_EXPRESSION = re.compile(
    r"^(?:\$request\.body\.(?P<plain>[^.{}$\s]+(?:\.[^.{}$\s]+)*)"
    r"|\$\{request\.body\.(?P<braced>[^.{}$\s]+(?:\.[^.{}$\s]+)*)\})$"
)


@dataclass(frozen=True)
class SelectionExpression:
    """A parsed route selection expression: the JSON path it reads from the body."""

    text: str
    path: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> SelectionExpression:
        """Parse ``$request.body.a.b`` or ``${request.body.a.b}``; raise ValueError otherwise."""
        match = _EXPRESSION.match(text.strip())
        if match is None:
            raise ValueError(
                f"unsupported route selection expression {text!r}: "
                "expected $request.body.<path> or ${request.body.<path>}"
            )
        path = match.group("plain") or match.group("braced")
        return cls(text, tuple(path.split(".")))

    def evaluate(self, body: str) -> str | None:
        """The selection value for a text message body, or None when there is none."""
        try:
            value: Any = json.loads(body)
        except (ValueError, RecursionError):  # deep nesting is no JSON route either: $default
            return None
        for name in self.path:
            if not isinstance(value, dict) or name not in value:
                return None
            value = value[name]
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def select_route(
    expression: SelectionExpression,
    body: str | None,
    route_keys: Collection[str],
) -> str | None:
    """The route key a message goes to, or None when neither a route nor `$default` matches.

    ``body`` is None for binary messages, which only `$default` can take.
    """
    if body is not None:
        value = expression.evaluate(body)
        if value is not None and value not in (CONNECT, DISCONNECT) and value in route_keys:
            return value
    return DEFAULT if DEFAULT in route_keys else None
