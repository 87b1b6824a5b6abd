"""API Gateway's WebSocket API as a state machine without I/O: the emulator's core.

Inputs are what happened, and when (wall-clock seconds, ``time.time()``):

- `Gateway.http`: an HTTP request to the port (``@connections``, or a stray GET);
- `Gateway.handshake`: a WebSocket opening handshake;
- `Gateway.receive_data`, `Gateway.receive_eof`: bytes from a client, or its end of stream;
- `Gateway.invocation_done`: a handler's result, for an `Invoke` the core asked for;
- `Gateway.tick`: the clock, due at `Gateway.next_deadline`;
- `Gateway.close_all`: the emulator is stopping.

Each returns the actions to carry out, in order: `Write` bytes to a client,
`CloseTransport`, `Abort`, `Invoke` a route's handler with an event, or tell that a
connection is `Opened` (start reading it). Nothing here blocks, sleeps, reads a
clock or touches a socket: `emulator.transport` moves the bytes and runs the
handlers, so every rule below can be tested by feeding it bytes and times.

Per connection, events reach handlers one at a time and in the order they
happened: the authorizer, `$connect`, each message, then `$disconnect` exactly
once. The core asks for the next `Invoke` of a connection only once the last one
is done; different connections are independent.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.frames import BINARY, CONT, TEXT, CloseCode, Frame, Opcode
from websockets.http11 import Request
from websockets.http11 import Response as HandshakeResponse
from websockets.protocol import CLOSED

from . import authorizer as authorization
from . import events, ids, replies
from .connection import EOF, REASON_GOING_AWAY, REASON_NORMAL, Closed, Connection, Message, Protocol
from .guards import connections_refusal
from .http11 import RequestHead, response
from .iam import Authority
from .management import Answer, ManagementApi, error
from .metering import Meter
from .routing import CONNECT, DISCONNECT, SelectionExpression, select_route
from .runtime import Invocation
from .throttling import THROTTLED_MESSAGE, StageThrottle

logger = logging.getLogger("emulator")

AUTHORIZER = "$connect authorizer"
"""The `Invoke.route` (and metrics route) of the `$connect` authorizer: no route can have it."""

MAX_BODY_FACTOR = 16
"""An HTTP body longer than this many times ``max_message_size`` is refused unread (413)."""


@dataclass(frozen=True)
class Write:
    """Write ``data`` to the connection's client."""

    connection_id: str
    data: bytes


@dataclass(frozen=True)
class CloseTransport:
    """Close the TCP connection once what was written has gone out."""

    connection_id: str


@dataclass(frozen=True)
class Abort:
    """Drop the TCP connection at once (the client did not answer our close frame in time)."""

    connection_id: str


@dataclass(frozen=True)
class Invoke:
    """Run ``route``'s function (or the authorizer's, `AUTHORIZER`) with ``event``; hand the
    result to `Gateway.invocation_done`."""

    connection_id: str
    route: str
    event: dict[str, Any]


@dataclass(frozen=True)
class Opened:
    """The handshake succeeded: start reading the client's frames."""

    connection_id: str


Action = Write | CloseTransport | Abort | Invoke | Opened


@dataclass(frozen=True)
class Settings:
    """What a `Gateway` needs to know of its API: see `emulator.Emulator` for each."""

    stage: str
    expression: SelectionExpression
    route_keys: frozenset[str]
    two_way: frozenset[str]
    region: str
    account_id: str
    api_id: str
    authority: str
    """``HOST:PORT`` of the bound port: the domain name when a client sends no Host."""
    port: int
    idle_timeout: float
    max_connection_duration: float
    max_frame_size: int
    max_message_size: int
    client_buffer_limit: int
    close_timeout: float
    identity_sources: Sequence[str] | None = None
    """The `$connect` authorizer's identity sources; None without an authorizer."""

    @property
    def message_routes(self) -> frozenset[str]:
        return frozenset(k for k in self.route_keys if k not in (CONNECT, DISCONNECT))


@dataclass
class _Handshake:
    """A WebSocket handshake waiting for the authorizer or `$connect`."""

    protocol: Protocol
    request: RequestHead
    answer: HandshakeResponse
    api: events.Api
    peer: events.Peer
    proto: str
    started_at: float
    waiting_for: str = ""
    """`AUTHORIZER` or `CONNECT`: whose result the handshake waits for."""
    method_arn: str = ""


@dataclass
class _InFlight:
    route: str
    request_id: str


@dataclass(order=True)
class _Deadline:
    when: float
    order: int
    kind: str = field(compare=False)
    connection_id: str = field(compare=False)


_quiet = logging.getLogger("emulator.websockets")
_quiet.propagate = False
_quiet.addHandler(logging.NullHandler())


class Gateway:
    """One stage of a WebSocket API: its connections, routes, limits and `@connections`.

    ``meter`` counts what AWS would bill; ``iam`` checks `@connections` signatures;
    ``throttling`` (None: none) decides which requests go through; ``buffered(id)``
    tells the bytes written to a client and not yet sent (a POST answers 429 past
    ``client_buffer_limit``).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        meter: Meter,
        iam: Authority,
        throttling: StageThrottle | None = None,
        buffered: Callable[[str], int] = lambda connection_id: 0,
    ) -> None:
        self.settings = settings
        self._message_routes = settings.message_routes
        self._meter = meter
        self._iam = iam
        self._throttling = throttling
        self._handshakes: dict[str, _Handshake] = {}
        self._connections: dict[str, Connection] = {}
        """Accepted and not yet closed: what `@connections` and the timers see."""
        self._active: dict[str, Connection] = {}
        """Accepted, until `$disconnect` (if any) has run."""
        self._in_flight: dict[str, _InFlight] = {}
        self._deadlines: list[_Deadline] = []
        self._order = itertools.count()
        self._outbox: list[Action] = []
        self._now = 0.0
        self.stopping = False
        self.management = ManagementApi(
            self._connections,
            send=lambda conn, body: self._send(conn, body),
            disconnect=lambda conn: self._close(
                conn, CloseCode.NORMAL_CLOSURE, "", disconnect_reason=REASON_NORMAL
            ),
            buffered=buffered,
            max_message_size=settings.max_message_size,
            client_buffer_limit=settings.client_buffer_limit,
        )

    # What callers may ask.

    @property
    def connection_ids(self) -> list[str]:
        """Ids of the connections open now."""
        return [cid for cid, conn in self._connections.items() if conn.open]

    def receiving(self, connection_id: str) -> bool:
        """Whether the client's bytes are still wanted (the connection is open or closing)."""
        return connection_id in self._connections

    @property
    def busy(self) -> bool:
        """Whether any handshake, connection or handler call is still under way."""
        return bool(self._handshakes or self._active)

    def next_deadline(self) -> float | None:
        """When `tick` has something to do next (None: nothing, until another input)."""
        while self._deadlines and self._deadlines[0].connection_id not in self._connections:
            heapq.heappop(self._deadlines)  # a closed connection's: nothing to do
        return self._deadlines[0].when if self._deadlines else None

    # HTTP requests.

    def body_length(self, request: RequestHead) -> int | Answer:
        """How many body bytes to read for ``request``, or the answer that refuses it unread."""
        if request.header("Transfer-Encoding") is not None:
            return 411, [], b""
        try:
            length = request.content_length
        except ValueError as malformed:
            return error(400, "BadRequestException", str(malformed))
        if length > MAX_BODY_FACTOR * self.settings.max_message_size:
            return error(413, "PayloadTooLargeException", "Message too long")
        return length

    def http(self, request: RequestHead, body: bytes, now: float) -> tuple[Answer, list[Action]]:
        """Answer a plain HTTP request: `@connections` under the stage, 426 elsewhere under
        it, 403 outside it. A POST or DELETE also acts on the connection it names."""
        self._now = now
        stage_path = f"/{self.settings.stage}"
        prefix = f"{stage_path}/@connections/"
        path = request.path  # percent-decoded: "%40connections" is "@connections"
        if path.startswith(prefix):
            connection_id = path[len(prefix) :]
            refusal = connections_refusal(
                self._iam,
                request.method,
                f"http://{request.header('Host') or self.settings.authority}{request.target}",
                request.headers,
                body,
                region=self.settings.region,
                api_id=self.settings.api_id,
                stage=self.settings.stage,
                connection_id=connection_id,
            )
            if refusal is not None:
                answer = error(403, *refusal)
            else:
                answer = self.management.handle(request.method, connection_id, body)
            self._meter.live.connections_api[(request.method, answer[0])] += 1
            return answer, self._take_outbox()
        if path == stage_path or path.startswith(stage_path + "/"):
            upgrade = [("Content-Type", "text/plain"), ("Upgrade", "websocket")]
            return (426, upgrade, b"Upgrade Required"), []
        return error(403, "ForbiddenException", "Forbidden"), []

    # WebSocket handshakes.

    def handshake(
        self, head: bytes, request: RequestHead, *, source_ip: str, tls: bool, now: float
    ) -> tuple[str, list[Action]]:
        """Begin a WebSocket connection whose request head is ``head`` (parsed: ``request``).
        Returns its connection id (the actions' and later inputs' key) and the actions."""
        self._now = now
        cid = ids.connection_id()
        protocol = Protocol(
            max_size=(self.settings.max_message_size, self.settings.max_frame_size), logger=_quiet
        )
        protocol.receive_data(head)
        received = protocol.events_received()
        if not received or not isinstance(received[0], Request):
            return cid, [Write(cid, response(400, keep_alive=False)), CloseTransport(cid)]
        stage = self.settings.stage
        if request.path not in (f"/{stage}", f"/{stage}/"):
            return cid, _refuse(cid, protocol, 403, b'{"message":"Forbidden"}')
        if self.stopping:
            return cid, _refuse(cid, protocol, 410, replies.GONE_BODY)
        answer = protocol.accept(received[0])
        if answer.status_code != 101:
            return cid, _respond(cid, protocol, answer)
        peer = events.Peer(
            connection_id=cid,
            connected_at=now,
            source_ip=source_ip,
            user_agent=request.header("User-Agent"),
        )
        api = events.Api(
            self.settings.api_id, stage, request.header("Host") or self.settings.authority
        )
        pending = _Handshake(protocol, request, answer, api, peer, "https" if tls else "http", now)
        self._handshakes[cid] = pending
        if self.settings.identity_sources is not None:
            return cid, self._authorize(pending)
        return cid, self._connect(pending)

    def _authorize(self, pending: _Handshake) -> list[Action]:
        """Ask for the `$connect` authorizer (unless an identity source is missing: 401)."""
        assert self.settings.identity_sources is not None
        request, peer, now = pending.request, pending.peer, pending.started_at
        query, multi_query = events.query_maps(request.query)
        missing = authorization.missing_identity(
            self.settings.identity_sources, request.headers, query
        )
        if missing is not None:
            logger.info("authorizer: %s is missing or empty: 401", missing)
            return self._refuse_handshake(pending, 401, _authorizer_body(401))
        headers, multi_headers = events.header_maps(
            events.connect_headers(
                request.headers,
                source_ip=peer.source_ip,
                port=self.settings.port,
                proto=pending.proto,
                now=now,
                hop_by_hop=True,
            )
        )
        s = self.settings
        pending.method_arn = authorization.method_arn(s.region, s.account_id, s.api_id, s.stage)
        event = authorization.authorizer_event(
            method_arn=pending.method_arn,
            headers=headers,
            multi_headers=multi_headers,
            query=query,
            multi_query=multi_query,
            request_context=events.authorizer_request_context(
                pending.api, peer, now=now, request_id=ids.request_id()
            ),
        )
        pending.waiting_for = AUTHORIZER
        return [Invoke(peer.connection_id, AUTHORIZER, event)]

    def _connect(self, pending: _Handshake) -> list[Action]:
        """Ask for `$connect` (if the API has it and it is not throttled), else accept."""
        if CONNECT not in self.settings.route_keys:
            return self._accept(pending, subprotocol=None)
        if self._throttled(CONNECT):
            return self._refuse_handshake(pending, 429, replies.THROTTLED_BODY)
        peer, now = pending.peer, pending.started_at
        headers = events.connect_headers(
            pending.request.headers,
            source_ip=peer.source_ip,
            port=self.settings.port,
            proto=pending.proto,
            now=now,
        )
        event = events.connect_event(
            pending.api,
            peer,
            headers=headers,
            query=pending.request.query,
            now=now,
            request_id=ids.request_id(),
        )
        pending.waiting_for = CONNECT
        return [Invoke(peer.connection_id, CONNECT, event)]

    def _accept(self, pending: _Handshake, subprotocol: str | None) -> list[Action]:
        cid = pending.peer.connection_id
        if self.stopping:
            return self._refuse_handshake(pending, 410, replies.GONE_BODY)
        del self._handshakes[cid]
        if subprotocol:
            pending.answer.headers["Sec-WebSocket-Protocol"] = subprotocol
        pending.protocol.send_response(pending.answer)
        conn = Connection(pending.api, pending.peer, pending.protocol, self._now)
        self._connections[cid] = self._active[cid] = conn
        self._meter.connection_opened(cid)
        self._schedule_timeout(conn)
        self._flush(conn)
        self._outbox.append(Opened(cid))
        return self._take_outbox()

    def _refuse_handshake(self, pending: _Handshake, status: int, body: bytes) -> list[Action]:
        cid = pending.peer.connection_id
        del self._handshakes[cid]
        return _refuse(cid, pending.protocol, status, body)

    def transport_lost(self, connection_id: str, now: float) -> list[Action]:
        """The TCP connection ended however it did (use when reading stopped for a reason
        `receive_eof` did not see): a handshake is dropped, an open connection closed."""
        self._handshakes.pop(connection_id, None)
        if connection_id in self._connections:
            return self.receive_eof(connection_id, now)
        return []

    # Frames from clients.

    def receive_data(self, connection_id: str, data: bytes, now: float) -> list[Action]:
        """Bytes from the client of an `Opened` connection."""
        conn = self._connections.get(connection_id)
        if conn is None:
            return []
        self._now = now
        conn.protocol.receive_data(data)
        return self._received(conn, eof=False)

    def receive_eof(self, connection_id: str, now: float) -> list[Action]:
        """The client's end of stream (or the TCP connection failed)."""
        conn = self._connections.get(connection_id)
        if conn is None:
            return []
        self._now = now
        conn.protocol.receive_eof()
        return self._received(conn, eof=True)

    def _received(self, conn: Connection, *, eof: bool) -> list[Action]:
        for event in conn.protocol.events_received():
            if isinstance(event, Frame) and event.opcode in (TEXT, BINARY, CONT):
                whole = conn.message(event.opcode, bytes(event.data), event.fin)
                if whole is not None:
                    self._on_message(conn, *whole)
        self._flush(conn)
        if eof or conn.protocol.state is CLOSED:
            self._finalize(conn)
        self._pump(conn)
        return self._take_outbox()

    def _on_message(self, conn: Connection, opcode: Opcode, data: bytes) -> None:
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
                return
        conn.touch(self._now)
        self._meter.live.messages_in += 1
        conn.pending.append(Message(payload, self._now))

    def _finalize(self, conn: Connection) -> None:
        if conn.finalized:
            return
        conn.finalized = True
        del self._connections[conn.id]
        if len(self._deadlines) > 2 * len(self._connections) + 16:
            # Closed connections' deadlines are dropped in bulk, so they never pile up.
            self._deadlines = [d for d in self._deadlines if d.connection_id in self._connections]
            heapq.heapify(self._deadlines)
        code, reason = conn.disconnect_status()
        self._meter.connection_closed(conn.id)
        conn.pending.append(Closed(code, reason, self._now))
        self._outbox.append(CloseTransport(conn.id))

    # Handlers, one event at a time per connection.

    def _pump(self, conn: Connection) -> None:
        """Start the connection's next event, unless one is running."""
        while not conn.busy and conn.pending:
            item = conn.pending.popleft()
            if isinstance(item, Closed):
                if DISCONNECT not in self.settings.route_keys:
                    del self._active[conn.id]
                    return
                event = events.disconnect_event(
                    conn.api,
                    conn.peer,
                    status_code=item.status_code,
                    reason=item.reason,
                    now=item.closed_at,
                    request_id=ids.request_id(),
                )
                self._start(conn, DISCONNECT, "", event)
                return
            request_id = ids.request_id()
            text = item.data if isinstance(item.data, str) else None
            route = select_route(self.settings.expression, text, self._message_routes)
            if route is None:
                self._send_if_open(
                    conn, replies.error_frame(replies.FORBIDDEN, conn.id, request_id)
                )
                continue
            if self._throttled(route):
                frame = replies.error_frame(THROTTLED_MESSAGE, conn.id, request_id)
                self._send_if_open(conn, frame)
                continue
            event = events.message_event(
                conn.api,
                conn.peer,
                route_key=route,
                data=item.data,
                now=item.received_at,
                request_id=request_id,
            )
            self._start(conn, route, request_id, event)

    def _start(self, conn: Connection, route: str, request_id: str, event: dict[str, Any]) -> None:
        conn.busy = True
        self._in_flight[conn.id] = _InFlight(route, request_id)
        self._outbox.append(Invoke(conn.id, route, event))

    def invocation_done(
        self, connection_id: str, invocation: Invocation, now: float
    ) -> list[Action]:
        """The result of the `Invoke` last asked for on ``connection_id``."""
        self._now = now
        failed = invocation.error is not None
        pending = self._handshakes.get(connection_id)
        if pending is not None:
            if pending.waiting_for == AUTHORIZER:
                return self._authorized(pending, invocation)
            status, subprotocol = replies.connect_outcome(invocation.result, failed)
            if not 200 <= status < 300:
                body = (
                    json.dumps({"message": replies.INTERNAL_ERROR}).encode()
                    if status == 502
                    else b""
                )
                return self._refuse_handshake(pending, status, body)
            return self._accept(pending, subprotocol)
        conn = self._active.get(connection_id)
        flight = self._in_flight.pop(connection_id, None)
        if conn is None or flight is None:
            return []
        conn.busy = False
        if flight.route == DISCONNECT:
            del self._active[connection_id]
            return []
        reply = replies.message_outcome(
            invocation.result, failed, two_way=flight.route in self.settings.two_way
        )
        if reply is replies.Reply.INTERNAL_ERROR:
            frame = replies.error_frame(replies.INTERNAL_ERROR, conn.id, flight.request_id)
            self._send_if_open(conn, frame)
        elif reply.data is not None:
            self._send_if_open(conn, reply.data)
        self._pump(conn)
        return self._take_outbox()

    def _authorized(self, pending: _Handshake, invocation: Invocation) -> list[Action]:
        if self.stopping:
            return self._refuse_handshake(pending, 410, replies.GONE_BODY)
        decision = authorization.decide(invocation.result, invocation.error, pending.method_arn)
        if decision.authorizer is None:
            logger.info("authorizer: %s: %d", decision.reason, decision.status)
            return self._refuse_handshake(
                pending, decision.status, _authorizer_body(decision.status)
            )
        pending.peer = dataclasses.replace(pending.peer, authorizer=decision.authorizer)
        return self._connect(pending)

    # Sending and closing.

    def _send(self, conn: Connection, payload: bytes) -> None:
        conn.send(payload, self._now)
        self._meter.message_sent()
        self._flush(conn)

    def _send_if_open(self, conn: Connection, payload: bytes) -> None:
        if conn.open:
            self._send(conn, payload)

    def _close(
        self, conn: Connection, code: int, reason: str, *, disconnect_reason: str | None = None
    ) -> None:
        if not conn.open:
            return
        s = self.settings
        conn.close(code, reason, self._now, s.close_timeout, disconnect_reason=disconnect_reason)
        assert conn.close_deadline is not None
        self._push(conn.close_deadline, "close", conn.id)
        self._flush(conn)

    def close_all(self, now: float) -> list[Action]:
        """The emulator is stopping: new handshakes are answered 410 Gone, every open
        connection is closed with 1001 (its `$disconnect` still runs, and `@connections`
        still answers it)."""
        self._now = now
        self.stopping = True
        for conn in list(self._connections.values()):
            self._close(conn, CloseCode.GOING_AWAY, REASON_GOING_AWAY)
        return self._take_outbox()

    def _flush(self, conn: Connection) -> None:
        for data in conn.outgoing():
            if data != EOF:
                self._outbox.append(Write(conn.id, data))
            else:
                # End of stream: the server closes the TCP connection first. If that never
                # completes (a client that stopped reading), it is dropped `close_timeout` later.
                self._outbox.append(CloseTransport(conn.id))
                if not conn.finalized:
                    self._push(self._now + self.settings.close_timeout, "close", conn.id)

    def _take_outbox(self) -> list[Action]:
        actions, self._outbox = self._outbox, []
        return actions

    # The clock.

    def _schedule_timeout(self, conn: Connection) -> None:
        s = self.settings
        when = min(conn.last_active + s.idle_timeout, conn.opened_at + s.max_connection_duration)
        self._push(when, "timeout", conn.id)

    def _push(self, when: float, kind: str, connection_id: str) -> None:
        if when == math.inf:
            return  # a limit turned off
        heapq.heappush(self._deadlines, _Deadline(when, next(self._order), kind, connection_id))

    def tick(self, now: float) -> list[Action]:
        """The clock reached ``now``: close idle or too old connections with 1001, and abort
        those that have not answered our close frame within ``close_timeout``."""
        self._now = now
        s = self.settings
        while self._deadlines and self._deadlines[0].when <= now:
            due = heapq.heappop(self._deadlines)
            conn = self._connections.get(due.connection_id)
            if conn is None:
                continue
            if due.kind == "close":
                self._outbox.append(Abort(conn.id))
            elif (
                now >= conn.opened_at + s.max_connection_duration
                or now >= conn.last_active + s.idle_timeout
            ):
                self._close(conn, CloseCode.GOING_AWAY, REASON_GOING_AWAY)
            elif conn.open:
                self._schedule_timeout(conn)
        return self._take_outbox()

    def _throttled(self, route: str) -> bool:
        return self._throttling is not None and not self._throttling.allow(route)


def _authorizer_body(status: int) -> bytes:
    return json.dumps({"message": replies.AUTHORIZER_MESSAGES[status]}).encode()


def _respond(cid: str, protocol: Protocol, answer: HandshakeResponse) -> list[Action]:
    """Send a handshake response that ends the connection."""
    protocol.send_response(answer)
    actions: list[Action] = [Write(cid, data) for data in protocol.data_to_send() if data]
    actions.append(CloseTransport(cid))
    return actions


def _refuse(cid: str, protocol: Protocol, status: int, body: bytes) -> list[Action]:
    return _respond(cid, protocol, replies.rejection(status, body))
