"""Lambda REQUEST authorizers on `$connect`, as API Gateway runs them for WebSocket APIs.

AWS: API Gateway developer guide, "Control access to WebSocket APIs with AWS Lambda
REQUEST authorizers" (apigateway-websocket-api-lambda-auth.html: only on `$connect`;
the input event, with ``methodArn`` ending in ``/$connect``), "Output from an API
Gateway Lambda authorizer" (api-gateway-lambda-authorizer-output.html: principalId,
policyDocument, context of string, number and boolean values), and the apigatewayv2
API reference, CreateAuthorizer (``IdentitySource``: every identity source must be
present and non-empty or the client gets 401 without the function being called;
``AuthorizerResultTtlInSeconds`` is for HTTP APIs only, so nothing is cached).

Pure functions: the server invokes the function and applies the `Decision`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runtime import RouteTarget

_SOURCE = re.compile(r"route\.request\.(header|querystring)\.(.+)")

UNAUTHORIZED = "Unauthorized"
"""The error message with which an authorizer asks for 401 instead of 500 (as in AWS's examples)."""


@dataclass(frozen=True)
class Authorizer:
    """A Lambda REQUEST authorizer for `$connect`.

    ``handler``: the function, as for a route (a callable, ``"module.function"`` or a
    `emulator.Function`). ``identity_sources``: ``route.request.header.NAME`` and
    ``route.request.querystring.NAME`` values (API Gateway's syntax); when one is
    missing or empty the handshake is refused with 401 and the function is not called.
    The function gets API Gateway's authorizer event and returns ``principalId``, a
    ``policyDocument`` allowing or denying ``execute-api:Invoke`` on the event's
    ``methodArn``, and optionally a ``context`` map; raising ``Exception("Unauthorized")``
    answers 401, any other error or malformed answer 500, a Deny (or no Allow) 403.
    ``principalId`` and ``context`` then appear in ``requestContext.authorizer`` of
    every later event of the connection. Results are never cached (AWS caches none for
    WebSocket APIs).
    """

    handler: RouteTarget
    identity_sources: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        check_identity_sources(self.identity_sources)


def check_identity_sources(sources: Sequence[str]) -> None:
    """Raise ValueError naming the first source not in API Gateway's syntax for a
    WebSocket REQUEST authorizer (``route.request.header.NAME``,
    ``route.request.querystring.NAME``)."""
    for source in sources:
        if _SOURCE.fullmatch(source) is None:
            raise ValueError(
                f"identity source {source!r}: expected route.request.header.NAME "
                "or route.request.querystring.NAME"
            )


def missing_identity(
    sources: Sequence[str], headers: Sequence[tuple[str, str]], query: Mapping[str, str]
) -> str | None:
    """The first identity source absent or empty in the request, or None if all are there."""
    for source in sources:
        match = _SOURCE.fullmatch(source)
        assert match is not None  # checked by Authorizer
        kind, name = match.groups()
        if kind == "header":
            value = next((v for k, v in reversed(headers) if k.lower() == name.lower()), "")
        else:
            value = query.get(name, "")
        if not value:
            return source
    return None


def method_arn(region: str, account_id: str, api_id: str, stage: str) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/$connect``."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/$connect"


def authorizer_event(
    *,
    method_arn: str,
    headers: dict[str, str],
    multi_headers: dict[str, list[str]],
    query: dict[str, str] | None,
    multi_query: dict[str, list[str]] | None,
    request_context: dict[str, Any],
) -> dict[str, Any]:
    """The REQUEST authorizer's input, in the shape of AWS's WebSocket example."""
    event: dict[str, Any] = {
        "type": "REQUEST",
        "methodArn": method_arn,
        "headers": headers,
        "multiValueHeaders": multi_headers,
    }
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = multi_query
    event["stageVariables"] = {}
    event["requestContext"] = request_context
    return event


@dataclass(frozen=True)
class Decision:
    """What the handshake gets: ``status`` (200 to carry on, else 401, 403 or 500) and,
    when allowed, the ``requestContext.authorizer`` map of every later event."""

    status: int
    authorizer: dict[str, Any] | None = None
    reason: str = ""


def _matches(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """IAM wildcard matching: ``*`` any run of characters, ``?`` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(regex, value, flags | re.DOTALL) is not None


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def decide(result: Any, error: Mapping[str, Any] | None, arn: str) -> Decision:
    """Apply an authorizer's answer (its result, or its error) to the `$connect` ARN."""
    if error is not None:
        if error.get("errorMessage") == UNAUTHORIZED:
            return Decision(401, reason="the authorizer answered Unauthorized")
        return Decision(500, reason=f"the authorizer failed: {error.get('errorType')}")
    if not isinstance(result, dict):
        return Decision(500, reason="the authorizer returned no object")
    principal = result.get("principalId")
    policy = result.get("policyDocument")
    context = result.get("context", {})
    if not isinstance(principal, str) or not principal:
        return Decision(500, reason="no principalId")
    if context is None:
        context = {}
    if not isinstance(context, dict) or not all(
        isinstance(v, (str, int, float, bool)) for v in context.values()
    ):
        return Decision(500, reason="context values must be strings, numbers or booleans")
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return Decision(500, reason="no policyDocument statements")
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            return Decision(500, reason="a statement is not an object")
        effect = statement.get("Effect")
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if effect not in ("Allow", "Deny") or actions is None or resources is None:
            return Decision(500, reason="a statement lacks Effect, Action or Resource")
        applies = any(
            _matches(a, "execute-api:Invoke", case_sensitive=False) for a in actions
        ) and any(_matches(r, arn, case_sensitive=True) for r in resources)
        if applies and effect == "Deny":
            return Decision(403, reason="the policy denies $connect")
        allowed = allowed or applies
    if not allowed:
        return Decision(403, reason="the policy does not allow $connect")
    return Decision(200, authorizer={**context, "principalId": principal})
