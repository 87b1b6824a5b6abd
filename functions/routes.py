"""The route table: the one place that names every WebSocket route and its handler.

The local emulator serves exactly these routes and the Pulumi program deploys
exactly these routes, one Lambda function (with its own IAM role) per entry.
Each entry also says which DynamoDB actions and which `@connections` methods
its handler calls, so that the deployed role grants those and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

ROUTE_SELECTION_EXPRESSION = "$request.body.type"


@dataclass(frozen=True)
class Route:
    """One API Gateway route and the Lambda handler behind it."""

    key: str
    """The route key API Gateway matches (`$disconnect`, `$default`, `play`, ...)."""
    handler: str
    """The handler as Lambda names it: `module.function`, importable from the repo root."""
    name: str
    """A short name for the function and its resources (letters and hyphens)."""
    dynamodb_actions: tuple[str, ...] = ()
    """DynamoDB API actions the handler calls (for example `UpdateItem`)."""
    connections_methods: tuple[str, ...] = ("POST",)
    """HTTP methods the handler uses on `@connections` (POST sends a message)."""
    two_way: bool = False
    """True when API Gateway sends the handler's returned `body` back to the caller."""


ROUTES: tuple[Route, ...] = (
    Route("start", "functions.start.handler", "start", ("UpdateItem", "PutItem")),
    Route("join", "functions.join.handler", "join", ("UpdateItem",)),
    Route("play", "functions.play.handler", "play", ("UpdateItem",)),
    Route("resume", "functions.resume.handler", "resume", ("GetItem", "UpdateItem")),
    Route("watch", "functions.watch.handler", "watch", ("UpdateItem",)),
    Route("claim", "functions.clock.handler", "claim", ("UpdateItem",)),
    Route("resign", "functions.resign.handler", "resign", ("UpdateItem",)),
    Route("rematch", "functions.rematch.handler", "rematch", ("UpdateItem", "PutItem")),
    Route("match", "functions.match.handler", "match", ("UpdateItem", "PutItem", "DeleteItem")),
    Route("$disconnect", "functions.disconnect.handler", "disconnect", ("GetItem", "UpdateItem")),
    Route("$default", "functions.default.handler", "default", (), (), two_way=True),
)
"""Every route of the xo API. `$connect` is absent on purpose: it would cost a
Lambda invocation per connection and has nothing to check."""
