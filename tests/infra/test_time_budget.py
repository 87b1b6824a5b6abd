"""A handler's AWS calls, retries included, end before its Lambda function times out.

Otherwise the function is killed mid-request and the player gets API Gateway's
`Internal server error` instead of the handler's `unavailable` (or, after a write that
stood, instead of being told it stood). The worst case is computed from the botocore
`Config` each client is built with and botocore's own backoff rules, against the timeout
the stack declares. One DynamoDB call and the two posts after it always fit; the largest
fan-out (a move that ends a game with every spectator a game can have) fits only because
`functions.budget` skips the calls that could not end in time.
"""

from __future__ import annotations

from typing import Any

from botocore.retries.standard import ExponentialBackoff

from functions import aws, budget
from functions.watch import MAX_WATCHERS
from infra.websocket_game import XoStackArgs
from tests.infra.stack_harness import FUNCTION, REPO_ROOT, load_program

POSTS_PER_REQUEST = 2
"""`join` and `resume` post to both players after their write."""
HANDLER_MARGIN_SECONDS = 1.0
"""The handler's own work (parsing, hashing, logging) and a warm start."""


def _max_backoff(retry: int) -> float:
    """The longest botocore's standard mode sleeps before retry number `retry` (1-based).

    `rand(0, 1) * min(scale * 2 ** (retry - 1), MAX_BACKOFF)`, with the largest scale it
    uses (throttling errors: 1 s), plus the extra a server's `x-amz-retry-after` may add.
    """
    scales = getattr(ExponentialBackoff, "_DEFAULT_BACKOFF_CONFIG", {"throttling_base_scale": 1})
    scale = max([1.0, *scales.values()])
    extra = getattr(ExponentialBackoff, "_RETRY_AFTER_MAX_ADDITIONAL", 0)
    return (
        min(scale * ExponentialBackoff._BASE ** (retry - 1), ExponentialBackoff._MAX_BACKOFF)
        + extra
    )


def worst_case_seconds(config: Any) -> float:
    """Every attempt connects and reads up to its timeouts, with the longest sleep between."""
    retries = config.retries or {}
    assert retries.get("mode") == "standard", "the backoff model is standard mode's"
    assert "max_attempts" not in retries, "max_attempts counts retries: say total_max_attempts"
    attempts = retries["total_max_attempts"]
    per_attempt = config.connect_timeout + config.read_timeout
    return attempts * per_attempt + sum(_max_backoff(retry) for retry in range(1, attempts))


def function_timeout() -> float:
    """The one timeout every function of the stack is deployed with."""
    (timeout,) = {f.inputs["timeout"] for f in load_program().of_type(FUNCTION)}
    assert timeout == XoStackArgs(source_root=REPO_ROOT).lambda_timeout_seconds
    return float(timeout)


def test_the_handlers_own_worst_case_is_never_below_botocores() -> None:
    """`functions.budget` decides from `aws.worst_case_seconds`: it must not promise less
    time than botocore may really take."""
    for service in aws.CLIENT_LIMITS:
        assert aws.worst_case_seconds(service) >= worst_case_seconds(aws.client_config(service))


def test_a_dynamodb_call_and_the_posts_after_it_fit_in_the_function_timeout() -> None:
    dynamodb = worst_case_seconds(aws.client_config("dynamodb"))
    post = worst_case_seconds(aws.client_config("apigatewaymanagementapi"))
    timeout = function_timeout()
    worst = dynamodb + POSTS_PER_REQUEST * post + HANDLER_MARGIN_SECONDS
    assert worst <= timeout, (
        f"DynamoDB {dynamodb:g} s + {POSTS_PER_REQUEST} posts x {post:g} s "
        f"+ {HANDLER_MARGIN_SECONDS:g} s = {worst:g} s > the {timeout:g} s Lambda timeout"
    )


def test_dynamodb_calls_are_retried_once() -> None:
    """A throttled or failed read/write gets one more try before the player sees `unavailable`."""
    assert aws.client_config("dynamodb").retries["total_max_attempts"] == 2


LARGEST_FAN_OUT = (
    ["dynamodb"]  # the move, one conditional write
    + ["apigatewaymanagementapi"] * 2  # the sender's `state`, the opponent's `play`
    + ["dynamodb"] * 2  # the game is over: both seats given back
    + ["apigatewaymanagementapi"] * MAX_WATCHERS  # every spectator's `play`
)
"""A move that ends a game watched by as many spectators as a game can have, in the order
`functions.play` makes its calls."""


class _Clock:
    """A Lambda context whose time moves only when a call is charged to it."""

    def __init__(self, timeout: float) -> None:
        self.timeout, self.elapsed = timeout, 0.0

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout - self.elapsed) * 1000)


def test_the_largest_fan_out_ends_in_time_when_every_call_takes_its_worst_case() -> None:
    """Each call the budget lets start takes as long as it possibly can: the handler still
    ends inside the timeout (with the margin left for its own work), and the write, the
    sender's answer and the opponent's message are never the ones skipped."""
    timeout = function_timeout()
    clock = _Clock(timeout)
    made: list[int] = []
    with budget.invocation(clock):
        for index, service in enumerate(LARGEST_FAN_OUT):
            if budget.too_late(service) is None:
                clock.elapsed += worst_case_seconds(aws.client_config(service))
                made.append(index)
    assert clock.elapsed <= timeout - budget.SAFETY_MARGIN_SECONDS, made
    assert made[:3] == [0, 1, 2], f"only calls {made} of the largest fan-out were made"
