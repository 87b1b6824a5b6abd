"""The emulator's asyncio layer: it moves bytes between sockets and the `Gateway`, runs
the handlers the gateway asks for, and wakes it when a deadline is due. It decides
nothing: every answer, frame, route and timeout is the gateway's (`emulator.gateway`).

One TCP connection carries HTTP requests (answered in turn, kept alive as boto3
expects) or one WebSocket.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .gateway import Abort, Action, CloseTransport, Gateway, Invoke, Opened, Write
from .http11 import RequestHead, parse_head, response
from .management import error
from .runtime import Invocation

logger = logging.getLogger("emulator")

Invoker = Callable[[str, str, dict[str, Any]], Awaitable[Invocation]]
"""Runs a route's function: ``invoke(route, connection_id, event)``."""


@dataclass
class _Link:
    """A WebSocket's TCP connection, and whether its handshake succeeded."""

    writer: asyncio.StreamWriter
    opened: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Transport:
    """Serves the connections a `Listener` accepts, for ``gateway`` (set once the port is
    bound, before the first connection). ``invoke`` runs handlers; ``request_timeout``:
    seconds a connection has to send a complete request head, and then its body;
    ``max_connections``: named in the 503 of a connection past the cap."""

    def __init__(self, *, invoke: Invoker, request_timeout: float, max_connections: int) -> None:
        self.gateway: Gateway | None = None
        self._invoke = invoke
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self._links: dict[str, _Link] = {}
        self._http_tasks: set[asyncio.Task[Any]] = set()
        self._websocket_tasks: set[asyncio.Task[Any]] = set()
        """WebSocket connections and handler calls: what stopping waits for."""
        self._http_writers: set[asyncio.StreamWriter] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._closed = False
        """Set once stopping gave up waiting: no handler may start after that."""

    def buffered(self, connection_id: str) -> int:
        """Bytes written to a WebSocket's client and not yet sent."""
        link = self._links.get(connection_id)
        transport = link.writer.transport if link is not None else None
        return transport.get_write_buffer_size() if transport is not None else 0

    # Running the gateway's actions.

    def run(self, actions: list[Action]) -> None:
        """Carry out ``actions`` in order, then re-arm the gateway's timer."""
        for action in actions:
            if isinstance(action, Invoke):
                if self._closed:
                    logger.info(
                        "route=%s connection=%s not invoked: the emulator has stopped",
                        action.route,
                        action.connection_id,
                    )
                    continue
                task = asyncio.get_running_loop().create_task(self._call(action))
                self._websocket_tasks.add(task)
                task.add_done_callback(self._websocket_tasks.discard)
                continue
            link = self._links.get(action.connection_id)
            if link is None:
                continue
            if isinstance(action, Write):
                link.writer.write(action.data)
            elif isinstance(action, Opened):
                if not link.opened.done():
                    link.opened.set_result(True)
            elif isinstance(action, CloseTransport):
                if not link.opened.done():
                    link.opened.set_result(False)
                if not link.writer.is_closing():
                    link.writer.close()
            elif isinstance(action, Abort):
                link.writer.transport.abort()
        self._rearm()

    async def _call(self, action: Invoke) -> None:
        try:
            invocation = await self._invoke(action.route, action.connection_id, action.event)
        except Exception as failure:  # the runner itself failed: the call failed, as on Lambda
            logger.exception("route=%s connection=%s", action.route, action.connection_id)
            error = {"errorType": type(failure).__name__, "errorMessage": str(failure)}
            invocation = Invocation(error=error)
        assert self.gateway is not None
        try:
            self.run(self.gateway.invocation_done(action.connection_id, invocation, time.time()))
        except Exception:  # pragma: no cover - a bug here must not stop the other connections
            logger.exception("emulator error on connection %s", action.connection_id)

    def _rearm(self) -> None:
        assert self.gateway is not None
        at = None if self._closed else self.gateway.next_deadline()
        if at == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = None
        if at is not None:
            delay = max(0.0, at - time.time())
            self._timer = asyncio.get_running_loop().call_later(delay, self._tick)

    def _tick(self) -> None:
        self._timer = self._timer_at = None
        assert self.gateway is not None
        self.run(self.gateway.tick(time.time()))

    # Serving TCP connections.

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one accepted connection until it closes."""
        task = asyncio.current_task()
        assert task is not None
        self._http_tasks.add(task)
        task.add_done_callback(self._http_tasks.discard)
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

    async def refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
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
        """Answer one request; whether the connection stays open for another."""
        gateway = self.gateway
        assert gateway is not None
        length = gateway.body_length(request)
        if not isinstance(length, int):
            status, headers, payload = length
            writer.write(response(status, payload, headers, keep_alive=False))
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
        (status, headers, payload), actions = gateway.http(request, body, time.time())
        self.run(actions)
        keep_alive = request.keep_alive and not gateway.stopping
        writer.write(response(status, payload, headers, keep_alive=keep_alive))
        try:
            await writer.drain()
        except (ConnectionError, OSError):
            return False
        return keep_alive

    async def _serve_websocket(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        head: bytes,
        request: RequestHead,
    ) -> None:
        gateway = self.gateway
        assert gateway is not None
        peername = writer.get_extra_info("peername")
        cid, actions = gateway.handshake(
            head,
            request,
            source_ip=str(peername[0]) if peername else "127.0.0.1",
            tls=writer.get_extra_info("ssl_object") is not None,
            now=time.time(),
        )
        link = self._links[cid] = _Link(writer)
        try:
            self.run(actions)
            if not await link.opened:
                return
            while gateway.receiving(cid):
                try:
                    data = await reader.read(65536)
                except (ConnectionError, OSError):
                    data = b""
                now = time.time()
                self.run(
                    gateway.receive_data(cid, data, now) if data else gateway.receive_eof(cid, now)
                )
        finally:
            self.run(gateway.transport_lost(cid, time.time()))
            del self._links[cid]
            if not writer.is_closing():
                writer.close()

    # Stopping.

    async def close_websockets(self, limit: float) -> None:
        """Close every WebSocket (1001) and wait up to ``limit`` seconds for their closing
        handshakes and handlers, `$disconnect` included; then cancel what is left."""
        assert self.gateway is not None
        self.run(self.gateway.close_all(time.time()))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            pending = [task for task in self._websocket_tasks if not task.done()]
            remaining = deadline - loop.time()
            if not pending:
                break
            if remaining <= 0:
                # Given up: no handler may start from here on (a cancelled connection's
                # clean-up would otherwise ask for its $disconnect while runners close).
                self._closed = True
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                break
            await asyncio.wait(pending, timeout=remaining)
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None

    async def close_http(self, limit: float) -> None:
        """Close every HTTP connection; wait up to ``limit`` seconds for answers in progress."""
        for writer in list(self._http_writers):
            writer.close()
        pending = [task for task in self._http_tasks if not task.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=limit)
            for task in late:
                task.cancel()
