"""A handler that cannot be loaded fails as it fails on Lambda: the same errorType and
errorMessage, word for word, in the function's log.

The wording is awslambdaric's (`awslambdaric/bootstrap.py`, `_get_handler`, in
github.com/aws/aws-lambda-python-runtime-interface-client, the runtime interface
client Lambda's Python runtimes run): a module that cannot be imported is
``Runtime.ImportModuleError: Unable to import module 'M': ...``, a missing function
``Runtime.HandlerNotFound: Handler 'F' missing on module 'M'``, a syntax error
``Runtime.UserCodeSyntaxError``, a handler without a dot
``Runtime.MalformedHandlerName``, a built-in module ``Runtime.BuiltInModuleConflict``;
any other exception while importing is reported by its own class name. A handler that
is not callable imports fine, and each invocation fails with the ``TypeError`` calling
it raises.

A handler's result is encoded as awslambdaric's marshaller encodes it: `decimal.Decimal`
(what boto3 reads DynamoDB numbers as) is a number, and a value JSON cannot hold is
``Runtime.MarshalError: Unable to marshal response: ...``, a TypeError the handler raises
itself staying a TypeError.
"""

from __future__ import annotations

import asyncio
import decimal
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from emulator import Emulator

EmulatorFactory = Callable[..., Awaitable[Emulator]]

SHOP = {
    "shop/__init__.py": "",
    "shop/orders.py": "def handler(event, context):\n    return {'statusCode': 200}\n",
    "shop/broken.py": "def handler(event, context:\n    return None\n",
    "shop/unconfigured.py": "raise ValueError('SHOP_TABLE is not set')\n",
    "shop/labels.py": "handler = 'not a function'\n",
    "shop/answers.py": (
        "import decimal, json\n"
        "def stored(event, context):  # a response kept in DynamoDB: numbers come back Decimal\n"
        "    return {'statusCode': decimal.Decimal('200'), 'body': 'from the table'}\n"
        "def tags(event, context):\n"
        "    return {'statusCode': 200, 'body': {'red'}}\n"
        "def dumps(event, context):\n"
        "    return {'statusCode': 200, 'body': json.dumps({'red'})}\n"
    ),
}
"""A package of handlers, written to a directory workers import from."""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    for name, text in SHOP.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


async def first_message_fails(
    apigw_emulator: EmulatorFactory,
    caplog: pytest.LogCaptureFixture,
    handler: Any,
    code: Path,
) -> list[str]:
    """Serve ``handler`` on `$default`, send one message; check the client gets API
    Gateway's ``Internal server error`` and return the function's log lines."""
    caplog.set_level(logging.INFO, logger="emulator")
    emu = await apigw_emulator(
        {"$default": handler}, two_way_routes=["$default"], python_path=[str(code)]
    )
    async with connect(emu.url) as ws:
        await ws.send("{}")
        answer = json.loads(await asyncio.wait_for(ws.recv(), 60))
    assert answer["message"] == "Internal server error"
    return [r.getMessage() for r in caplog.records if r.name.startswith("emulator.function.")]


@pytest.mark.parametrize(
    ("handler", "logged"),
    [
        (
            "shop.refunds.handler",
            "[ERROR] Runtime.ImportModuleError: Unable to import module 'shop.refunds': "
            "No module named 'shop.refunds'",
        ),
        (
            "shop/refunds.handler",
            "[ERROR] Runtime.ImportModuleError: Unable to import module 'shop/refunds': "
            "No module named 'shop.refunds'",
        ),
        (
            "shop.orders.handlr",
            "[ERROR] Runtime.HandlerNotFound: Handler 'handlr' missing on module 'shop.orders'",
        ),
        (
            "shop.broken.handler",
            "[ERROR] Runtime.UserCodeSyntaxError: Syntax error in module 'shop.broken': ",
        ),
        (
            "handler",
            "[ERROR] Runtime.MalformedHandlerName: Bad handler 'handler': "
            "not enough values to unpack (expected 2, got 1)",
        ),
        (
            "sys.handler",
            "[ERROR] Runtime.BuiltInModuleConflict: Cannot use built-in module sys as a "
            "handler module",
        ),
        ("shop.unconfigured.handler", "[ERROR] ValueError: SHOP_TABLE is not set"),
        ("shop.labels.handler", "[ERROR] TypeError: 'str' object is not callable"),
    ],
)
async def test_a_handler_that_cannot_load_logs_lambdas_error(
    apigw_emulator: EmulatorFactory,
    caplog: pytest.LogCaptureFixture,
    shop: Path,
    handler: str,
    logged: str,
) -> None:
    lines = await first_message_fails(apigw_emulator, caplog, handler, shop)
    assert any(line.startswith(logged) for line in lines), "\n".join(lines)


async def test_a_syntax_error_points_at_the_line(
    apigw_emulator: EmulatorFactory, caplog: pytest.LogCaptureFixture, shop: Path
) -> None:
    lines = await first_message_fails(apigw_emulator, caplog, "shop.broken.handler", shop)
    at = lines.index("Traceback (most recent call last):")
    assert lines[at + 1] == f'  File "{shop / "shop" / "broken.py"}" Line 1'
    assert lines[at + 2] == "    def handler(event, context:"


async def test_an_error_while_importing_shows_the_users_frames_only(
    apigw_emulator: EmulatorFactory, caplog: pytest.LogCaptureFixture, shop: Path
) -> None:
    lines = await first_message_fails(apigw_emulator, caplog, "shop.unconfigured.handler", shop)
    trace = "\n".join(lines[lines.index("Traceback (most recent call last):") :])
    assert "unconfigured.py" in trace
    assert "emulator/worker.py" not in trace


def stored(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The in-process twin of ``shop.answers.stored``."""
    return {"statusCode": decimal.Decimal("200"), "body": "from the table"}


@pytest.mark.parametrize("handler", ["shop.answers.stored", stored], ids=["worker", "callable"])
async def test_decimals_in_a_response_are_numbers_as_on_lambda(
    apigw_emulator: EmulatorFactory, shop: Path, handler: Any
) -> None:
    """Lambda's runtime encodes `decimal.Decimal` as a JSON number (awslambdaric's
    ``lambda_runtime_marshaller.Encoder``), so a response read back from DynamoDB works."""
    emu = await apigw_emulator(
        {"$default": handler}, two_way_routes=["$default"], python_path=[str(shop)]
    )
    async with connect(emu.url) as ws:
        await ws.send("{}")
        assert await asyncio.wait_for(ws.recv(), 60) == "from the table"


def tags(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The in-process twin of ``shop.answers.tags``."""
    return {"statusCode": 200, "body": {"red"}}


@pytest.mark.parametrize("handler", ["shop.answers.tags", tags], ids=["worker", "callable"])
async def test_a_response_that_is_not_json_is_a_marshal_error(
    apigw_emulator: EmulatorFactory, caplog: pytest.LogCaptureFixture, shop: Path, handler: Any
) -> None:
    lines = await first_message_fails(apigw_emulator, caplog, handler, shop)
    assert (
        "[ERROR] Runtime.MarshalError: Unable to marshal response: "
        "Object of type set is not JSON serializable"
    ) in lines


async def test_the_handlers_own_type_error_is_not_a_marshal_error(
    apigw_emulator: EmulatorFactory, caplog: pytest.LogCaptureFixture, shop: Path
) -> None:
    lines = await first_message_fails(apigw_emulator, caplog, "shop.answers.dumps", shop)
    assert "[ERROR] TypeError: Object of type set is not JSON serializable" in lines
