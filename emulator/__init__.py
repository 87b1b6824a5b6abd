"""A local API Gateway WebSocket API: routes, Lambda proxy events, `@connections`, AWS's limits.

    from emulator import Emulator

    def echo(event, context):
        return {"statusCode": 200, "body": event["body"]}

    async with Emulator({"$default": echo}, two_way_routes=["$default"]) as emu:
        ...  # connect a WebSocket client to emu.url; handlers post to emu.management_url

From a shell: ``python -m emulator --route '$default=app.handlers.default'``
(see `emulator.__main__`).

Modules: `emulator.server` (the `Emulator`), `emulator.routing` (route
selection), `emulator.events` (Lambda proxy events), `emulator.runtime` (worker
processes and threads running handlers), `emulator.context` (the Lambda context),
`emulator.dynamodb` (embedded or external DynamoDB), `emulator.stack` (serve the
stack a Pulumi program declares: ``read_stack``, ``stack_emulator``), `emulator.metering`
(counts for cost estimates), `emulator.pytest_plugin` (the ``apigw_emulator``
fixture).

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
    from .server import Emulator, ThreadedEmulator
    from .stack import read_stack, stack_emulator

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
    "ThreadedEmulator": "server",
    "read_stack": "stack",
    "stack_emulator": "stack",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
