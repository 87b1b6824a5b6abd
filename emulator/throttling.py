"""API Gateway's throttling of a WebSocket stage: token buckets per route and per account.

AWS: API Gateway developer guide, "Protect your WebSocket APIs" (websocket-api-protect.html):
requests are throttled with the token bucket algorithm, a steady rate refilling a
bucket of `burst` tokens, at the account level (10,000 requests per second, burst
5,000, per region) and at the targets set on a stage: its default route settings
apply to each route, and a route's own settings replace them for that route.
Over the limits, clients receive 429 Too Many Requests; the route is not invoked.
The emulator answers a throttled message with API Gateway's error frame,
``{"message": "Too Many Requests", ...}`` (`THROTTLED_MESSAGE`), and a throttled
`$connect` with a 429 handshake.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

THROTTLED_MESSAGE = "Too Many Requests"


@dataclass(frozen=True)
class Throttle:
    """A token bucket's settings: `rate` requests per second on average, `burst` at once."""

    rate: float
    burst: int


ACCOUNT_THROTTLE = Throttle(rate=10_000.0, burst=5_000)
"""The account-level default per region."""


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; full to begin with."""

    def __init__(self, throttle: Throttle, clock: Callable[[], float] = time.monotonic) -> None:
        self.throttle = throttle
        self._clock = clock
        self._tokens = float(throttle.burst)
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(
            float(self.throttle.burst), self._tokens + (now - self._updated) * self.throttle.rate
        )
        self._updated = now

    def has_token(self) -> bool:
        self._refill()
        return self._tokens >= 1.0

    def take(self) -> None:
        self._tokens -= 1.0


class StageThrottle:
    """Whether the next request on a route may go through, as API Gateway decides it.

    Each route key gets its own bucket: its route settings (`routes`), else the
    stage's default (`default`; None: no stage limit). Every request also needs a
    token from the account's bucket.
    """

    def __init__(
        self,
        default: Throttle | None,
        routes: Mapping[str, Throttle] | None = None,
        *,
        account: Throttle = ACCOUNT_THROTTLE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default = default
        self.routes = dict(routes or {})
        self._clock = clock
        self._account = TokenBucket(account, clock)
        self._buckets: dict[str, TokenBucket] = {}

    def allow(self, route_key: str) -> bool:
        """True (and a token spent) if a request on `route_key` may go through now."""
        throttle = self.routes.get(route_key, self.default)
        buckets = [self._account]
        if throttle is not None:
            bucket = self._buckets.get(route_key)
            if bucket is None:
                bucket = self._buckets[route_key] = TokenBucket(throttle, self._clock)
            buckets.append(bucket)
        if not all(bucket.has_token() for bucket in buckets):
            return False
        for bucket in buckets:
            bucket.take()
        return True
