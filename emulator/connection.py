"""One WebSocket connection's state, without I/O: websockets' Sans-I/O protocol, the
times that decide its timeouts, and the events waiting for its handlers.

A `Connection` never writes: what it has to send waits in its protocol until the
core (`emulator.gateway`) drains it with `outgoing`. It knows nothing of the
emulator around it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from websockets.frames import TEXT, CloseCode, Opcode
from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from . import events

REASON_NO_STATUS = "Client-side close frame status not set"
REASON_NORMAL = "Connection Closed Normally"
REASON_GOING_AWAY = "Going away"
REASON_ABNORMAL = "Connection Closed Abnormally"
REASON_TOO_BIG = "Message too big"

_DEFAULT_REASONS: dict[int, str] = {
    CloseCode.NORMAL_CLOSURE: REASON_NORMAL,
    CloseCode.GOING_AWAY: REASON_GOING_AWAY,
    CloseCode.NO_STATUS_RCVD: REASON_NO_STATUS,
}

EOF = b""
"""What `Connection.outgoing` yields when the server should close the TCP connection."""


class Protocol(ServerProtocol):
    """websockets' server protocol, remembering why it failed a connection."""

    failure: tuple[int, str] | None = None

    def fail(self, code: CloseCode | int, reason: str = "") -> None:
        if code == CloseCode.MESSAGE_TOO_BIG:
            reason = REASON_TOO_BIG
        if self.failure is None and code != CloseCode.ABNORMAL_CLOSURE:
            self.failure = (int(code), reason)
        super().fail(code, reason)


@dataclass(frozen=True)
class Message:
    """A message from the client, waiting for its route's handler."""

    data: str | bytes
    received_at: float


@dataclass(frozen=True)
class Closed:
    """The connection's end, waiting for the `$disconnect` handler."""

    status_code: int
    reason: str
    closed_at: float


class Connection:
    """One accepted WebSocket connection: its protocol, its times and its queue of events.

    Times are wall-clock seconds (``time.time()``), given by the caller with every
    change: ``now`` is when the handshake completed.
    """

    def __init__(self, api: events.Api, peer: events.Peer, protocol: Protocol, now: float) -> None:
        self.api = api
        self.peer = peer
        self.id = peer.connection_id
        self.protocol = protocol
        self.opened_at = now
        self.last_active = now
        self.server_close: tuple[int, str] | None = None
        """The code and `$disconnect` reason of a close the server started."""
        self.close_deadline: float | None = None
        """When to abort the TCP connection if the client has not answered our close frame."""
        self.pending: deque[Message | Closed] = deque()
        """Events waiting for a handler, oldest first; one runs at a time (`busy`)."""
        self.busy = False
        self.finalized = False
        self._fragments: list[bytes] = []
        self._fragment_opcode: Opcode = TEXT

    @property
    def open(self) -> bool:
        return self.protocol.state is OPEN

    def touch(self, now: float) -> None:
        """Data moved either way: the idle timer starts again."""
        self.last_active = now

    def outgoing(self) -> list[bytes]:
        """Bytes to write, in order; `EOF` last when the TCP connection should close."""
        return self.protocol.data_to_send()

    def send(self, payload: bytes, now: float) -> None:
        """Queue one message: a text frame if the bytes are UTF-8, else a binary frame."""
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            self.protocol.send_binary(payload)
        else:
            self.protocol.send_text(payload)
        self.touch(now)

    def close(
        self,
        code: int,
        reason: str,
        now: float,
        close_timeout: float,
        *,
        disconnect_reason: str | None = None,
    ) -> None:
        """Start the closing handshake from the server side; the client has
        ``close_timeout`` seconds to answer before `close_deadline`."""
        if not self.open:
            return
        self.server_close = (code, disconnect_reason if disconnect_reason is not None else reason)
        self.protocol.send_close(code, reason)
        self.close_deadline = now + close_timeout

    def message(self, opcode: Opcode, data: bytes, fin: bool) -> tuple[Opcode, bytes] | None:
        """One data frame in; a whole message (its opcode and bytes) out once its last
        fragment has arrived, else None."""
        if opcode is not Opcode.CONT:
            if fin:
                return opcode, data
            self._fragments, self._fragment_opcode = [data], opcode
            return None
        self._fragments.append(data)
        if not fin:
            return None
        whole = b"".join(self._fragments)
        self._fragments = []
        return self._fragment_opcode, whole

    def disconnect_status(self) -> tuple[int, str]:
        """The status code and reason `$disconnect` reports."""
        if self.server_close is not None:
            return self.server_close
        if self.protocol.failure is not None:
            return self.protocol.failure
        received = self.protocol.close_rcvd
        if received is not None:
            return int(received.code), received.reason or _DEFAULT_REASONS.get(received.code, "")
        return int(CloseCode.ABNORMAL_CLOSURE), REASON_ABNORMAL
