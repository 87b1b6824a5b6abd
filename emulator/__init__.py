"""A local API Gateway WebSocket API: routes, Lambda proxy events, `@connections`, AWS's limits.

    from emulator import Emulator

    def echo(event, context):
        return {"statusCode": 200, "body": event["body"]}

    async with Emulator({"$default": echo}, two_way_routes=["$default"]) as emu:
        ...  # connect a WebSocket client to emu.url; handlers post to emu.management_url

From a shell: ``python -m emulator --route '$default=app.handlers.default'``
(see `emulator.__main__`).

Modules: `emulator.server` (the `Emulator`), `emulator.threaded` (`ThreadedEmulator`),
`emulator.gateway` (the sans-I/O core: handshakes, frames, HTTP requests and clock
ticks in, actions out), `emulator.transport` (the asyncio layer that carries those
actions out), `emulator.connection` (one connection's state), `emulator.management`
(`@connections`), `emulator.replies` (API Gateway's own frames and refusals),
`emulator.routing` (route selection), `emulator.events` (Lambda proxy events),
`emulator.lambdas` (each function's credentials, environment and runner),
`emulator.runtime` (worker processes and threads running handlers), `emulator.context`
(the Lambda context), `emulator.dynamodb` (embedded or external DynamoDB),
`emulator.stack` (serve the stack a Pulumi program declares: ``read_stack``,
``stack_emulator``), `emulator.metering` (counts for cost estimates),
`emulator.pytest_plugin` (the ``apigw_emulator`` fixture).

Names are imported lazily so that worker processes (``python -m
emulator.worker``) start without loading the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .authorizer import Authorizer
    from .dynamodb import DynamoDB
    from .metering import DynamoDBOperation, Metrics
    from .runtime import Function, Handler
    from .server import Emulator
    from .stack import read_stack, stack_emulator
    from .threaded import ThreadedEmulator

__all__ = [
    "Authorizer",
    "DynamoDB",
    "DynamoDBOperation",
    "Emulator",
    "Function",
    "Handler",
    "Metrics",
    "ThreadedEmulator",
    "read_stack",
    "stack_emulator",
]

_WHERE = {
    "Authorizer": "authorizer",
    "DynamoDB": "dynamodb",
    "DynamoDBOperation": "metering",
    "Metrics": "metering",
    "Function": "runtime",
    "Handler": "runtime",
    "Emulator": "server",
    "ThreadedEmulator": "threaded",
    "read_stack": "stack",
    "stack_emulator": "stack",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
