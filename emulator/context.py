"""The Lambda context object handed to every handler, with the fields Lambda's Python runtime gives.

AWS: Lambda developer guide, "Using the Lambda context object to retrieve Python
function information" (python-context.html).

Light on purpose: worker processes import it before the handler's module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionInfo:
    """What stays the same for every invocation of one function in one execution environment."""

    function_name: str
    memory_limit_in_mb: int
    region: str
    account_id: str
    log_stream_name: str
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"


class LambdaContext:
    """Lambda's context: request id, function identity, log names and the time left."""

    def __init__(self, info: FunctionInfo, aws_request_id: str, deadline_ms: int) -> None:
        self.aws_request_id = aws_request_id
        self.function_name = info.function_name
        self.function_version = info.function_version
        self.invoked_function_arn = info.invoked_function_arn
        self.memory_limit_in_mb = str(info.memory_limit_in_mb)  # a string, as in Lambda's runtime
        self.log_group_name = info.log_group_name
        self.log_stream_name = info.log_stream_name
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms
        """Deadline in epoch milliseconds, as Lambda's runtime API gives it."""

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation times out (never negative)."""
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"
