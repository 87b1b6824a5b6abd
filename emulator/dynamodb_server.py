"""The embedded DynamoDB: moto's server in a child process, with realistic consumed capacity.

Run as ``python -m emulator.dynamodb_server --host 127.0.0.1 --port 0``; the
process prints the port it bound on its first stdout line and serves until
SIGTERM. Requests are served one at a time by a small keep-alive HTTP server
(moto is CPU-bound: threads would only contend for the GIL) and go to moto's
own DynamoDB handler (`DirectDynamoDB`: without Flask's dispatch), made faster
where it repeats work by the patches of `emulator.moto_patches` (each named on
the second stdout line, which the emulator logs; ``EMULATOR_PLAIN_MOTO=1`` runs
plain moto). Its garbage collector leaves
moto's start-up heap alone and collects rarely. A middleware rewrites
the ``ConsumedCapacity`` of GetItem, PutItem, UpdateItem and DeleteItem with
the units DynamoDB would bill (`emulator.capacity`), and reports the units a
failed conditional write consumed in the ``x-emulator-consumed-capacity``
header (DynamoDB bills them but its error response cannot say so). Other
operations keep moto's figures.

Started by the emulator, it is given the run's issued credentials and roles
(`emulator.iam.AUTHORITY_VARIABLE`) and answers only requests signed with them
and allowed by the caller's role (`emulator.guards.dynamodb_refusal`); started
by hand without that variable, it answers any request.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import os
import re
import signal
import sys
import traceback
import zlib
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from . import moto_patches
from .capacity import item_size, read_units, write_units
from .http11 import MAX_HEAD, RequestHead, parse_head, response
from .metering import CAPACITY_HEADER

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/")
_ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem"})
StartResponse = Callable[..., Any]
Guard = Callable[
    [str, str, list[tuple[str, str]], bytes], tuple[int, list[tuple[str, str]], bytes] | None
]


class CapacityMiddleware:
    """WSGI middleware putting DynamoDB's capacity arithmetic on moto's single-item operations."""

    def __init__(
        self,
        app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
        dynamodb_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]] | None = None,
    ) -> None:
        self.app = app
        self.dynamodb_app = dynamodb_app or app
        """DynamoDB's own application: skips moto's per-request search for the service."""

    def _item(
        self, environ: dict[str, Any], table: str, key: dict[str, Any]
    ) -> dict[str, Any] | None:
        from moto.dynamodb.models import dynamodb_backends

        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        access_key, region = (match.group(1), match.group(2)) if match else ("", "us-east-1")
        account = os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        if not account:
            from moto.iam.models import get_account_id_from

            account = get_account_id_from(access_key)
        item = dynamodb_backends[account][region].get_item(table, key)
        if item is None:
            return None
        attributes: dict[str, Any] = item.to_json()["Attributes"]
        return attributes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target.rpartition(".")[2]
        if not target.startswith("DynamoDB_"):
            return self.app(environ, start_response)
        if operation not in _ITEM_OPERATIONS:
            return self.dynamodb_app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            request = json.loads(raw or b"{}")
            table = request["TableName"]
            key = request["Item"] if operation == "PutItem" else request["Key"]
            before = self._item(environ, table, key)
        except Exception:
            return self.dynamodb_app(environ, start_response)

        status, headers, body = call_wsgi(self.dynamodb_app, environ)
        code = int(status.split()[0])
        try:
            if code == 200 and request.get("ReturnConsumedCapacity", "NONE") != "NONE":
                answer = json.loads(body)
                if operation == "GetItem":
                    units = read_units(
                        item_size(before), consistent=bool(request.get("ConsistentRead"))
                    )
                    kind = "ReadCapacityUnits"
                else:
                    after = request["Item"] if operation == "PutItem" else None
                    if operation == "UpdateItem":
                        after = self._item(environ, table, key)
                    units = write_units(item_size(before), item_size(after))
                    kind = "WriteCapacityUnits"
                consumed: dict[str, Any] = {"TableName": table, "CapacityUnits": units, kind: units}
                if request["ReturnConsumedCapacity"] == "INDEXES":
                    consumed["Table"] = {"CapacityUnits": units, kind: units}
                answer["ConsumedCapacity"] = consumed
                body = json.dumps(answer).encode()
                headers = [
                    (k, v) for k, v in headers if k.lower() not in ("content-length", "x-amz-crc32")
                ]
                # botocore checks DynamoDB's body checksum (and retries on a mismatch).
                headers += [
                    ("Content-Length", str(len(body))),
                    ("x-amz-crc32", str(zlib.crc32(body))),
                ]
            elif (
                code == 400
                and operation != "GetItem"
                and b"ConditionalCheckFailedException" in body
            ):
                headers = [*headers, (CAPACITY_HEADER, str(write_units(item_size(before))))]
        except Exception:  # never let the arithmetic break DynamoDB itself
            pass
        start_response(status, headers)
        return [body]


class DirectDynamoDB:
    """moto's DynamoDB application without Flask's dispatch (~15 % of a small request):
    what moto's Flask view does (``moto.core.utils.convert_to_flask_response``), called
    directly for the requests SDKs send (``POST /`` without ``Origin``, where flask-cors
    only adds ``Access-Control-Allow-Origin: *``). Anything else, or another moto, goes
    to the Flask application."""

    def __init__(self, flask_app: Any) -> None:
        self.flask_app = flask_app
        self._direct: Callable[[dict[str, Any], StartResponse], Iterable[bytes]] | None = None
        if moto_patches.plain_moto_requested():
            return
        try:
            moto_patches.check_version()
            from moto.core.request import normalize_request
            from moto.dynamodb.responses import DynamoHandler
            from moto.moto_api import recorder
            from moto.settings import DISABLE_GLOBAL_CORS
            from werkzeug.wrappers import Response

            request_class = flask_app.request_class
            # moto's Flask app has flask-cors allow every origin unless told not to.
            cors = [] if DISABLE_GLOBAL_CORS else [("Access-Control-Allow-Origin", "*")]
            dispatch = DynamoHandler.dispatch
            record = recorder._record_request
        except (ImportError, AttributeError, moto_patches.NotApplicable) as reason:
            moto_patches.note("direct_dispatch", str(reason) or type(reason).__name__)
            return
        from botocore.exceptions import ClientError

        def direct(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            request = normalize_request(request_class(environ))
            record(request)
            try:
                result = dispatch(request, request.raw_url, dict(request.headers))
            except ClientError as exc:
                result = 400, {}, exc.response["Error"]["Message"]
            if len(result) == 3:
                status, headers, content = result
            else:
                status, headers, content = 200, {}, result
            answer: Any = Response(response=content, status=status, headers=headers)
            for name, value in cors:
                if name not in answer.headers:
                    answer.headers[name] = value
            return answer(environ, start_response)  # type: ignore[no-any-return]

        self._direct = direct
        moto_patches.note("direct_dispatch", None)

    @property
    def active(self) -> bool:
        """Whether requests skip Flask (False on another moto or with plain moto asked for)."""
        return self._direct is not None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (
            self._direct is None
            or environ.get("REQUEST_METHOD") != "POST"
            or environ.get("PATH_INFO") != "/"
            or "HTTP_ORIGIN" in environ
        ):
            return self.flask_app(environ, start_response)  # type: ignore[no-any-return]
        return self._direct(environ, start_response)


class KeepAliveWSGIServer:
    """A single-threaded HTTP/1.1 server with keep-alive for one WSGI application.

    moto is pure Python and CPU-bound, so threads only add GIL contention; werkzeug's
    development server also closes every connection, making each request pay a TCP
    handshake and a new thread. Here one event loop serves requests in the order they
    arrive, on connections that clients (botocore) keep open.
    """

    def __init__(
        self,
        app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
        host: str,
        port: int,
        guard: Guard | None = None,
    ) -> None:
        """``guard(method, url, headers, body)``: None to serve a request, else the answer refusing it."""
        self.app = app
        self.host = host
        self.port = port
        self.guard = guard
        self._writers: set[asyncio.StreamWriter] = set()

    async def serve(self, ready: Callable[[int], None], *, exit_with_stdin: bool = False) -> None:
        """Serve until SIGTERM (or SIGINT, or the end of stdin if asked); ``ready(port)`` once listening.

        Under the emulator, SIGINT is ignored (Ctrl-C in a terminal reaches the whole
        process group, and the emulator still needs DynamoDB for `$disconnect`) and the
        end of stdin, which the emulator holds open, means the emulator is gone.
        """
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        if exit_with_stdin:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

            stdin = sys.stdin.fileno()

            def stdin_readable() -> None:
                if not os.read(stdin, 4096):
                    loop.remove_reader(stdin)
                    stop.set()

            loop.add_reader(stdin, stdin_readable)
        else:
            loop.add_signal_handler(signal.SIGINT, stop.set)
        server = await asyncio.start_server(
            self._connection, self.host, self.port, limit=MAX_HEAD, backlog=1024
        )
        ready(server.sockets[0].getsockname()[1])
        async with server:
            await stop.wait()
            for writer in list(self._writers):
                writer.close()
            await asyncio.sleep(0)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                    request = parse_head(head)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                    return
                try:
                    length = request.content_length
                except ValueError:
                    writer.write(response(400, keep_alive=False))
                    return
                try:
                    body = await reader.readexactly(length) if length else b""
                except asyncio.IncompleteReadError:
                    return
                writer.write(self._respond(request, body, peer))
                await writer.drain()
                if not request.keep_alive:
                    return
        except (ConnectionError, OSError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _respond(self, request: RequestHead, body: bytes, peer: tuple[Any, ...]) -> bytes:
        if self.guard is not None:
            url = f"http://{request.header('Host') or self.host}{request.target}"
            refusal = self.guard(request.method, url, request.headers, body)
            if refusal is not None:
                code, headers, payload = refusal
                return response(code, payload, headers, keep_alive=request.keep_alive)
        path, _, query = request.target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path),
            "QUERY_STRING": query,
            "SERVER_NAME": self.host,
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": request.version,
            "REMOTE_ADDR": str(peer[0]),
            "REMOTE_PORT": str(peer[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in request.headers:
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                key = "HTTP_" + key
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        try:
            status, headers, payload = call_wsgi(self.app, environ)
        except Exception:
            traceback.print_exc()
            status, headers, payload = (
                "500 Internal Server Error",
                [("Content-Type", "text/plain")],
                b"internal error",
            )
        code = int(status.split()[0])
        kept = [
            (k, v)
            for k, v in headers
            if k.lower() not in ("content-length", "connection", "transfer-encoding")
        ]
        return response(
            code, payload if request.method != "HEAD" else b"", kept, keep_alive=request.keep_alive
        )


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI app on `environ` and collect its (status, headers, body), closing its iterable."""
    captured: list[Any] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        captured[:] = [status, headers]
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = captured
    return status, headers, body


def _guard() -> Guard | None:
    """Under the emulator: accept only requests signed with credentials it issued (`emulator.iam`)."""
    from .iam import AUTHORITY_VARIABLE, Authority, load_checkers

    issued = os.environ.pop(AUTHORITY_VARIABLE, None)
    if issued is None:
        return None
    from .guards import dynamodb_refusal

    load_checkers(policies=True)
    authority = Authority.from_json(issued)
    return lambda method, url, headers, body: dynamodb_refusal(
        authority, method, url, headers, body
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--exit-with-stdin", action="store_true", help="stop when stdin closes; ignore SIGINT"
    )
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    moto_patches.apply()
    app = CapacityMiddleware(
        DomainDispatcherApplication(create_backend_app),
        DirectDynamoDB(create_backend_app("dynamodb")),
    )
    # moto's modules and models are a large, permanent heap: keep them out of the
    # garbage collector's full collections, which otherwise pause every request. Each
    # request also allocates thousands of short-lived containers (parsed requests, syntax
    # trees, items): with the default threshold (700) that is several young collections
    # per request and frequent older ones; a higher threshold makes them rare
    # (benchmarks.load, p99 at 500 games x 50 / x 75 moves/s: 176 / 298 ms -> 65 / 182 ms).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)

    def ready(port: int) -> None:
        # The port, then the line naming the moto patches, which the emulator logs.
        sys.stdout.write(f"{port}\n{moto_patches.summary()}\n")
        sys.stdout.flush()

    asyncio.run(
        KeepAliveWSGIServer(app, args.host, args.port, _guard()).serve(
            ready, exit_with_stdin=args.exit_with_stdin
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
