"""The emulator: one port serving a WebSocket API and its `@connections` management API.

Clients connect to ``ws://HOST:PORT/STAGE``; handlers manage connections at
``http://HOST:PORT/STAGE/@connections/{connectionId}``, the same shape as
``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/@connections/{id}``.

`Emulator` is the public face: it holds the configuration and puts the parts together
for a run. The parts: `emulator.gateway` (API Gateway's rules, without I/O),
`emulator.transport` (asyncio: sockets in and out), `emulator.lambdas` (the functions,
their credentials and environments), `emulator.dynamodb` (embedded or external
DynamoDB) and `emulator.listener` (accepting connections safely).

Per connection, events reach handlers one at a time and in the order they
happened (`$connect`, then each message, then `$disconnect` exactly once);
different connections are served concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from . import ids
from .authorizer import Authorizer
from .dynamodb import DynamoDB, DynamoDBService
from .gateway import AUTHORIZER, Gateway, Settings
from .http11 import MAX_HEAD
from .iam import AUTHORITY_VARIABLE, Authority, Principal, load_checkers
from .lambdas import Lambdas
from .listener import Listener, default_max_connections, is_loopback
from .metering import Meter, Metrics
from .routing import SelectionExpression
from .runtime import (
    Function,
    RouteTarget,
)
from .sigv4 import Credentials
from .threaded import ThreadedEmulator
from .throttling import StageThrottle
from .tls import create as run_certificates
from .tls import default_bundle
from .transport import Transport

logger = logging.getLogger("emulator")

Environment = Mapping[str, str] | Callable[["Emulator"], Mapping[str, str]]
"""Variables for handlers, or a function of the started emulator returning them
(for values known only once the port is bound, such as `Emulator.management_url`)."""

REQUEST_TIMEOUT = 5.0
"""Seconds a connection has to send a complete request head (and then any body it promised)."""


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
        self._provisioned = provisioned_concurrency
        self.integration_timeout = integration_timeout
        self.idle_timeout = idle_timeout
        self.max_connection_duration = max_connection_duration
        self.max_frame_size = max_frame_size
        self.max_message_size = max_message_size
        self.client_buffer_limit = client_buffer_limit
        self.close_timeout = close_timeout
        self.aws_endpoint = aws_endpoint
        self._throttling = throttling
        self._iam = Authority(account_id)
        self._credentials: Credentials | None = None
        self.request_timeout = request_timeout
        self._authorizer = authorizer
        functions = dict(self._functions)
        if authorizer is not None:
            handler = authorizer.handler
            functions[AUTHORIZER] = (
                handler if isinstance(handler, Function) else Function(handler, name="authorizer")
            )
        self.tls = tls
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None
        self._ca_bundle: Path | None = None
        self.max_connections = (
            default_max_connections() if max_connections is None else max_connections
        )

        self._meter = Meter()
        self._lambdas = Lambdas(
            functions,
            region=self.region,
            account_id=account_id,
            python_path=[os.getcwd()] if python_path is None else [str(p) for p in python_path],
            max_workers=max_workers_per_function,
            threads=threads,
            integration_timeout=integration_timeout,
            meter=self._meter,
        )
        self._gateway: Gateway | None = None
        self._transport: Transport | None = None
        self._server: Listener | None = None
        self._dynamodb: DynamoDBService | None = None
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
        return self._gateway.connection_ids if self._gateway is not None else []

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
        return self._lambdas.environment(route_key)

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
            transport = self._transport = Transport(
                invoke=self._lambdas.invoke,
                request_timeout=self.request_timeout,
                max_connections=self.max_connections,
            )
            self._server = Listener(
                transport.serve,
                transport.refuse,
                max_connections=self.max_connections,
                limit=MAX_HEAD,
                tls=context,
                first_byte_timeout=self.request_timeout,
            )
            self._port = await self._server.start(self.host, self._requested_port)
            transport.gateway = self._gateway = Gateway(
                self._settings(),
                meter=self._meter,
                iam=self._iam,
                throttling=self._throttling,
                buffered=transport.buffered,
            )
            if self._dynamodb_config is not None:
                self._dynamodb = DynamoDBService(
                    self._dynamodb_config,
                    host="127.0.0.1",
                    region=self.region,
                    credentials=self.credentials,
                    environment={AUTHORITY_VARIABLE: self._iam.to_json()},
                )
                await self._dynamodb.start()
            self._lambdas.start(self._base_environment(), self._local)
            if self._provisioned > 0:
                await self._lambdas.provision(self._provisioned)
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

    def _settings(self) -> Settings:
        authorizer = self._authorizer
        return Settings(
            stage=self.stage,
            expression=self._expression,
            route_keys=self._route_keys,
            two_way=self._two_way,
            region=self.region,
            account_id=self.account_id,
            api_id=self.api_id,
            authority=self._authority,
            port=self.port,
            idle_timeout=self.idle_timeout,
            max_connection_duration=self.max_connection_duration,
            max_frame_size=self.max_frame_size,
            max_message_size=self.max_message_size,
            client_buffer_limit=self.client_buffer_limit,
            close_timeout=self.close_timeout,
            identity_sources=authorizer.identity_sources if authorizer is not None else None,
        )

    def _issue_credentials(self) -> None:
        """This run's credentials: the emulator's own, and one set per function (see `credentials`)."""
        self._iam = Authority(self.account_id)
        self._credentials = self._iam.issue(
            Principal("emulator", f"arn:aws:iam::{self.account_id}:root")
        )
        self._lambdas.issue_credentials(self._iam)

    def caller_environment(self) -> dict[str, str]:
        """What a process needs to call this started emulator as it would call AWS: the run's
        own credentials (allowed everything), its region, boto3's endpoint variables for
        ``@connections`` and (with one) DynamoDB, and the CA bundle its TLS certificate
        needs. Handlers get the same, with their function's credentials instead."""
        env = dict(self.credentials.environment())
        env.update({"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region})
        # boto3's own variable: a management client created without endpoint_url comes here.
        env["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"] = self.management_url
        if self.dynamodb_endpoint_url is not None:
            env["AWS_ENDPOINT_URL_DYNAMODB"] = self.dynamodb_endpoint_url
        if self._ca_bundle is not None:
            # ...and one built as AWS's examples build it, https://{domainName}/{stage},
            # trusts this run's certificate.
            env["AWS_CA_BUNDLE"] = str(self._ca_bundle)
        return env

    def _base_environment(self) -> dict[str, str]:
        env = self.caller_environment()
        configured = self._environment(self) if callable(self._environment) else self._environment
        env.update(configured or {})
        return env

    def _local(self, value: str) -> str:
        """`value` with the API's AWS endpoint (see ``aws_endpoint``) replaced by this emulator's."""
        if self.aws_endpoint:
            host = self.aws_endpoint.removeprefix("https://")
            for scheme, local in (("https", "http"), ("wss", "ws")):
                if value.startswith(f"{scheme}://{host}"):
                    return f"{local}://{self._authority}" + value[len(f"{scheme}://{host}") :]
        return value

    async def stop(self) -> None:
        """Close every connection (running `$disconnect`), then stop workers and DynamoDB."""
        if self._stopping:
            return
        self._stopping = True
        try:
            # WebSocket connections first, while `@connections` still answers
            # the `$disconnect` handlers.
            transport = self._transport
            if transport is not None and transport.gateway is not None:
                await transport.close_websockets(self.close_timeout + self.integration_timeout + 1)
            if self._server is not None:
                self._server.close()
            if transport is not None:
                await transport.close_http(self.close_timeout)
        finally:
            try:
                try:
                    await self._lambdas.close()
                finally:
                    if self._dynamodb is not None:
                        await self._dynamodb.stop()
            finally:  # whatever failed above, the emulator is stopped
                if self._tls_dir is not None:
                    self._tls_dir.cleanup()
                    self._tls_dir = None
                    self._ca_bundle = None
                self._server = None
                self._gateway = self._transport = None
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
