"""Identifiers shaped like API Gateway's and Lambda's, and the clock formats they use.

API Gateway's connection ids, request ids and message ids are 16-character
base64 strings of 11 random bytes ending in ``=`` (``L0SM9cOFvHcCIhw=``).
The emulator draws them from the same alphabet minus ``+`` and ``/``, so an id
never needs escaping in an ``@connections/{id}`` URL.
"""

from __future__ import annotations

import base64
import datetime as _dt
import os
import re
import secrets
import string
import time

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _token() -> str:
    while True:
        text = base64.b64encode(os.urandom(11)).decode("ascii")
        if "+" not in text and "/" not in text:
            return text


def connection_id() -> str:
    """A new connection id, e.g. ``L0SM9cOFvHcCIhw=``."""
    return _token()


_CONNECTION_ID = re.compile(r"[A-Za-z0-9+/]{15}=")


def is_connection_id(text: str) -> bool:
    """Whether `text` has API Gateway's connection id format (15 base64 characters, then ``=``)."""
    return _CONNECTION_ID.fullmatch(text) is not None


def request_id() -> str:
    """A new API Gateway request id (also used as ``extendedRequestId``)."""
    return _token()


def message_id() -> str:
    """A new ``requestContext.messageId``."""
    return _token()


def api_id() -> str:
    """A new API id: ten lowercase letters and digits, like ``abcd123456``."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(10))


def trace_id(now: float | None = None) -> str:
    """An ``X-Amzn-Trace-Id`` header value (``Root=1-{epoch hex}-{96 random bits}``)."""
    seconds = int(time.time() if now is None else now)
    return f"Root=1-{seconds:08x}-{secrets.token_hex(12)}"


def epoch_ms(now: float) -> int:
    """Epoch milliseconds, as in ``requestTimeEpoch`` and ``connectedAt``."""
    return int(now * 1000)


def request_time(now: float) -> str:
    """``requestTime`` in API Gateway's CLF format: ``09/Feb/2024:18:11:43 +0000``."""
    t = time.gmtime(now)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def iso8601(now: float) -> str:
    """ISO 8601 UTC with milliseconds, as ``@connections`` GET returns: ``2024-02-09T18:11:43.420Z``."""
    moment = _dt.datetime.fromtimestamp(now, tz=_dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
