"""The emulator: one port serving a WebSocket API and its `@connections` management API.

Clients connect to ``ws://HOST:PORT/STAGE``; handlers manage connections at
``http://HOST:PORT/STAGE/@connections/{connectionId}``, the same shape as
``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/@connections/{id}``.

The event loop only moves bytes: the WebSocket protocol is websockets'
Sans-I/O `ServerProtocol`, driven by asyncio streams; handlers run in worker
processes or threads (`emulator.runtime`); nothing here blocks.

Per connection, events reach handlers one at a time and in the order they
happened (`$connect`, then each message, then `$disconnect` exactly once);
different connections are served concurrently.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import dataclasses
import email.utils
import http
import json
import logging
import math
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from websockets.datastructures import Headers
from websockets.frames import BINARY, CONT, TEXT, CloseCode, Frame
from websockets.http11 import Request
from websockets.http11 import Response as HandshakeResponse
from websockets.protocol import CLOSED

from . import authorizer as authorization
from . import events, ids, lambda_runtime, scoped_environ
from .authorizer import Authorizer
from .connection import (
    REASON_GOING_AWAY,
    Closed,
    Connection,
    Message,
    Protocol,
)
from .context import FunctionInfo
from .dynamodb import DynamoDB, DynamoDBService
from .guards import connections_refusal
from .http11 import MAX_HEAD, RequestHead, parse_head, response
from .iam import AUTHORITY_VARIABLE, Authority, Principal, assumed_role_arn, load_checkers
from .listener import Listener, default_max_connections, is_loopback
from .management import ManagementApi, error
from .metering import Meter, Metrics, install_dynamodb_hooks
from .routing import CONNECT, DISCONNECT, SelectionExpression, select_route
from .runtime import (
    Function,
    InProcess,
    Invocation,
    RouteTarget,
    Runner,
    WorkerPool,
    new_request_id,
)
from .sigv4 import Credentials
from .throttling import THROTTLED_MESSAGE, StageThrottle
from .tls import create as run_certificates
from .tls import default_bundle

logger = logging.getLogger("emulator")

Environment = Mapping[str, str] | Callable[["Emulator"], Mapping[str, str]]
"""Variables for handlers, or a function of the started emulator returning them
(for values known only once the port is bound, such as `Emulator.management_url`)."""

REQUEST_TIMEOUT = 5.0
"""Seconds a connection has to send a complete request head (and then any body it promised)."""


def _error_frame(message: str, connection_id: str, request_id: str) -> bytes:
    # API Gateway's own spacing, byte for byte.
    return f'{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"{request_id}"}}'.encode()


class Emulator:
    """A local API Gateway WebSocket API with Lambda proxy integrations.

    ``routes`` maps route keys (``$connect``, ``$disconnect``, ``$default`` and
    custom keys) to handlers: callables ``handler(event, context)`` (run
    in-process on threads), ``"module.function"`` strings (run in warm worker
    processes, like Lambda), or `Function` for a name, memory size, timeout or
    environment of its own.

    Routing: ``route_selection_expression`` (``$request.body.<path>``) picks a
    custom route for each message, else ``$default``. ``two_way_routes``: route
    keys whose handler's returned ``body`` is sent back to the caller.

    Authorization: ``authorizer`` (`emulator.Authorizer`), a Lambda REQUEST
    authorizer run before `$connect`, as API Gateway runs one.

    Handler runtime: ``environment`` (a mapping, or a function of the started
    emulator returning one), ``dynamodb`` (`DynamoDB`: embedded moto or another
    endpoint, exported as ``AWS_ENDPOINT_URL_DYNAMODB``), ``region``,
    ``account_id``, ``python_path`` (where workers import handlers from, like
    Lambda's task root; the current directory by default; this process's own
    ``sys.path`` entries outside the Python installation are added after it),
    ``max_workers_per_function`` (Lambda concurrency per function),
    ``provisioned_concurrency`` (workers started ahead of time per function),
    ``threads`` (pool for callables).

    Limits, AWS's by default: ``integration_timeout`` (29 s),
    ``idle_timeout`` (10 min), ``max_connection_duration`` (2 h),
    ``max_frame_size`` (32 KB), ``max_message_size`` (128 KB, also the limit of
    a ``@connections`` POST), ``client_buffer_limit`` (bytes waiting for a slow
    client before POST answers 429), ``close_timeout`` (seconds a client has
    to answer a close frame).

    ``throttling``: the stage's throttling (`emulator.throttling.StageThrottle`);
    a throttled message gets API Gateway's ``Too Many Requests`` error frame and
    invokes nothing, a throttled ``$connect`` a 429. None: no throttling.

    ``aws_endpoint``: the API's endpoint on AWS (``https://{api id}.execute-api.{region}.amazonaws.com``,
    as a deployed program writes it into its functions' variables): variable values
    starting with it, or with its ``wss://`` form, are pointed at this emulator.

    Safety (the emulator's own, not AWS's): ``request_timeout`` (5 s for a
    connection to send a complete request head, and then the body it promised;
    else it is closed), ``max_connections`` (open connections at once, 2,000 or
    fewer if the file descriptor limit is lower; past it a connection is
    answered 503). Binding a non-loopback ``host`` logs a warning of what is
    exposed.

    Use ``async with Emulator(...) as emu:`` (or `start`/`stop`), then connect
    to `url`; handlers post to `management_url`. `run` blocks for a CLI,
    `serve_in_thread` serves from a background thread.
    """

    def __init__(
        self,
        routes: Mapping[str, RouteTarget],
        *,
        route_selection_expression: str = "$request.body.action",
        two_way_routes: Iterable[str] = (),
        stage: str = "local",
        host: str = "127.0.0.1",
        port: int = 0,
        environment: Environment | None = None,
        dynamodb: DynamoDB | None = None,
        region: str | None = None,
        account_id: str = "123456789012",
        api_id: str | None = None,
        python_path: Iterable[str] | None = None,
        max_workers_per_function: int = 8,
        provisioned_concurrency: int = 0,
        threads: int = 16,
        integration_timeout: float = 29.0,
        idle_timeout: float = 600.0,
        max_connection_duration: float = 7200.0,
        max_frame_size: int = 32 * 1024,
        max_message_size: int = 128 * 1024,
        client_buffer_limit: int = 4 * 1024 * 1024,
        close_timeout: float = 10.0,
        aws_endpoint: str | None = None,
        throttling: StageThrottle | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
        max_connections: int | None = None,
        authorizer: Authorizer | None = None,
        tls: bool = True,
    ) -> None:
        if not stage or "/" in stage:
            raise ValueError(f"bad stage name {stage!r}")
        self._expression = SelectionExpression.parse(route_selection_expression)
        self._functions: dict[str, Function] = {}
        for key, target in routes.items():
            self._functions[key] = target if isinstance(target, Function) else Function(target)
        self._route_keys = frozenset(self._functions)
        self._message_routes = frozenset(
            k for k in self._route_keys if k not in (CONNECT, DISCONNECT)
        )
        self._two_way = frozenset(two_way_routes)
        unknown = self._two_way - self._route_keys
        if unknown:
            raise ValueError(f"two-way routes without a handler: {sorted(unknown)}")
        self.stage = stage
        self.host = host
        self._requested_port = port
        self._environment = environment
        self._dynamodb_config = dynamodb
        self.region = (
            region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or "us-east-1"
        )
        self.account_id = account_id
        self.api_id = api_id or ids.api_id()
        self._python_path = [os.getcwd()] if python_path is None else [str(p) for p in python_path]
        self._max_workers = max_workers_per_function
        self._provisioned = provisioned_concurrency
        self._threads = threads
        self.integration_timeout = integration_timeout
        self.idle_timeout = idle_timeout
        self.max_connection_duration = max_connection_duration
        self.max_frame_size = max_frame_size
        self.max_message_size = max_message_size
        self.client_buffer_limit = client_buffer_limit
        self.close_timeout = close_timeout
        self.aws_endpoint = aws_endpoint
        self._throttling = throttling
        self._runtime_dir: tempfile.TemporaryDirectory[str] | None = None
        self._iam = Authority(account_id)
        self._credentials: Credentials | None = None
        self._function_credentials: dict[str, Credentials] = {}
        self.request_timeout = request_timeout
        self._authorizer = authorizer
        self._authorizer_function: Function | None = None
        if authorizer is not None:
            handler = authorizer.handler
            self._authorizer_function = (
                handler if isinstance(handler, Function) else Function(handler, name="authorizer")
            )
        self.tls = tls
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None
        self._ca_bundle: Path | None = None
        self.max_connections = (
            default_max_connections() if max_connections is None else max_connections
        )

        self._meter = Meter()
        self._connections: dict[str, Connection] = {}
        self._management_api = ManagementApi(
            self._connections,
            max_message_size=max_message_size,
            client_buffer_limit=client_buffer_limit,
        )
        self._runners: dict[str, Runner] = {}
        self._server: Listener | None = None
        self._dynamodb: DynamoDBService | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._websocket_tasks: set[asyncio.Task[Any]] = set()
        self._http_writers: set[asyncio.StreamWriter] = set()
        self._saved_environ: dict[str, str | None] = {}
        self._shared_environment: dict[str, str] = {}
        self._stop_requested: asyncio.Event | None = None
        self._stopping = False
        self._port: int | None = None

    # Addresses, known once started.

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def _authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The WebSocket URL clients connect to: ``ws://HOST:PORT/STAGE``."""
        return f"ws://{self._authority}/{self.stage}"

    @property
    def management_url(self) -> str:
        """The ``@connections`` endpoint for handlers: ``http://HOST:PORT/STAGE``."""
        return f"http://{self._authority}/{self.stage}"

    @property
    def credentials(self) -> Credentials:
        """Credentials for callers in this process (tests, tools), issued when the emulator started.

        `@connections` and the embedded DynamoDB accept only requests signed with
        credentials this run issued: these (allowed everything), or a function's
        own (given to its workers; allowed what its ``role`` allows). In-process
        handlers get these through ``os.environ``.
        """
        if self._credentials is None:
            raise RuntimeError("the emulator is not started")
        return self._credentials

    @property
    def ca_bundle(self) -> Path | None:
        """The PEM bundle (this run's CA, then the usual ones) that trusts the emulator's
        TLS certificate, while started with ``tls``; handlers get it as AWS_CA_BUNDLE."""
        return self._ca_bundle

    @property
    def dynamodb_endpoint_url(self) -> str | None:
        """The DynamoDB endpoint handlers use, or None without DynamoDB."""
        return self._dynamodb.endpoint_url if self._dynamodb is not None else None

    @property
    def connection_ids(self) -> list[str]:
        """Ids of the connections open now."""
        return [cid for cid, conn in self._connections.items() if conn.open]

    @property
    def metrics(self) -> Metrics:
        """A snapshot of the counters (`emulator.metering.Metrics`)."""
        return self._meter.snapshot()

    @property
    def functions(self) -> Mapping[str, Function]:
        """Each route key's function (handler, name, memory, timeout), read-only."""
        return MappingProxyType(self._functions)

    @property
    def two_way_routes(self) -> frozenset[str]:
        """Route keys whose handler's returned ``body`` goes back to the caller."""
        return self._two_way

    @property
    def route_selection_expression(self) -> str:
        """The route selection expression, as given."""
        return self._expression.text

    def handler_environment(self, route_key: str) -> dict[str, str]:
        """The environment variables the handler of ``route_key`` runs with (once started)."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._function_environment(self._functions[route_key])

    def reset_metrics(self) -> None:
        """Zero every counter."""
        self._meter.reset()

    # Life cycle.

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind the port, start DynamoDB and (if asked) provisioned workers."""
        if self._server is not None:
            raise RuntimeError("the emulator is already started")
        self._stop_requested = asyncio.Event()
        self._stopping = False
        self._issue_credentials()
        try:
            await asyncio.to_thread(
                load_checkers, any(f.role is not None for f in self._functions.values())
            )
            context = None
            if self.tls:
                self._tls_dir = tempfile.TemporaryDirectory(prefix="emulator-tls-")
                certificates = run_certificates(
                    Path(self._tls_dir.name), self.host, trust_also=default_bundle()
                )
                context, self._ca_bundle = certificates.context, certificates.ca_bundle
            self._server = Listener(
                self._on_tcp,
                self._refuse,
                max_connections=self.max_connections,
                limit=MAX_HEAD,
                tls=context,
                first_byte_timeout=self.request_timeout,
            )
            self._port = await self._server.start(self.host, self._requested_port)
            if self._dynamodb_config is not None:
                self._dynamodb = DynamoDBService(
                    self._dynamodb_config,
                    host="127.0.0.1",
                    region=self.region,
                    credentials=self.credentials,
                    environment={AUTHORITY_VARIABLE: self._iam.to_json()},
                )
                await self._dynamodb.start()
            self._shared_environment = self._base_environment()
            if any(f.code_dir is not None for f in self._functions.values()):
                self._runtime_dir = tempfile.TemporaryDirectory(prefix="emulator-runtime-")
                lambda_runtime.build_runtime_dir(Path(self._runtime_dir.name))
            self._create_runners()
            if self._provisioned > 0:
                await asyncio.gather(
                    *(
                        runner.start_workers(self._provisioned)
                        for runner in self._runners.values()
                        if isinstance(runner, WorkerPool)
                    )
                )
        except BaseException:
            await self.stop()
            raise
        logger.info("emulator listening on %s (management %s)", self.url, self.management_url)
        exposed = [f"{h}:{p}" for h, p in self._server.addresses if not is_loopback(h)]
        if exposed:
            logger.warning(
                "emulator: listening on %s, not loopback: every host that can reach it can "
                "open WebSockets and run your handlers (@connections still needs this run's "
                "credentials)",
                ", ".join(exposed),
            )

    def _issue_credentials(self) -> None:
        """This run's credentials: the emulator's own, and one set per function (see `credentials`)."""
        self._iam = Authority(self.account_id)
        self._credentials = self._iam.issue(
            Principal("emulator", f"arn:aws:iam::{self.account_id}:root")
        )
        self._function_credentials = {}
        functions = list(self._functions.values())
        if self._authorizer_function is not None:
            functions.append(self._authorizer_function)
        for function in functions:
            name = function.function_name
            if name not in self._function_credentials:
                arn = (
                    assumed_role_arn(self.account_id, function.role, name)
                    if function.role is not None
                    else f"arn:aws:sts::{self.account_id}:assumed-role/{name}/{name}"
                )
                self._function_credentials[name] = self._iam.issue(
                    Principal(name, arn, function.role)
                )

    def _base_environment(self) -> dict[str, str]:
        env: dict[str, str] = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        env.update(self.credentials.environment())
        if self.dynamodb_endpoint_url is not None:
            env["AWS_ENDPOINT_URL_DYNAMODB"] = self.dynamodb_endpoint_url
        # boto3's own variable: a management client created without endpoint_url comes here.
        env["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"] = self.management_url
        if self._ca_bundle is not None:
            # ...and one built as AWS's examples build it, https://{domainName}/{stage},
            # trusts this run's certificate.
            env["AWS_CA_BUNDLE"] = str(self._ca_bundle)
        configured = self._environment(self) if callable(self._environment) else self._environment
        env.update(configured or {})
        return env

    def _function_environment(self, function: Function) -> dict[str, str]:
        env: dict[str, str] = {}
        if function.code_dir is not None:
            assert self._runtime_dir is not None
            env = lambda_runtime.lambda_environment(
                code_dir=function.code_dir, runtime_dir=self._runtime_dir.name
            )
        env.update(self._shared_environment)
        env.update(self._function_credentials[function.function_name].environment())
        env.update({name: self._local(value) for name, value in function.environment.items()})
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
                "LAMBDA_TASK_ROOT": function.code_dir or os.getcwd(),
                "_HANDLER": str(function.handler),
            }
        )
        return env

    def _local(self, value: str) -> str:
        """`value` with the API's AWS endpoint (see ``aws_endpoint``) replaced by this emulator's."""
        if self.aws_endpoint:
            host = self.aws_endpoint.removeprefix("https://")
            for scheme, local in (("https", "http"), ("wss", "ws")):
                if value.startswith(f"{scheme}://{host}"):
                    return f"{local}://{self._authority}" + value[len(f"{scheme}://{host}") :]
        return value

    def _info(self, function: Function) -> Callable[[], FunctionInfo]:
        def info() -> FunctionInfo:
            stream = time.strftime("%Y/%m/%d", time.gmtime()) + "/[$LATEST]" + os.urandom(16).hex()
            return FunctionInfo(
                function_name=function.function_name,
                memory_limit_in_mb=function.memory_mb,
                region=self.region,
                account_id=self.account_id,
                log_stream_name=stream,
            )

        return info

    def _worker_python_path(self) -> list[str]:
        prefixes = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
        paths = list(self._python_path)
        paths += [p for p in sys.path if p and not p.startswith(prefixes)]
        return list(dict.fromkeys(os.path.abspath(p) for p in paths))

    def _create_runners(self) -> None:
        shared: dict[tuple[object, str], Runner] = {}
        in_process: list[Function] = []
        python_path = self._worker_python_path()
        functions = dict(self._functions)
        if self._authorizer_function is not None:
            functions[AUTHORIZER] = self._authorizer_function
        for key, function in functions.items():
            identity = (
                function.handler if isinstance(function.handler, str) else id(function.handler),
                function.function_name,
            )
            runner = shared.get(identity)
            if runner is None:
                if isinstance(function.handler, str):
                    env = self._function_environment(function)
                    runner = WorkerPool(
                        function,
                        environment=lambda env=env: env,  # type: ignore[misc]
                        info=self._info(function),
                        max_workers=self._max_workers,
                        python_path=python_path
                        if function.code_dir is None
                        else [function.code_dir, env["LAMBDA_RUNTIME_DIR"]],
                    )
                else:
                    if self._executor is None:
                        self._executor = concurrent.futures.ThreadPoolExecutor(
                            max_workers=self._threads, thread_name_prefix="emulator-handler"
                        )
                    scoped = scoped_environ.install()
                    runner = InProcess(
                        function,
                        info=self._info(function),
                        executor=self._executor,
                        environment=self._function_environment(function) if scoped else None,
                    )
                    if not scoped:
                        in_process.append(function)
                    install_dynamodb_hooks()
                shared[identity] = runner
            self._runners[key] = runner
        if in_process:
            # No scoped environment (EMULATOR_SHARED_ENVIRON=1, or another os.environ):
            # callables find their variables in the process's environment.
            env = dict(self._shared_environment)
            for function in in_process:
                env.update(function.environment)
            for name, value in env.items():
                self._saved_environ.setdefault(name, os.environ.get(name))
                os.environ[name] = value

    async def stop(self) -> None:
        """Close every connection (running `$disconnect`), then stop workers and DynamoDB."""
        if self._stopping:
            return
        self._stopping = True
        try:
            # WebSocket connections first, while `@connections` still answers
            # the `$disconnect` handlers.
            for conn in list(self._connections.values()):
                conn.close(CloseCode.GOING_AWAY, REASON_GOING_AWAY)
            pending = [task for task in self._websocket_tasks if not task.done()]
            if pending:
                limit = self.close_timeout + self.integration_timeout + 1
                _, late = await asyncio.wait(pending, timeout=limit)
                for task in late:
                    task.cancel()
            if self._server is not None:
                self._server.close()
            for writer in list(self._http_writers):
                writer.close()
            pending = [task for task in self._tasks if not task.done()]
            if pending:
                _, late = await asyncio.wait(pending, timeout=self.close_timeout)
                for task in late:
                    task.cancel()
            for runner in set(self._runners.values()):
                await runner.close()
            if self._dynamodb is not None:
                await self._dynamodb.stop()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            for name, value in self._saved_environ.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            self._saved_environ.clear()
            self._runners.clear()
            if self._runtime_dir is not None:
                self._runtime_dir.cleanup()
                self._runtime_dir = None
            if self._tls_dir is not None:
                self._tls_dir.cleanup()
                self._tls_dir = None
                self._ca_bundle = None
            self._server = None
            if self._stop_requested is not None:
                self._stop_requested.set()

    def request_stop(self) -> None:
        """Ask `serve_forever` to return (call from the event loop's thread)."""
        if self._stop_requested is not None:
            self._stop_requested.set()

    async def serve_forever(self, ready: Callable[[Emulator], None] | None = None) -> None:
        """Start, call ``ready(self)`` once the URL is known, serve until `request_stop` or cancellation, stop."""
        if self._server is None:
            await self.start()
        assert self._stop_requested is not None
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, self.request_stop)
                    installed.append(sig)
                except (NotImplementedError, RuntimeError):  # pragma: no cover - platform
                    pass
        try:
            if ready is not None:
                ready(self)
            await self._stop_requested.wait()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            await self.stop()

    def run(self, ready: Callable[[Emulator], None] | None = None) -> None:
        """Serve until SIGINT or SIGTERM, blocking: the entry point for command-line tools."""
        asyncio.run(self.serve_forever(ready))

    def serve_in_thread(self) -> ThreadedEmulator:
        """Start serving from a daemon thread with its own event loop; returns once the URL is known."""
        threaded = ThreadedEmulator(self)
        threaded.start()
        return threaded

    # Connections: one TCP connection carries HTTP requests or one WebSocket.

    async def _on_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._http_writers.add(writer)
        try:
            while True:
                try:
                    head = await asyncio.wait_for(
                        reader.readuntil(b"\r\n\r\n"), self.request_timeout
                    )
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError):
                    return  # no complete request head in time: closed without an answer
                except asyncio.LimitOverrunError:
                    writer.write(response(431, keep_alive=False))
                    return
                try:
                    request = parse_head(head)
                except ValueError:
                    writer.write(response(400, keep_alive=False))
                    return
                if request.is_websocket_upgrade:
                    self._http_writers.discard(writer)
                    self._websocket_tasks.add(task)
                    task.add_done_callback(self._websocket_tasks.discard)
                    await self._serve_websocket(reader, writer, head, request)
                    return
                if not await self._serve_http(reader, writer, request):
                    return
        finally:
            self._http_writers.discard(writer)
            if not writer.is_closing():
                writer.close()

    async def _refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer a connection past ``max_connections`` with 503 once its head has arrived."""
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.request_timeout)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            return
        message = (
            f"Too many connections: this emulator serves at most {self.max_connections} "
            "at once (max_connections)"
        )
        status, headers, payload = error(503, "ServiceUnavailableException", message)
        writer.write(response(status, payload, headers, keep_alive=False))
        try:
            await writer.drain()
        except OSError:
            pass

    async def _serve_http(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: RequestHead
    ) -> bool:
        if request.header("Transfer-Encoding") is not None:
            writer.write(response(411, keep_alive=False))
            return False
        try:
            length = request.content_length
        except ValueError as malformed:
            status, headers, payload = error(400, "BadRequestException", str(malformed))
            writer.write(response(status, payload, headers, keep_alive=False))
            return False
        if length > 16 * self.max_message_size:
            status, headers, body = error(413, "PayloadTooLargeException", "Message too long")
            writer.write(response(status, body, headers, keep_alive=False))
            return False
        try:
            body = (
                await asyncio.wait_for(reader.readexactly(length), self.request_timeout)
                if length
                else b""
            )
        except TimeoutError:
            status, headers, payload = error(408, "RequestTimeoutException", "Request timeout")
            writer.write(response(status, payload, headers, keep_alive=False))
            return False
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            return False
        status, headers, payload = self._http(request, body)
        keep_alive = request.keep_alive and not self._stopping
        writer.write(response(status, payload, headers, keep_alive=keep_alive))
        try:
            await writer.drain()
        except (ConnectionError, OSError):
            return False
        return keep_alive

    def _http(self, request: RequestHead, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        stage_path = f"/{self.stage}"
        prefix = f"{stage_path}/@connections/"
        path = request.path  # percent-decoded: "%40connections" is "@connections"
        if path.startswith(prefix):
            connection_id = path[len(prefix) :]
            refusal = connections_refusal(
                self._iam,
                request.method,
                f"http://{request.header('Host') or self._authority}{request.target}",
                request.headers,
                body,
                region=self.region,
                api_id=self.api_id,
                stage=self.stage,
                connection_id=connection_id,
            )
            if refusal is not None:
                status, headers, payload = error(403, *refusal)
            else:
                status, headers, payload = self._management_api.handle(
                    request.method, connection_id, body
                )
            self._meter.live.connections_api[(request.method, status)] += 1
            return status, headers, payload
        if path == stage_path or path.startswith(stage_path + "/"):
            return (
                426,
                [("Content-Type", "text/plain"), ("Upgrade", "websocket")],
                b"Upgrade Required",
            )
        return error(403, "ForbiddenException", "Forbidden")

    async def _serve_websocket(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        head: bytes,
        request: RequestHead,
    ) -> None:
        protocol = Protocol(max_size=(self.max_message_size, self.max_frame_size), logger=_quiet)
        protocol.receive_data(head)
        handshake = protocol.events_received()
        if not handshake or not isinstance(handshake[0], Request):
            writer.write(response(400, keep_alive=False))
            return
        if request.path not in (f"/{self.stage}", f"/{self.stage}/") or self._stopping:
            _send_handshake(protocol, writer, _rejection(403, b'{"message":"Forbidden"}'))
            return
        answer = protocol.accept(handshake[0])
        if answer.status_code != 101:
            _send_handshake(protocol, writer, answer)
            return

        now = time.time()
        proto = "https" if writer.get_extra_info("ssl_object") is not None else "http"
        peername = writer.get_extra_info("peername")
        peer = events.Peer(
            connection_id=ids.connection_id(),
            connected_at=now,
            source_ip=str(peername[0]) if peername else "127.0.0.1",
            user_agent=request.header("User-Agent"),
        )
        api = events.Api(self.api_id, self.stage, request.header("Host") or self._authority)
        if self._authorizer is not None:
            decision = await self._authorize(request, api, peer, now, proto)
            if decision.authorizer is None:
                body = json.dumps({"message": _AUTHORIZER_MESSAGES[decision.status]}).encode()
                _send_handshake(protocol, writer, _rejection(decision.status, body))
                return
            peer = dataclasses.replace(peer, authorizer=decision.authorizer)
        conn = Connection(
            api,
            peer,
            protocol,
            writer,
            close_timeout=self.close_timeout,
            on_sent=self._meter.message_sent,
        )

        if CONNECT in self._route_keys and self._throttled(CONNECT):
            _send_handshake(protocol, writer, _rejection(429, _THROTTLED_BODY))
            return
        if CONNECT in self._route_keys:
            request_id = ids.request_id()
            headers = events.connect_headers(
                request.headers, source_ip=peer.source_ip, port=self.port, proto=proto, now=now
            )
            event = events.connect_event(
                api, peer, headers=headers, query=request.query, now=now, request_id=request_id
            )
            invocation = await self._invoke(CONNECT, peer.connection_id, event)
            status, subprotocol = _connect_outcome(invocation)
            if not 200 <= status < 300:
                body = b'{"message": "Internal server error"}' if status == 502 else b""
                _send_handshake(protocol, writer, _rejection(status, body))
                return
            if subprotocol:
                answer.headers["Sec-WebSocket-Protocol"] = subprotocol
        if self._stopping:
            _send_handshake(protocol, writer, _rejection(410, b'{"message":"Gone"}'))
            return

        protocol.send_response(answer)
        conn.flush()
        self._connections[conn.id] = conn
        self._meter.connection_opened(conn.id)
        self._schedule_timeout(conn)
        conn.dispatcher = asyncio.create_task(self._dispatch(conn))
        self._websocket_tasks.add(conn.dispatcher)
        conn.dispatcher.add_done_callback(self._websocket_tasks.discard)
        try:
            while True:
                try:
                    data = await reader.read(65536)
                except (ConnectionError, OSError):
                    data = b""
                if data:
                    protocol.receive_data(data)
                else:
                    protocol.receive_eof()
                for frame in protocol.events_received():
                    if isinstance(frame, Frame):
                        self._on_frame(conn, frame)
                conn.flush()
                if not data or protocol.state is CLOSED:
                    break
        finally:
            self._finalize(conn)

    async def _authorize(
        self, request: RequestHead, api: events.Api, peer: events.Peer, now: float, proto: str
    ) -> authorization.Decision:
        """Run the `$connect` authorizer (unless an identity source is missing: 401)."""
        assert self._authorizer is not None
        query, multi_query = events.query_maps(request.query)
        missing = authorization.missing_identity(
            self._authorizer.identity_sources, request.headers, query
        )
        if missing is not None:
            logger.info("authorizer: %s is missing or empty: 401", missing)
            return authorization.Decision(401, reason=f"{missing} is missing")
        headers, multi_headers = events.header_maps(
            events.connect_headers(
                request.headers,
                source_ip=peer.source_ip,
                port=self.port,
                proto=proto,
                now=now,
                hop_by_hop=True,
            )
        )
        arn = authorization.method_arn(self.region, self.account_id, self.api_id, self.stage)
        event = authorization.authorizer_event(
            method_arn=arn,
            headers=headers,
            multi_headers=multi_headers,
            query=query,
            multi_query=multi_query,
            request_context=events.authorizer_request_context(
                api, peer, now=now, request_id=ids.request_id()
            ),
        )
        invocation = await self._invoke(AUTHORIZER, peer.connection_id, event)
        decision = authorization.decide(invocation.result, invocation.error, arn)
        if decision.authorizer is None:
            logger.info("authorizer: %s: %d", decision.reason, decision.status)
        return decision

    def _on_frame(self, conn: Connection, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is TEXT or opcode is BINARY:
            if frame.fin:
                self._on_message(conn, opcode, bytes(frame.data))
            else:
                conn.fragments = [bytes(frame.data)]
                conn.fragment_opcode = opcode
        elif opcode is CONT:
            conn.fragments.append(bytes(frame.data))
            if frame.fin:
                data = b"".join(conn.fragments)
                conn.fragments = []
                self._on_message(conn, conn.fragment_opcode, data)

    def _on_message(self, conn: Connection, opcode: object, data: bytes) -> None:
        # Messages that arrived before the client's close frame still count (they
        # can share one read with it); those after our own close frame do not.
        if conn.server_close is not None or conn.protocol.failure is not None:
            return
        payload: str | bytes = data
        if opcode is TEXT:
            try:
                payload = data.decode("utf-8")
            except UnicodeDecodeError:
                conn.protocol.fail(CloseCode.INVALID_DATA, "Invalid UTF-8 in text frame")
                conn.flush()
                return
        conn.touch()
        self._meter.live.messages_in += 1
        conn.queue.put_nowait(Message(payload, time.time()))

    def _schedule_timeout(self, conn: Connection) -> None:
        deadline = min(
            conn.last_active + self.idle_timeout, conn.opened_at + self.max_connection_duration
        )
        conn.timer = conn.loop.call_at(deadline, self._check_timeout, conn)

    def _check_timeout(self, conn: Connection) -> None:
        now = conn.loop.time()
        expired = (
            now >= conn.opened_at + self.max_connection_duration
            or now >= conn.last_active + self.idle_timeout
        )
        if expired:
            conn.close(CloseCode.GOING_AWAY, REASON_GOING_AWAY)
        elif conn.open:
            self._schedule_timeout(conn)

    def _finalize(self, conn: Connection) -> None:
        if conn.finalized:
            return
        conn.finalized = True
        self._connections.pop(conn.id, None)
        for timer in (conn.timer, conn.close_timer):
            if timer is not None:
                timer.cancel()
        code, reason = conn.disconnect_status()
        self._meter.connection_closed(conn.id)
        conn.queue.put_nowait(Closed(code, reason, time.time()))
        if not conn.writer.is_closing():
            conn.writer.close()

    # Invoking handlers, one event at a time per connection.

    async def _dispatch(self, conn: Connection) -> None:
        while True:
            item = await conn.queue.get()
            try:
                if isinstance(item, Closed):
                    await self._on_disconnect(conn, item)
                    return
                await self._on_client_message(conn, item)
            except Exception:  # pragma: no cover - a bug here must not stop the connection's queue
                logger.exception("emulator error on connection %s", conn.id)

    async def _on_client_message(self, conn: Connection, message: Message) -> None:
        api = conn.api
        request_id = ids.request_id()
        text = message.data if isinstance(message.data, str) else None
        route = select_route(self._expression, text, self._message_routes)
        if route is None:
            if conn.open:
                conn.send(_error_frame("Forbidden", conn.id, request_id))
            return
        if self._throttled(route):
            if conn.open:
                conn.send(_error_frame(THROTTLED_MESSAGE, conn.id, request_id))
            return
        event = events.message_event(
            api,
            conn.peer,
            route_key=route,
            data=message.data,
            now=message.received_at,
            request_id=request_id,
        )
        invocation = await self._invoke(route, conn.id, event)
        reply = _message_outcome(invocation, two_way=route in self._two_way)
        if not conn.open:
            return
        if reply is _INTERNAL_ERROR:
            conn.send(_error_frame("Internal server error", conn.id, request_id))
        elif isinstance(reply, bytes):
            conn.send(reply)

    def _throttled(self, route: str) -> bool:
        return self._throttling is not None and not self._throttling.allow(route)

    async def _on_disconnect(self, conn: Connection, closed: Closed) -> None:
        if DISCONNECT not in self._route_keys:
            return
        api = conn.api
        event = events.disconnect_event(
            api,
            conn.peer,
            status_code=closed.status_code,
            reason=closed.reason,
            now=closed.closed_at,
            request_id=ids.request_id(),
        )
        await self._invoke(DISCONNECT, conn.id, event)

    async def _invoke(self, route: str, connection_id: str, event: dict[str, Any]) -> Invocation:
        runner = self._runners[route]
        function = runner.function
        timeout = min(function.timeout or math.inf, self.integration_timeout)
        request_id = new_request_id()
        invocation = await runner.invoke(event, request_id, timeout)
        live = self._meter.live
        live.record_invocation(
            route,
            handler_ms=invocation.handler_ms,
            memory_mb=function.memory_mb,
            failed=invocation.error is not None,
        )
        if invocation.dynamodb:
            live.record_dynamodb(invocation.dynamodb)
        if invocation.error is not None:
            status = (
                "timeout" if invocation.timed_out else f"error {invocation.error.get('errorType')}"
            )
        elif isinstance(invocation.result, dict) and "statusCode" in invocation.result:
            status = str(invocation.result["statusCode"])
        else:
            status = "-" if invocation.result is not None else "None"
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "route=%s connection=%s function=%s request=%s duration=%.1fms handler=%.1fms status=%s",
                route,
                connection_id,
                function.function_name,
                request_id,
                invocation.duration_ms,
                invocation.handler_ms,
                status,
            )
        return invocation


_INTERNAL_ERROR = object()
_THROTTLED_BODY = json.dumps({"message": THROTTLED_MESSAGE}).encode()
AUTHORIZER = "$connect authorizer"
"""The runner key (and metrics route) of the `$connect` authorizer: no route can have it."""
_AUTHORIZER_MESSAGES = {401: "Unauthorized", 403: "Forbidden", 500: "Internal server error"}
_quiet = logging.getLogger("emulator.websockets")
_quiet.propagate = False
_quiet.addHandler(logging.NullHandler())


def _connect_outcome(invocation: Invocation) -> tuple[int, str | None]:
    """The handshake status a `$connect` result asks for, and the subprotocol to echo."""
    result = invocation.result
    if invocation.error is not None or not isinstance(result, dict):
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


def _message_outcome(invocation: Invocation, *, two_way: bool) -> object:
    """What a message route sends back: the reply bytes, the error marker, or None."""
    result = invocation.result
    if invocation.error is not None or result is None:
        return _INTERNAL_ERROR
    if not two_way:
        return None
    if not isinstance(result, dict):
        return _INTERNAL_ERROR
    body = result.get("body")
    if body is None:
        return None
    if not isinstance(body, str):
        return _INTERNAL_ERROR
    if result.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return _INTERNAL_ERROR
    return body.encode("utf-8")


def _rejection(status: int, body: bytes) -> HandshakeResponse:
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
    return HandshakeResponse(status, phrase, headers, body)


def _send_handshake(
    protocol: Protocol, writer: asyncio.StreamWriter, answer: HandshakeResponse
) -> None:
    protocol.send_response(answer)
    for data in protocol.data_to_send():
        if data:
            writer.write(data)
    writer.close()


class ThreadedEmulator:
    """An emulator serving from a daemon thread: ``url``, ``management_url``,
    ``connection_ids``, ``metrics``, ``stop()``. Test code may block freely (boto3 calls,
    sleeps): the emulator's event loop runs on its own thread."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._main, name="emulator", daemon=True)

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            await self.emulator.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self.emulator.serve_forever()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    @property
    def url(self) -> str:
        return self.emulator.url

    @property
    def management_url(self) -> str:
        return self.emulator.management_url

    @property
    def credentials(self) -> Credentials:
        """See `Emulator.credentials`."""
        return self.emulator.credentials

    @property
    def connection_ids(self) -> list[str]:
        """Ids of the connections open now (read on the emulator's thread)."""
        assert self._loop is not None

        async def ids() -> list[str]:
            return self.emulator.connection_ids

        return asyncio.run_coroutine_threadsafe(ids(), self._loop).result()

    @property
    def metrics(self) -> Metrics:
        assert self._loop is not None

        async def snapshot() -> Metrics:
            return self.emulator.metrics

        return asyncio.run_coroutine_threadsafe(snapshot(), self._loop).result()

    def stop(self) -> None:
        """Stop serving (closing connections and workers) and wait for the thread."""
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.emulator.request_stop)
        self._thread.join()

    def __enter__(self) -> ThreadedEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
