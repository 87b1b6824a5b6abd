"""A Lambda execution environment for one `module.function` handler: ``python -m emulator.worker``.

The emulator starts a small pool of these per function, as Lambda starts
containers: each imports the handler's module once (the init phase) and then
serves invocations one at a time, warm, until the emulator stops it.

Protocol: one JSON object per line. The emulator writes requests on the
worker's stdin::

    {"id": 1, "event": {...}, "request_id": "...", "deadline_ms": 1707502303420}

and the worker answers on its original stdout::

    {"ready": true}                                       # once, after the import
    {"id": 1, "result": ..., "error": null, "dynamodb": [[op, rcu, wcu, error], ...], "duration_ms": 2.1}

The handler's own output (``print``, logging, tracebacks) goes to stderr, which
the emulator forwards to its ``emulator.function.<name>`` logger, so nothing a
handler prints can corrupt the channel. Like Lambda's Python runtime, the root
logger gets a handler printing ``[LEVEL] timestamp request-id message``.

Configuration comes from the environment (``EMULATOR_FUNCTION_INFO``, JSON of
`emulator.context.FunctionInfo`) and the handler string from ``argv[1]``.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import math
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

from .context import FunctionInfo, LambdaContext
from .metering import DynamoDBCall, install_dynamodb_hooks, recording

INFO_VARIABLE = "EMULATOR_FUNCTION_INFO"

Handler = Callable[[dict[str, Any], LambdaContext], Any]


class Fault(Exception):
    """A failure Lambda's runtime reports in its own words (awslambdaric's ``FaultException``):
    ``error_type`` is a ``Runtime.*`` errorType, ``message`` the errorMessage."""

    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MARSHAL_ERROR = "Runtime.MarshalError"
    RESPONSE_SIZE_TOO_LARGE = "Function.ResponseSizeTooLarge"

    def __init__(self, error_type: str, message: str, stack_trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack_trace = stack_trace or []

    def payload(self) -> dict[str, Any]:
        """Lambda's error shape: errorMessage, errorType, stackTrace."""
        return {
            "errorMessage": self.message,
            "errorType": self.error_type,
            "stackTrace": self.stack_trace,
        }


def load_handler(handler: str) -> Handler:
    """Import ``module.function`` (or ``path/to/module.function``) as Lambda's Python
    runtime does (awslambdaric's ``bootstrap._get_handler``) and return the function.

    Raises `Fault` worded as Lambda words it for a handler without a dot, a built-in
    module, a module that cannot be imported or has a syntax error, and a missing
    function; any other exception the module raises while importing propagates. The
    function is not checked to be callable: like Lambda, calling it fails instead.
    """
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise Fault(Fault.MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}") from None
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise Fault(
                Fault.BUILT_IN_MODULE_CONFLICT,
                f"Cannot use built-in module {module_name} as a handler module",
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Fault(
            Fault.IMPORT_MODULE_ERROR, f"Unable to import module '{module_name}': {exc}"
        ) from None
    except SyntaxError as exc:
        raise Fault(
            Fault.USER_CODE_SYNTAX_ERROR,
            f"Syntax error in module '{module_name}': {exc}",
            [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}'],
        ) from None
    try:
        function: Handler = getattr(module, function_name)
    except AttributeError:
        raise Fault(
            Fault.HANDLER_NOT_FOUND, f"Handler '{function_name}' missing on module '{module_name}'"
        ) from None
    return function


MAX_RESPONSE_BYTES = 6 * 1024 * 1024
"""Lambda's limit on a synchronous invocation's response payload."""


class _Encoder(json.JSONEncoder):
    """JSON as Lambda's Python runtime encodes a response (awslambdaric's
    ``lambda_runtime_marshaller.Encoder``): `decimal.Decimal`, as boto3 reads DynamoDB
    numbers, is a number (NaN as NaN); and, as on python3.12 and later, text is UTF-8,
    not ASCII escapes."""

    def __init__(self) -> None:
        super().__init__(ensure_ascii=False)

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return math.nan if o.is_nan() else json.loads(str(o))
        return super().default(o)


def round_trip(value: Any) -> Any:
    """The handler's result as Lambda returns it: through JSON (tuples become lists,
    decimals numbers), at most 6 MB. Raises `Fault`: ``Runtime.MarshalError`` for a
    value JSON cannot hold, ``Function.ResponseSizeTooLarge`` past the limit."""
    try:
        encoded = _Encoder().encode(value)
    except Exception as exc:
        raise Fault(Fault.MARSHAL_ERROR, f"Unable to marshal response: {exc}") from None
    size = len(encoded.encode(errors="surrogatepass"))
    if size > MAX_RESPONSE_BYTES:
        raise Fault(
            Fault.RESPONSE_SIZE_TOO_LARGE,
            f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
            f"({MAX_RESPONSE_BYTES} bytes).",
        )
    return json.loads(encoded)


def error_payload(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """Lambda's error shape: errorMessage, errorType, stackTrace (the frames from the
    first one outside this module on, as Lambda's runtime leaves out its own)."""
    frames = traceback.extract_tb(exc.__traceback__)
    while frames and frames[0].filename == __file__:
        del frames[0]
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(frames),
    }


def log_error(error: dict[str, Any]) -> None:
    """Write an error payload to stderr as Lambda's runtime logs it: ``[ERROR] type:
    message``, then ``Traceback (most recent call last):`` and the stack trace."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    lines.append("Traceback (most recent call last):")
    for element in error["stackTrace"]:
        lines.extend(element.splitlines() or [""])
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _setup_logging() -> _RequestIdFilter:
    request_filter = _RequestIdFilter()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    logging.Formatter.converter = time.gmtime
    handler.addFilter(request_filter)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    return request_filter


def _send(channel: BinaryIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
    channel.flush()


def invoke(function: Handler, info: FunctionInfo, request: dict[str, Any]) -> dict[str, Any]:
    """Run one invocation and build its answer (never raises)."""
    calls: list[DynamoDBCall] = []
    context = LambdaContext(info, request["request_id"], int(request["deadline_ms"]))
    started = time.perf_counter()
    result: Any = None
    error: dict[str, Any] | None = None
    with recording(calls):
        try:
            value = function(request["event"], context)
            result = round_trip(value)
        except Fault as fault:
            error = fault.payload()
        except Exception as exc:  # the handler's own error, reported like Lambda does
            error = error_payload(exc)
        except SystemExit as exc:
            error = error_payload(exc, "Runtime.ExitError")
    if error is not None:
        log_error(error)
    return {
        "id": request["id"],
        "result": result,
        "error": error,
        "dynamodb": calls,
        "duration_ms": (time.perf_counter() - started) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m emulator.worker module.function\n")
        return 2
    # Ctrl-C in a terminal reaches the whole process group: the emulator decides when
    # workers stop (it closes their stdin), after the `$disconnect` handlers ran.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Keep the real stdout for the protocol; point fd 1 (and sys.stdout) at stderr.
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    info = FunctionInfo(**json.loads(os.environ[INFO_VARIABLE]))
    request_filter = _setup_logging()
    install_dynamodb_hooks()
    error: dict[str, Any] | None = None
    try:
        function = load_handler(args[0])
    except Fault as fault:
        error = fault.payload()
    except Exception as exc:  # the module's own error while importing, reported by its class
        error = error_payload(exc)
    if error is not None:
        log_error(error)
        _send(channel, {"ready": False, "error": error})
        return 1
    _send(channel, {"ready": True})
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            return 0
        request = json.loads(line)
        request_filter.request_id = request["request_id"]
        _send(channel, invoke(function, info, request))
        request_filter.request_id = ""


if __name__ == "__main__":
    sys.exit(main())
