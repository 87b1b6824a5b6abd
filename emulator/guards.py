"""The checks in front of `@connections` and the embedded DynamoDB, with AWS's refusals.

Both endpoints ask the run's `emulator.iam.Authority` who signed a request and
whether that principal's role allows it, and answer a refusal as the real
service does:

- DynamoDB (`dynamodb_refusal`): HTTP 400 with `{"__type": "...#X", "Message": ...}`:
  `MissingAuthenticationTokenException`, `UnrecognizedClientException`,
  `InvalidSignatureException`, or `AccessDeniedException` naming the caller, the
  action (`dynamodb:UpdateItem`) and the table's ARN.
- `@connections` (`connections_refusal`): HTTP 403 with `x-amzn-ErrorType`:
  `MissingAuthenticationTokenException`, `UnrecognizedClientException`,
  `InvalidSignatureException`, or `ForbiddenException` naming the caller, the
  action (`execute-api:ManageConnections`) and the connection's ARN.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .iam import Authority, Denied
from .sigv4 import BAD_SIGNATURE, EXPIRED, MISSING, UNKNOWN_KEY, Refused

_SIGNATURE_ERRORS = {
    MISSING: "MissingAuthenticationTokenException",
    UNKNOWN_KEY: "UnrecognizedClientException",
    BAD_SIGNATURE: "InvalidSignatureException",
    EXPIRED: "InvalidSignatureException",
}
MANAGE_CONNECTIONS = "execute-api:ManageConnections"
DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810."


def dynamodb_resources(operation: str, body: Any, region: str, account: str) -> list[str]:
    """The table (or index) ARNs a DynamoDB request acts on, as IAM sees them."""
    base = f"arn:aws:dynamodb:{region}:{account}:table/"
    if not isinstance(body, dict):
        return [base + "*"]
    tables: list[str] = []
    if isinstance(body.get("TableName"), str):
        name = base + body["TableName"]
        index = body.get("IndexName")
        tables.append(f"{name}/index/{index}" if isinstance(index, str) else name)
    if isinstance(body.get("RequestItems"), dict):
        tables += [base + name for name in body["RequestItems"]]
    for item in body.get("TransactItems") or []:
        if isinstance(item, dict):
            for request in item.values():
                if isinstance(request, dict) and isinstance(request.get("TableName"), str):
                    tables.append(base + request["TableName"])
    return list(dict.fromkeys(tables)) or [base + "*"]


def dynamodb_refusal(
    authority: Authority, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """None if the request may go on, else DynamoDB's answer refusing it."""
    header_list = list(headers)
    try:
        principal, signed = authority.authenticate(method, url, header_list, body)
        target = next((v for k, v in header_list if k.lower() == "x-amz-target"), "")
        operation = target.removeprefix(DYNAMODB_TARGET_PREFIX)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = None
        resources = dynamodb_resources(operation, request, signed.region, authority.account)
        authority.authorize(principal, f"dynamodb:{operation}", resources)
    except Refused as refused:
        return _dynamodb_error(_SIGNATURE_ERRORS[refused.reason], str(refused))
    except Denied as denied:
        return _dynamodb_error("AccessDeniedException", str(denied))
    return None


def _dynamodb_error(error: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps({"__type": f"com.amazon.coral.service#{error}", "Message": message})
    return 400, [("Content-Type", "application/x-amz-json-1.0")], body.encode()


def connections_refusal(
    authority: Authority,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    region: str,
    api_id: str,
    stage: str,
    connection_id: str,
) -> tuple[str, str] | None:
    """None if the `@connections` request may go on, else (x-amzn-ErrorType, message) for a 403."""
    try:
        principal, _ = authority.authenticate(method, url, headers, body)
        resource = (
            f"arn:aws:execute-api:{region}:{authority.account}:{api_id}/{stage}/{method}"
            f"/@connections/{connection_id}"
        )
        authority.authorize(principal, MANAGE_CONNECTIONS, [resource])
    except Refused as refused:
        return _SIGNATURE_ERRORS[refused.reason], str(refused)
    except Denied as denied:
        return "ForbiddenException", str(denied)
    return None
