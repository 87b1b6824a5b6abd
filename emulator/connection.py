"""One WebSocket connection's state: websockets' Sans-I/O protocol, its writer, its
timers and its queue of events for handlers. Knows nothing of the emulator around it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from websockets.frames import TEXT, CloseCode
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
    data: str | bytes
    received_at: float


@dataclass(frozen=True)
class Closed:
    status_code: int
    reason: str
    closed_at: float


class Connection:
    """One open WebSocket connection and its per-connection queue of events.

    ``close_timeout``: seconds the client has to answer a close frame before the
    connection is aborted; ``on_sent``: called once per message sent (the meter).
    """

    def __init__(
        self,
        api: events.Api,
        peer: events.Peer,
        protocol: Protocol,
        writer: asyncio.StreamWriter,
        *,
        close_timeout: float,
        on_sent: Callable[[], None],
    ) -> None:
        self.api = api
        self.peer = peer
        self.id = peer.connection_id
        self.protocol = protocol
        self.writer = writer
        self.close_timeout = close_timeout
        self._on_sent = on_sent
        self.queue: asyncio.Queue[Message | Closed] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self.loop = loop
        self.opened_at = loop.time()
        self.last_active = self.opened_at
        self.last_active_wall = peer.connected_at
        self.server_close: tuple[int, str] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.close_timer: asyncio.TimerHandle | None = None
        self.fragments: list[bytes] = []
        self.fragment_opcode = TEXT
        self.finalized = False
        self.dispatcher: asyncio.Task[None] | None = None

    @property
    def open(self) -> bool:
        return self.protocol.state is OPEN

    def touch(self) -> None:
        self.last_active = self.loop.time()
        self.last_active_wall = time.time()

    def flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.writer.write(data)
            elif not self.writer.is_closing():
                # End of stream: the server closes the TCP connection first.
                self.writer.close()

    def send(self, payload: bytes) -> None:
        """Deliver one message: a text frame if the bytes are UTF-8, else a binary frame."""
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            self.protocol.send_binary(payload)
        else:
            self.protocol.send_text(payload)
        self.flush()
        self.touch()
        self._on_sent()

    def buffered(self) -> int:
        transport = self.writer.transport
        return transport.get_write_buffer_size() if transport is not None else 0

    def close(self, code: int, reason: str = "", *, disconnect_reason: str | None = None) -> None:
        """Start the closing handshake from the server side; abort if the client does not answer."""
        if not self.open:
            return
        self.server_close = (code, disconnect_reason if disconnect_reason is not None else reason)
        self.protocol.send_close(code, reason)
        self.flush()
        transport = self.writer.transport
        self.close_timer = self.loop.call_later(self.close_timeout, transport.abort)

    def disconnect_status(self) -> tuple[int, str]:
        if self.server_close is not None:
            return self.server_close
        if self.protocol.failure is not None:
            return self.protocol.failure
        received = self.protocol.close_rcvd
        if received is not None:
            return int(received.code), received.reason or _DEFAULT_REASONS.get(received.code, "")
        return int(CloseCode.ABNORMAL_CLOSURE), REASON_ABNORMAL
