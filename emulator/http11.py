"""Just enough HTTP/1.1 for one port that serves both WebSocket handshakes and `@connections`.

The emulator reads each request head itself, then either hands the bytes to
websockets' Sans-I/O handshake (an ``Upgrade: websocket`` request) or answers
it here with keep-alive, as boto3 reuses its connections.
"""

from __future__ import annotations

import http
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]

    @property
    def path(self) -> str:
        """The URL path, percent-decoded."""
        return unquote(urlsplit(self.target).path)

    @property
    def raw_path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> str:
        return urlsplit(self.target).query

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive), or None."""
        lowered = name.lower()
        for key, value in reversed(self.headers):
            if key.lower() == lowered:
                return value
        return None

    @property
    def content_length(self) -> int:
        """The body's length: 0 without Content-Length; ValueError unless it is one
        decimal number (no sign, no list of values)."""
        values = [v for k, v in self.headers if k.lower() == "content-length"]
        if not values:
            return 0
        if len(values) > 1 or not values[0].isdigit() or not values[0].isascii():
            raise ValueError(f"bad Content-Length {', '.join(values)!r}")
        return int(values[0])

    @property
    def is_websocket_upgrade(self) -> bool:
        upgrade = self.header("Upgrade") or ""
        return "websocket" in upgrade.lower()

    @property
    def keep_alive(self) -> bool:
        connection = (self.header("Connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


def parse_head(data: bytes) -> RequestHead:
    """Parse a request line and headers ending with CRLF CRLF; ValueError if malformed."""
    text = data.decode("latin-1")
    lines = text.split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
    except ValueError:
        raise ValueError(f"bad request line {lines[0]!r}") from None
    if not version.startswith("HTTP/1."):
        raise ValueError(f"unsupported protocol {version!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ValueError(f"bad header line {line!r}")
        headers.append((name, value.strip()))
    return RequestHead(method, target, version, headers)


def response(
    status: int,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    *,
    keep_alive: bool = True,
) -> bytes:
    """Serialize a response with Content-Length (no body for 204)."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}"]
    for name, value in headers or ():
        lines.append(f"{name}: {value}")
    if status != 204:
        lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body if status != 204 else b"")
