"""Accepting TCP connections safely: a cap on open connections, and calm when file
descriptors run out.

asyncio's own accept loop, on EMFILE, logs a traceback for every pending connection
in the backlog and schedules one retry per traceback (about 250,000 lines in 20 s
once 300 connections had used up a process's descriptors). `Listener` accepts with
`loop.sock_accept` instead: when descriptors run out it waits a little and tries
again, logging at most one line a second; connections past ``max_connections`` are
handed to ``refuse`` (which answers and closes them) instead of ``serve``. With a
TLS context, a connection whose first byte starts a TLS handshake is served over TLS,
any other as plain text, on the same port.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable

logger = logging.getLogger("emulator")

TLS_HANDSHAKE = 0x16
"""The first byte of a TLS ClientHello record (no HTTP request starts with it)."""

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
RETRY_DELAY = 0.1
"""Seconds between accept attempts while the process is out of descriptors."""
MAX_REFUSING = 64
"""Connections past the cap being answered at once; beyond that they are closed unanswered."""
DEFAULT_MAX_CONNECTIONS = 2000
"""Open connections (WebSocket and HTTP) by default, or fewer if the process's file
descriptor limit is lower (`default_max_connections`)."""


def default_max_connections() -> int:
    """`DEFAULT_MAX_CONNECTIONS`, lowered to leave 128 of this process's file descriptors
    for workers, pipes and files (so the cap, not the descriptor limit, refuses)."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # pragma: no cover - no such limit here
        return DEFAULT_MAX_CONNECTIONS
    if soft == resource.RLIM_INFINITY:
        return DEFAULT_MAX_CONNECTIONS
    return max(1, min(DEFAULT_MAX_CONNECTIONS, soft - 128))


def is_loopback(address: str) -> bool:
    """Whether a bound address is reachable only from this machine."""
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


class Listener:
    """Serves each accepted connection with ``serve``, at most ``max_connections`` at
    once; the others go to ``refuse``. ``limit`` is the StreamReader buffer limit."""

    def __init__(
        self,
        serve: Serve,
        refuse: Serve,
        *,
        max_connections: int,
        limit: int,
        backlog: int = 2048,
        tls: ssl.SSLContext | None = None,
        first_byte_timeout: float = 5.0,
    ) -> None:
        self._serve = serve
        self._refuse = refuse
        self.max_connections = max_connections
        self._limit = limit
        self._backlog = backlog
        self._tls = tls
        self._first_byte_timeout = first_byte_timeout
        self._sockets: list[socket.socket] = []
        self._accepting: list[asyncio.Task[None]] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._open = 0
        self._refusing = 0
        self._last_warning = -float("inf")
        self.dropped = 0
        """Accept attempts that failed for lack of descriptors (each logged at most once a second)."""

    @property
    def open_connections(self) -> int:
        return self._open

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The (host, port) each listening socket is bound to."""
        return [sock.getsockname()[:2] for sock in self._sockets]

    async def start(self, host: str, port: int) -> int:
        """Bind every address of `host` on `port` (0: a free one) and accept; returns the port."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        try:
            for family, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                self._sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                if port == 0 and len(self._sockets) > 1:
                    address = (address[0], self._sockets[0].getsockname()[1], *address[2:])
                sock.bind(address)
                sock.listen(self._backlog)
                sock.setblocking(False)
        except OSError:
            self.close()
            raise
        for sock in self._sockets:
            self._accepting.append(asyncio.create_task(self._accept(sock)))
        return int(self._sockets[0].getsockname()[1])

    def close(self) -> None:
        """Stop accepting; connections already accepted carry on."""
        for task in self._accepting:
            task.cancel()
        self._accepting.clear()
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()

    async def _accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as error:
                if error.errno not in _OUT_OF_RESOURCES:
                    raise
                self.dropped += 1
                now = time.monotonic()
                if now - self._last_warning >= 1.0:
                    self._last_warning = now
                    logger.warning(
                        "cannot accept connections: %s (%d open; at most one such line a second)",
                        error.strerror,
                        self._open,
                    )
                await asyncio.sleep(RETRY_DELAY)
                continue
            conn.setblocking(False)
            task = loop.create_task(self._handle(conn))
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)

    async def _streams(
        self, conn: socket.socket
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Streams over `conn`: TLS if it starts with a TLS handshake (and TLS is on), else plain."""
        loop = asyncio.get_running_loop()
        if self._tls is None or await self._first_byte(conn) != TLS_HANDSHAKE:
            return await asyncio.open_connection(sock=conn, limit=self._limit)
        reader = asyncio.StreamReader(limit=self._limit, loop=loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
        transport, _ = await loop.connect_accepted_socket(
            lambda: protocol,
            sock=conn,
            ssl=self._tls,
            ssl_handshake_timeout=self._first_byte_timeout,
        )
        return reader, asyncio.StreamWriter(transport, protocol, reader, loop)

    async def _first_byte(self, conn: socket.socket) -> int | None:
        """The connection's first byte, left unread (None at end of stream); TimeoutError
        if nothing arrives within the timeout."""
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()

        def ready() -> None:
            if not readable.done():
                readable.set_result(None)

        loop.add_reader(conn.fileno(), ready)
        try:
            await asyncio.wait_for(readable, self._first_byte_timeout)
        finally:
            loop.remove_reader(conn.fileno())
        peeked = conn.recv(1, socket.MSG_PEEK)
        return peeked[0] if peeked else None

    async def _handle(self, conn: socket.socket) -> None:
        refusing = self._open >= self.max_connections
        if refusing and self._refusing >= MAX_REFUSING:
            conn.close()
            return
        try:
            reader, writer = await self._streams(conn)
        except (OSError, TimeoutError, ssl.SSLError):
            conn.close()
            return
        if refusing:
            self._refusing += 1
            try:
                await self._refuse(reader, writer)
            finally:
                self._refusing -= 1
                writer.close()
            return
        self._open += 1
        try:
            await self._serve(reader, writer)
        finally:
            self._open -= 1
