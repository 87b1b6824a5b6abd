"""Lambda proxy events for WebSocket routes, in the shape API Gateway sends them.

AWS: API Gateway developer guide, "Set up a WebSocket API integration request in
API Gateway" (apigateway-websocket-api-integration-requests.html), section
"Input format of a Lambda function for proxy integration for WebSocket APIs".

Pure functions: the server passes what it observed (headers as the client sent
them, the peer address, the clock) and gets the event dictionary back.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from . import ids

_HOP_BY_HOP = frozenset(
    {"connection", "upgrade", "keep-alive", "proxy-connection", "te", "trailer"}
)


@dataclass(frozen=True)
class Api:
    """What every event names about the API: its id, stage and domain."""

    api_id: str
    stage: str
    domain_name: str


@dataclass(frozen=True)
class Peer:
    """What API Gateway knows about the client of one connection."""

    connection_id: str
    connected_at: float
    source_ip: str
    user_agent: str | None
    """None when the client sent no User-Agent (API Gateway's null)."""
    authorizer: Mapping[str, Any] | None = None
    """What the `$connect` authorizer allowed (principalId and context), in every event."""


def _request_context(
    api: Api, peer: Peer, route_key: str, event_type: str, now: float, request_id: str
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": ids.request_time(now),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": ids.epoch_ms(peer.connected_at),
        "requestTimeEpoch": ids.epoch_ms(now),
        "identity": {"sourceIp": peer.source_ip, "userAgent": peer.user_agent},
        "requestId": request_id,
        "domainName": api.domain_name,
        "connectionId": peer.connection_id,
        "apiId": api.api_id,
    }
    if peer.authorizer is not None:
        context["authorizer"] = dict(peer.authorizer)
    return context


def connect_headers(
    raw_headers: Sequence[tuple[str, str]],
    *,
    source_ip: str,
    port: int,
    proto: str,
    now: float,
    hop_by_hop: bool = False,
) -> list[tuple[str, str]]:
    """The handshake headers as API Gateway forwards them to `$connect`.

    Hop-by-hop headers (``Connection``, ``Upgrade``) are dropped unless asked for
    (an authorizer's event keeps them, as AWS's example shows); ``X-Amzn-Trace-Id``,
    ``X-Forwarded-For`` (appended to any the client sent), ``X-Forwarded-Port`` and
    ``X-Forwarded-Proto`` are added, as a load balancer in front of the API would.
    """
    headers = [
        (name, value)
        for name, value in raw_headers
        if hop_by_hop or name.lower() not in _HOP_BY_HOP
    ]
    forwarded = [value for name, value in headers if name.lower() == "x-forwarded-for"]
    headers = [
        (name, value)
        for name, value in headers
        if name.lower()
        not in {"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"}
    ]
    forwarded_for = ", ".join([*forwarded, source_ip])
    headers += [
        ("X-Amzn-Trace-Id", ids.trace_id(now)),
        ("X-Forwarded-For", forwarded_for),
        ("X-Forwarded-Port", str(port)),
        ("X-Forwarded-Proto", proto),
    ]
    return headers


def _header_maps(headers: Sequence[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value  # the last value wins, as in API Gateway's `headers`
        multi.setdefault(name, []).append(value)
    return single, multi


def query_maps(query: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``queryStringParameters`` (the last value wins) and ``multiValueQueryStringParameters``."""
    params: dict[str, str] = {}
    multi_params: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params[name] = value
        multi_params.setdefault(name, []).append(value)
    return params, multi_params


def header_maps(headers: Sequence[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``headers`` (the last value wins) and ``multiValueHeaders``."""
    return _header_maps(headers)


def authorizer_request_context(
    api: Api, peer: Peer, *, now: float, request_id: str
) -> dict[str, Any]:
    """The ``requestContext`` of a REQUEST authorizer's event (identity: the source IP only)."""
    context = _request_context(api, peer, "$connect", "CONNECT", now, request_id)
    context["identity"] = {"sourceIp": peer.source_ip}
    context.pop("authorizer", None)
    return context


def connect_event(
    api: Api,
    peer: Peer,
    *,
    headers: Sequence[tuple[str, str]],
    query: str,
    now: float,
    request_id: str,
) -> dict[str, Any]:
    """The `$connect` event: headers, multiValueHeaders, query parameters when a query was sent."""
    single, multi = _header_maps(headers)
    event: dict[str, Any] = {"headers": single, "multiValueHeaders": multi}
    params, multi_params = query_maps(query)
    if params:
        event["queryStringParameters"] = params
        event["multiValueQueryStringParameters"] = multi_params
    context = _request_context(api, peer, "$connect", "CONNECT", now, request_id)
    # API Gateway sends these as null on $connect.
    context.update(messageId=None, disconnectStatusCode=None, disconnectReason=None)
    event["requestContext"] = context
    event["isBase64Encoded"] = False
    return event


def message_event(
    api: Api,
    peer: Peer,
    *,
    route_key: str,
    data: str | bytes,
    now: float,
    request_id: str,
) -> dict[str, Any]:
    """A message event: text frames as ``body``; binary frames base64 with ``isBase64Encoded``."""
    context = _request_context(api, peer, route_key, "MESSAGE", now, request_id)
    context["messageId"] = ids.message_id()
    if isinstance(data, str):
        return {"requestContext": context, "body": data, "isBase64Encoded": False}
    body = base64.b64encode(data).decode("ascii")
    return {"requestContext": context, "body": body, "isBase64Encoded": True}


def disconnect_event(
    api: Api,
    peer: Peer,
    *,
    status_code: int,
    reason: str,
    now: float,
    request_id: str,
) -> dict[str, Any]:
    """The `$disconnect` event, with the fixed headers API Gateway sends and the close code and reason."""
    headers = [
        ("Host", api.domain_name),
        ("x-api-key", ""),
        ("X-Forwarded-For", ""),
        ("x-restapi", ""),
    ]
    single, multi = _header_maps(headers)
    context = _request_context(api, peer, "$disconnect", "DISCONNECT", now, request_id)
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    return {
        "headers": single,
        "multiValueHeaders": multi,
        "requestContext": context,
        "isBase64Encoded": False,
    }
