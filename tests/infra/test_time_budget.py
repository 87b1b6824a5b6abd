"""A handler's AWS calls, retries included, end before its Lambda function times out.

Otherwise the function is killed mid-request and the player gets API Gateway's
`Internal server error` instead of the handler's `unavailable`. The worst case is
computed from the botocore `Config` each client is built with and botocore's own
backoff rules, against the timeout the stack declares.
"""

from __future__ import annotations

from typing import Any

from botocore.retries.standard import ExponentialBackoff

from functions import aws
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


def test_a_dynamodb_call_and_the_posts_after_it_fit_in_the_function_timeout() -> None:
    dynamodb = worst_case_seconds(aws.client_config("dynamodb"))
    post = worst_case_seconds(aws.client_config("apigatewaymanagementapi"))
    (timeout,) = {f.inputs["timeout"] for f in load_program().of_type(FUNCTION)}
    assert timeout == XoStackArgs(source_root=REPO_ROOT).lambda_timeout_seconds
    worst = dynamodb + POSTS_PER_REQUEST * post + HANDLER_MARGIN_SECONDS
    assert worst <= timeout, (
        f"DynamoDB {dynamodb:g} s + {POSTS_PER_REQUEST} posts x {post:g} s "
        f"+ {HANDLER_MARGIN_SECONDS:g} s = {worst:g} s > the {timeout:g} s Lambda timeout"
    )


def test_dynamodb_calls_are_retried_once() -> None:
    """A throttled or failed read/write gets one more try before the player sees `unavailable`."""
    assert aws.client_config("dynamodb").retries["total_max_attempts"] == 2
