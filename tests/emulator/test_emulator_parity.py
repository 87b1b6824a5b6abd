"""Parity suite: the emulator against API Gateway's and Lambda's documented behaviour.

One test per behaviour; each docstring names the AWS documentation page it follows
(AWS developer guides, path under docs.aws.amazon.com). Handlers are the tests' own:
callables (run in-process) and `tests.emulator.parity_handlers` functions loaded by
name (run in worker processes). Clients are real `websockets` clients; `@connections`
calls go through boto3's `apigatewaymanagementapi` client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from emulator import DynamoDB, Emulator, Function
from tests.waiting import eventually

EmulatorFactory = Callable[..., Awaitable[Emulator]]

HANDLERS = "tests.emulator.parity_handlers"
CONNECTION_ID = re.compile(r"^[A-Za-z0-9]{15}=$")
REQUEST_TIME = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")


def handler(name: str) -> str:
    return f"{HANDLERS}.{name}"


class Recorder:
    """An in-process handler that keeps every event it gets and answers ``result``."""

    def __init__(self, result: Any = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.result = {"statusCode": 200} if result is None else result
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self._lock:
            self.events.append(event)
        return self.result

    def routes(self) -> list[str]:
        return [event["requestContext"]["routeKey"] for event in self.events]


def management(emu: Emulator) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=emu.management_url,
        region_name="us-east-1",
        **emu.credentials.client_kwargs(),
        config=Config(retries={"max_attempts": 1}),
    )


async def recv_json(ws: ClientConnection, timeout: float = 10) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


MARKER = '{"action": "marker"}'
"""A message for the two-way ``marker`` route (`marker_route`), which echoes it back."""


def marker_route() -> dict[str, str]:
    """Routes that let a test prove nothing else was sent (see `next_is_marker`)."""
    return {"marker": handler("echo")}


async def next_is_marker(ws: ClientConnection) -> bool:
    """Send `MARKER` and check it is the next message received. A connection's events
    reach handlers one at a time and in order, so anything sent to the client before
    the marker's reply (a reply that should not exist) arrives first: unlike waiting
    for a quiet moment, no timing makes this pass falsely."""
    await ws.send(MARKER)
    return bool(await asyncio.wait_for(ws.recv(), 30) == MARKER)


async def http(
    emu: Emulator, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(emu.host, emu.port)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {emu.host}:{emu.port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


# Handshake


@pytest.mark.parametrize("path", ["/local", "/local/", "/local/anything", "/local/a/b?c=d"])
async def test_plain_http_request_gets_426(apigw_emulator: EmulatorFactory, path: str) -> None:
    """A request without Upgrade to the stage, or any path under it but ``@connections``, gets 426.
    AWS: API Gateway developer guide, "Invoke WebSocket APIs" (apigateway-how-to-call-websocket-api.html):
    the endpoint only speaks WebSocket (verified against a deployed API)."""
    emu = await apigw_emulator({"$default": Recorder()})
    status, _ = await http(emu, "GET", path)
    assert status == 426


async def test_wrong_path_gets_403(apigw_emulator: EmulatorFactory) -> None:
    """Another stage or path is refused with 403 ``{"message":"Forbidden"}``, as API Gateway answers for
    unknown resources. AWS: API Gateway developer guide, "Invoke WebSocket APIs" (apigateway-how-to-call-websocket-api.html)."""
    emu = await apigw_emulator({"$default": Recorder()})
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"ws://{emu.host}:{emu.port}/prod"):
            pass
    assert refused.value.response.status_code == 403
    status, body = await http(emu, "GET", "/elsewhere")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})


async def test_without_connect_route_the_connection_is_accepted(
    apigw_emulator: EmulatorFactory,
) -> None:
    """No `$connect` route: every handshake succeeds. AWS: API Gateway developer guide, "Manage connected users
    and client apps: $connect and $disconnect routes" (apigateway-websocket-api-route-keys-connect-disconnect.html)."""
    emu = await apigw_emulator({"$default": handler("echo")}, two_way_routes=["$default"])
    async with connect(emu.url) as ws:
        await ws.send("hello")
        assert await asyncio.wait_for(ws.recv(), 10) == "hello"


async def test_connect_returning_non_2xx_refuses_with_that_status(
    apigw_emulator: EmulatorFactory,
) -> None:
    """A `$connect` result with statusCode 401 refuses the handshake with 401; no `$disconnect` follows.
    AWS: API Gateway developer guide, "Manage connected users and client apps: $connect and $disconnect routes"."""
    disconnects = Recorder()
    emu = await apigw_emulator(
        {"$connect": Recorder({"statusCode": 401}), "$disconnect": disconnects}
    )
    with pytest.raises(InvalidStatus) as refused:
        async with connect(emu.url):
            pass
    assert refused.value.response.status_code == 401
    await emu.stop()
    assert disconnects.events == []


@pytest.mark.parametrize("name", ["boom", "nothing"])
async def test_connect_raising_or_returning_nothing_refuses_with_502(
    apigw_emulator: EmulatorFactory, name: str
) -> None:
    """A `$connect` handler that raises, or returns nothing, is an integration failure: 502.
    AWS: API Gateway developer guide, "Set up a WebSocket API integration request in API Gateway"
    (apigateway-websocket-api-integration-requests.html) and the Lambda proxy response format."""
    emu = await apigw_emulator({"$connect": handler(name), "$default": Recorder()})
    with pytest.raises(InvalidStatus) as refused:
        async with connect(emu.url):
            pass
    assert refused.value.response.status_code == 502


async def test_subprotocol_echoed_only_when_connect_returns_it(
    apigw_emulator: EmulatorFactory,
) -> None:
    """The server answers Sec-WebSocket-Protocol only when `$connect` returns that header.
    AWS: API Gateway developer guide, "Use WebSocket subprotocols" (websocket-connect-route-subprotocol.html)."""

    def choose(event: dict[str, Any], context: Any) -> dict[str, Any]:
        offered = event["headers"].get("Sec-WebSocket-Protocol", "")
        if "chat" in offered:
            return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}}
        return {"statusCode": 200}

    emu = await apigw_emulator({"$connect": choose, "$default": Recorder()})
    async with connect(emu.url, subprotocols=["chat", "other"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat"
    async with connect(emu.url, subprotocols=["other"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol is None
        assert ws.response is not None and "Sec-WebSocket-Protocol" not in ws.response.headers


async def test_connection_does_not_exist_until_connect_returns(
    apigw_emulator: EmulatorFactory,
) -> None:
    """A post to the connection from `$connect` gets 410 GoneException: the connection exists once `$connect`
    returns. AWS: API Gateway developer guide, "Manage connected users and client apps: $connect and $disconnect routes"."""
    outcome: list[str] = []

    def post_to_self(event: dict[str, Any], context: Any) -> dict[str, Any]:
        client = management(emu)
        try:
            client.post_to_connection(
                ConnectionId=event["requestContext"]["connectionId"], Data=b"too early"
            )
            outcome.append("delivered")
        except client.exceptions.GoneException:
            outcome.append("gone")
        return {"statusCode": 200}

    emu = await apigw_emulator(
        {"$connect": post_to_self, "$default": Recorder(), **marker_route()},
        two_way_routes=["marker"],
    )
    async with connect(emu.url) as ws:
        assert outcome == ["gone"]
        assert await next_is_marker(ws)


async def test_connect_event_has_the_documented_fields(apigw_emulator: EmulatorFactory) -> None:
    """`$connect` gets headers and multiValueHeaders as behind API Gateway (X-Forwarded-*, Sec-WebSocket-*),
    query parameters, and the request context. AWS: API Gateway developer guide, "Set up a WebSocket API integration
    request in API Gateway", section "Input format of a Lambda function for proxy integration for WebSocket APIs"."""
    connects = Recorder()
    emu = await apigw_emulator({"$connect": connects, "$default": Recorder()}, stage="dev")
    before = time.time()
    async with connect(
        f"{emu.url}?name=ann&tag=a&tag=b", additional_headers={"Origin": "http://example.com"}
    ):
        pass
    event = connects.events[0]
    headers, multi = event["headers"], event["multiValueHeaders"]
    for name in [
        "Host",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions",
        "X-Amzn-Trace-Id",
    ]:
        assert name in headers
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Port"] == str(emu.port)
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["Origin"] == "http://example.com"
    assert "Connection" not in headers and "Upgrade" not in headers
    assert multi["Sec-WebSocket-Version"] == ["13"]
    assert event["queryStringParameters"] == {"name": "ann", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"name": ["ann"], "tag": ["a", "b"]}
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["routeKey"] == "$connect" and context["eventType"] == "CONNECT"
    assert (
        context["messageDirection"] == "IN"
        and context["stage"] == "dev"
        and context["apiId"] == emu.api_id
    )
    assert CONNECTION_ID.match(context["connectionId"])
    assert (
        CONNECTION_ID.match(context["requestId"])
        and context["extendedRequestId"] == context["requestId"]
    )
    assert REQUEST_TIME.match(context["requestTime"])
    assert abs(context["requestTimeEpoch"] / 1000 - before) < 5
    assert context["connectedAt"] <= context["requestTimeEpoch"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == headers["User-Agent"]
    # API Gateway sends these three as null on $connect (they belong to other events).
    assert context["messageId"] is None
    assert context["disconnectStatusCode"] is None and context["disconnectReason"] is None
    # Deliberate deviation: AWS's domainName has no port; here it carries the emulator's,
    # so that handlers building https://{domainName}/{stage} reach this emulator.
    assert context["domainName"] == f"{emu.host}:{emu.port}"


async def test_connect_without_user_agent_has_a_null_user_agent(
    apigw_emulator: EmulatorFactory,
) -> None:
    """A client that sends no User-Agent gets ``identity.userAgent`` null (not ""), in every event and in GET
    @connections. AWS: API Gateway developer guide, "Set up a WebSocket API integration request in API Gateway",
    section "Input format of a Lambda function for proxy integration for WebSocket APIs" (its example shows null)."""
    seen = Recorder()
    emu = await apigw_emulator({"$connect": seen, "$default": seen})
    async with connect(emu.url, user_agent_header=None) as ws:
        await ws.send("hello")
        await eventually(lambda: len(seen.events) == 2)
        info = await asyncio.to_thread(
            management(emu).get_connection, ConnectionId=emu.connection_ids[0]
        )
    assert [e["requestContext"]["identity"]["userAgent"] for e in seen.events] == [None, None]
    assert "UserAgent" not in info["Identity"] or info["Identity"]["UserAgent"] is None


async def test_connect_event_without_query_has_no_query_parameters(
    apigw_emulator: EmulatorFactory,
) -> None:
    """queryStringParameters appear only when the client sent a query string. AWS: API Gateway developer guide,
    "Set up a WebSocket API integration request in API Gateway" (apigateway-websocket-api-integration-requests.html)."""
    connects = Recorder()
    emu = await apigw_emulator({"$connect": connects})
    async with connect(emu.url):
        pass
    assert "queryStringParameters" not in connects.events[0]
    assert "multiValueQueryStringParameters" not in connects.events[0]


# Routing


async def test_nested_selection_path_routes(apigw_emulator: EmulatorFactory) -> None:
    """``$request.body.a.b`` selects on a nested member; ``${...}`` is the same. AWS: API Gateway developer guide,
    "Create routes for WebSocket APIs in API Gateway", section "Route selection expressions" (websocket-api-develop-routes.html)."""
    for expression in ["$request.body.a.b", "${request.body.a.b}"]:
        seen = Recorder()
        emu = await apigw_emulator(
            {"go": seen, "$default": seen}, route_selection_expression=expression
        )
        async with connect(emu.url) as ws:
            await ws.send(json.dumps({"a": {"b": "go"}}))
            await ws.send(json.dumps({"a": "go"}))
            await ws.send(json.dumps({"b": "go"}))
            await eventually(lambda seen=seen: len(seen.events) == 3)
        assert seen.routes() == ["go", "$default", "$default"]


async def test_non_string_values_match_by_json_text(apigw_emulator: EmulatorFactory) -> None:
    """Numbers and booleans are turned into their JSON text before matching (1 -> "1", true -> "true"); null
    matches nothing. AWS: API Gateway developer guide, "Create routes for WebSocket APIs", "Route selection expressions"."""
    seen = Recorder()
    emu = await apigw_emulator({"1": seen, "true": seen, "1.5": seen, "$default": seen})
    async with connect(emu.url) as ws:
        for value in [1, True, 1.5, None, "1"]:
            await ws.send(json.dumps({"action": value}))
        await eventually(lambda: len(seen.events) == 5)
    assert seen.routes() == ["1", "true", "1.5", "$default", "1"]


async def test_non_json_and_unmatched_messages_go_to_default(
    apigw_emulator: EmulatorFactory,
) -> None:
    """A body that is not JSON, lacks the member, or names no route goes to `$default`. AWS: API Gateway developer
    guide, "Create routes for WebSocket APIs in API Gateway" (websocket-api-develop-routes.html)."""
    seen = Recorder()
    emu = await apigw_emulator({"known": seen, "$default": seen})
    async with connect(emu.url) as ws:
        for body in [
            "not json",
            "[1, 2]",
            '{"other": 1}',
            '{"action": "unknown"}',
            '{"action": "known"}',
        ]:
            await ws.send(body)
        await eventually(lambda: len(seen.events) == 5)
    assert seen.routes() == ["$default"] * 4 + ["known"]


async def test_without_default_unmatched_messages_get_forbidden(
    apigw_emulator: EmulatorFactory,
) -> None:
    """With no `$default`, an unmatched message gets ``{"message": "Forbidden", ...}`` with a fresh requestId each
    time, and the connection stays open. AWS: API Gateway developer guide, "Create routes for WebSocket APIs in API Gateway"."""
    emu = await apigw_emulator({"known": handler("echo")}, two_way_routes=["known"])
    async with connect(emu.url) as ws:
        connection_id = emu.connection_ids[0]
        await ws.send("not json")
        first = await recv_json(ws)
        await ws.send('{"action": "nope"}')
        second = await recv_json(ws)
        await ws.send('{"action": "known"}')
        assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"action": "known"}
    assert set(first) == {"message", "connectionId", "requestId"}
    assert first["message"] == second["message"] == "Forbidden"
    assert first["connectionId"] == second["connectionId"] == connection_id
    assert first["requestId"] != second["requestId"]


# Errors and replies


async def test_handler_error_sends_internal_server_error_and_connection_stays_open(
    apigw_emulator: EmulatorFactory,
) -> None:
    """A message handler that raises or returns nothing gets the client ``{"message": "Internal server error",
    "connectionId", "requestId"}`` (three keys, fresh requestId); the connection and everyone else carry on.
    AWS: API Gateway developer guide, "Set up a WebSocket API integration request in API Gateway" and
    "Troubleshooting WebSocket APIs" (websocket-api-troubleshooting.html)."""
    emu = await apigw_emulator(
        {"boom": handler("boom"), "nothing": handler("nothing"), "$default": handler("echo")},
        two_way_routes=["$default"],
    )
    async with connect(emu.url) as ws, connect(emu.url) as other:
        errors = []
        for action in ["boom", "nothing", "boom"]:
            await ws.send(json.dumps({"action": action}))
            errors.append(await recv_json(ws))
        await other.send("still served")
        assert await asyncio.wait_for(other.recv(), 10) == "still served"
        await ws.send("and me")
        assert await asyncio.wait_for(ws.recv(), 10) == "and me"
    for error in errors:
        assert set(error) == {"message", "connectionId", "requestId"}
        assert error["message"] == "Internal server error"
        assert CONNECTION_ID.match(error["requestId"])
    assert len({error["requestId"] for error in errors}) == 3


async def test_one_way_route_sends_nothing_back(apigw_emulator: EmulatorFactory) -> None:
    """Without a route response the handler's body is not sent. AWS: API Gateway developer guide,
    "Set up a route response for a WebSocket API in API Gateway" (apigateway-websocket-api-route-response.html)."""
    emu = await apigw_emulator(
        {"$default": handler("echo"), **marker_route()}, two_way_routes=["marker"]
    )
    async with connect(emu.url) as ws:
        await ws.send("hello")
        assert await next_is_marker(ws)
    assert emu.metrics.invocations["$default"] == 1


async def test_two_way_route_sends_the_returned_body(apigw_emulator: EmulatorFactory) -> None:
    """With a route response, the returned ``body`` goes to the caller (and a result without body sends nothing).
    AWS: API Gateway developer guide, "Set up a route response for a WebSocket API in API Gateway"."""
    emu = await apigw_emulator(
        {"$default": handler("echo"), "quiet": handler("ok"), **marker_route()},
        two_way_routes=["$default", "quiet", "marker"],
    )
    async with connect(emu.url) as ws:
        await ws.send('{"action": "quiet"}')
        await ws.send("héllo")
        assert await asyncio.wait_for(ws.recv(), 10) == "héllo"
        assert await next_is_marker(ws)


async def test_message_event_fields(apigw_emulator: EmulatorFactory) -> None:
    """Messages arrive as ``body`` (a string) with messageId, eventType MESSAGE and the connection's connectedAt.
    AWS: API Gateway developer guide, "Set up a WebSocket API integration request in API Gateway"."""
    emu = await apigw_emulator({"$default": handler("event")}, two_way_routes=["$default"])
    async with connect(emu.url) as ws:
        await ws.send('{"action": "x"}')
        event = await recv_json(ws)
        await ws.send("again")
        again = await recv_json(ws)
    assert event["body"] == '{"action": "x"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["routeKey"] == "$default" and context["eventType"] == "MESSAGE"
    assert context["messageDirection"] == "IN" and CONNECTION_ID.match(context["messageId"])
    assert REQUEST_TIME.match(context["requestTime"])
    assert again["requestContext"]["connectedAt"] == context["connectedAt"]
    assert again["requestContext"]["messageId"] != context["messageId"]
    assert again["requestContext"]["requestId"] != context["requestId"]
    assert "headers" not in event


async def test_binary_frames_arrive_base64_encoded(apigw_emulator: EmulatorFactory) -> None:
    """A binary frame reaches `$default` base64-encoded with isBase64Encoded true. AWS: API Gateway developer
    guide, "Binary media types for WebSocket APIs in API Gateway" (websocket-api-develop-binary-media-types.html)."""
    seen = Recorder()
    emu = await apigw_emulator({"known": seen, "$default": seen})
    async with connect(emu.url) as ws:
        await ws.send(b'{"action": "known"}\xff\x00')
        await eventually(lambda: len(seen.events) == 1)
    event = seen.events[0]
    assert event["requestContext"]["routeKey"] == "$default"
    assert event["isBase64Encoded"] is True
    assert event["body"] == "eyJhY3Rpb24iOiAia25vd24iff8A"


# @connections


async def test_post_delivers_the_exact_bytes(apigw_emulator: EmulatorFactory) -> None:
    """POST @connections/{id} answers 200 and delivers the bytes: a text frame when they are UTF-8, else binary.
    AWS: API Gateway developer guide, "Use @connections commands in your backend service"
    (apigateway-how-to-call-websocket-api-connections.html)."""
    emu = await apigw_emulator(
        {"$default": handler("post_to_self")},
        environment=lambda e: {"CONNECTIONS_URL": e.management_url},
    )
    async with connect(emu.url) as ws:
        await ws.send(json.dumps({"data": 'héllo {"x": 1}'}))
        assert await asyncio.wait_for(ws.recv(), 10) == 'héllo {"x": 1}'
        await ws.send(json.dumps({"bytes": [0, 255, 1]}))
        assert await asyncio.wait_for(ws.recv(), 10) == b"\x00\xff\x01"
        connection_id = emu.connection_ids[0]
        answer = await asyncio.to_thread(
            management(emu).post_to_connection, ConnectionId=connection_id, Data=b"direct"
        )
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert await asyncio.wait_for(ws.recv(), 10) == "direct"
    assert emu.metrics.connections_api[("POST", 200)] == 3


async def test_post_over_128_kb_is_413(apigw_emulator: EmulatorFactory) -> None:
    """A POST over 128 KB (131072 bytes) fails with 413 PayloadTooLargeException; exactly 128 KB is delivered.
    AWS: API Gateway developer guide, "Amazon API Gateway quotas", WebSocket APIs (limits.html)."""
    emu = await apigw_emulator({"$default": Recorder()})
    client = management(emu)
    async with connect(emu.url, max_size=None) as ws:
        connection_id = emu.connection_ids[0]
        with pytest.raises(client.exceptions.PayloadTooLargeException):
            await asyncio.to_thread(
                client.post_to_connection, ConnectionId=connection_id, Data=b"x" * 131073
            )
        await asyncio.to_thread(
            client.post_to_connection, ConnectionId=connection_id, Data=b"y" * 131072
        )
        assert await asyncio.wait_for(ws.recv(), 10) == "y" * 131072


async def test_get_connection_returns_its_fields(apigw_emulator: EmulatorFactory) -> None:
    """GET @connections/{id} returns ConnectedAt, LastActiveAt and Identity (SourceIp, UserAgent).
    AWS: API Gateway developer guide, "Use @connections commands in your backend service"; boto3 GetConnection."""
    emu = await apigw_emulator({"$default": Recorder()})
    async with connect(emu.url, user_agent_header="parity-test/1.0") as ws:
        connection_id = emu.connection_ids[0]
        first = await asyncio.to_thread(management(emu).get_connection, ConnectionId=connection_id)
        await asyncio.sleep(0.05)
        await ws.send("activity")
        await eventually(lambda: emu.metrics.messages_in == 1)
        second = await asyncio.to_thread(management(emu).get_connection, ConnectionId=connection_id)
    assert first["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "parity-test/1.0"}
    assert abs(first["ConnectedAt"].timestamp() - time.time()) < 10
    assert first["LastActiveAt"] >= first["ConnectedAt"]
    assert second["LastActiveAt"] > first["LastActiveAt"]
    assert second["ConnectedAt"] == first["ConnectedAt"]


async def test_delete_is_204_then_gone(apigw_emulator: EmulatorFactory) -> None:
    """DELETE @connections/{id} answers 204 and closes the connection; after that every call is 410.
    AWS: API Gateway developer guide, "Use @connections commands in your backend service"."""
    emu = await apigw_emulator({"$default": Recorder()})
    client = management(emu)
    async with connect(emu.url) as ws:
        connection_id = emu.connection_ids[0]
        answer = await asyncio.to_thread(client.delete_connection, ConnectionId=connection_id)
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
        await asyncio.wait_for(ws.wait_closed(), 10)
    for call in (client.post_to_connection, client.get_connection, client.delete_connection):
        kwargs: dict[str, Any] = {"ConnectionId": connection_id}
        if call == client.post_to_connection:
            kwargs["Data"] = b"late"
        with pytest.raises(client.exceptions.GoneException):
            await asyncio.to_thread(call, **kwargs)


async def test_unknown_connection_is_gone(apigw_emulator: EmulatorFactory) -> None:
    """Any call on an unknown connection is 410 GoneException, with API Gateway's error header and body.
    AWS: API Gateway developer guide, "Use @connections commands in your backend service"."""
    emu = await apigw_emulator({"$default": Recorder()})
    client = management(emu)
    with pytest.raises(client.exceptions.GoneException) as gone:
        await asyncio.to_thread(
            client.post_to_connection, ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x"
        )
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert (
        gone.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"]
        == "GoneException"
    )
    assert emu.metrics.connections_api[("POST", 410)] == 1


@pytest.mark.parametrize("connection_id", ["not-an-id", "AAAA", "AAAAAAAAAAAAAAAA", "A" * 15 + "!"])
@pytest.mark.parametrize("method", ["post_to_connection", "get_connection", "delete_connection"])
async def test_malformed_connection_id_is_400(
    apigw_emulator: EmulatorFactory, method: str, connection_id: str
) -> None:
    """A connection id not in API Gateway's format (16 characters: 15 base64 characters and ``=``) is refused
    with 400 ``Invalid connectionId: <id>``; a well-formed id that is gone stays 410 (above). AWS: API Gateway
    developer guide, "Use @connections commands in your backend service" (verified against a deployed API)."""
    emu = await apigw_emulator({"$default": Recorder()})
    client = management(emu)
    kwargs: dict[str, Any] = {"ConnectionId": connection_id}
    if method == "post_to_connection":
        kwargs["Data"] = b"x"
    with pytest.raises(ClientError) as refused:
        await asyncio.to_thread(getattr(client, method), **kwargs)
    answer = refused.value.response
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert answer["Error"]["Message"] == f"Invalid connectionId: {connection_id}"


# Limits


async def test_frame_over_32_kb_closes_with_1009(apigw_emulator: EmulatorFactory) -> None:
    """A frame over 32 KB closes the connection with 1009. AWS: API Gateway developer guide,
    "Amazon API Gateway quotas", WebSocket APIs: frame size 32 KB (limits.html)."""
    seen = Recorder()
    emu = await apigw_emulator({"$default": seen})
    async with connect(emu.url) as ws:
        await ws.send("x" * (32 * 1024))  # exactly 32 KB is fine
        await eventually(lambda: len(seen.events) == 1)
        await ws.send("x" * (32 * 1024 + 1))
        await asyncio.wait_for(ws.wait_closed(), 10)
    assert ws.close_code == 1009


async def test_message_over_128_kb_closes_with_1009(apigw_emulator: EmulatorFactory) -> None:
    """A message over 128 KB, even in 32 KB frames, closes the connection with 1009; 128 KB in four frames is one
    message. AWS: API Gateway developer guide, "Amazon API Gateway quotas", WebSocket APIs: message payload 128 KB."""
    seen = Recorder()
    emu = await apigw_emulator({"$default": seen})
    frame = "x" * (32 * 1024)
    async with connect(emu.url) as ws:
        await ws.send([frame] * 4)
        await eventually(lambda: len(seen.events) == 1)
        assert len(seen.events[0]["body"]) == 128 * 1024
        await ws.send([frame] * 4 + ["x"])
        await asyncio.wait_for(ws.wait_closed(), 10)
    assert ws.close_code == 1009
    assert len(seen.events) == 1


async def test_idle_connection_is_closed_with_1001(apigw_emulator: EmulatorFactory) -> None:
    """A connection with no messages for the idle timeout (10 minutes; shortened here) is closed with 1001 Going away;
    messages keep it alive. AWS: API Gateway developer guide, "Amazon API Gateway quotas", WebSocket APIs: idle timeout."""
    # Messages every 0.2 s keep a 2 s idle timeout at bay for 4 s (a wide margin for a
    # loaded machine's late wake-ups); then silence closes it.
    emu = await apigw_emulator({"$default": Recorder()}, idle_timeout=2.0)
    async with connect(emu.url) as ws:
        for _ in range(20):
            await asyncio.sleep(0.2)
            await ws.send("keep alive")
        assert emu.connection_ids  # 4 s old, never idle for 2 s
        await asyncio.wait_for(ws.wait_closed(), 10)
    assert (ws.close_code, ws.close_reason) == (1001, "Going away")


async def test_connection_is_closed_after_maximum_duration(apigw_emulator: EmulatorFactory) -> None:
    """Even a busy connection is closed with 1001 after the maximum duration (2 hours; shortened here).
    AWS: API Gateway developer guide, "Amazon API Gateway quotas", WebSocket APIs: connection duration."""
    emu = await apigw_emulator({"$default": Recorder()}, max_connection_duration=0.5)
    started = time.monotonic()
    async with connect(emu.url) as ws:
        with pytest.raises(ConnectionClosed):  # noqa: PT012 - the loop is the one statement that must end in it
            while True:
                await ws.send("busy")
                await asyncio.sleep(0.05)
        await asyncio.wait_for(ws.wait_closed(), 10)
    assert ws.close_code == 1001
    assert 0.4 < time.monotonic() - started < 5


# $disconnect and ordering


async def _close_by_client(ws: ClientConnection, emu: Emulator) -> None:
    await ws.close(1000, "bye")


async def _close_without_status(ws: ClientConnection, emu: Emulator) -> None:
    await ws.close(None, "")  # type: ignore[arg-type]


async def _drop_network(ws: ClientConnection, emu: Emulator) -> None:
    ws.transport.abort()


async def _delete_connection(ws: ClientConnection, emu: Emulator) -> None:
    await asyncio.to_thread(management(emu).delete_connection, ConnectionId=emu.connection_ids[0])


async def _wait_for_idle(ws: ClientConnection, emu: Emulator) -> None:
    await asyncio.sleep(0.5)  # idle_timeout is 0.3 s here


async def _outlive_max_duration(ws: ClientConnection, emu: Emulator) -> None:
    for _ in range(20):
        await asyncio.sleep(0.05)
        if not emu.connection_ids:
            return
        await ws.send("busy")


async def _send_too_big(ws: ClientConnection, emu: Emulator) -> None:
    await ws.send("x" * 40000)


@pytest.mark.parametrize(
    ("close", "limits", "expected"),
    [
        (_close_by_client, {}, (1000, "bye")),
        (_close_without_status, {}, (1005, "Client-side close frame status not set")),
        (_drop_network, {}, (1006, "Connection Closed Abnormally")),
        (_delete_connection, {}, (1000, "Connection Closed Normally")),
        (_wait_for_idle, {"idle_timeout": 0.3}, (1001, "Going away")),
        (_outlive_max_duration, {"max_connection_duration": 0.4}, (1001, "Going away")),
        (_send_too_big, {}, (1009, "Message too big")),
    ],
    ids=[
        "client-close",
        "client-close-no-status",
        "network-drop",
        "delete",
        "idle-timeout",
        "max-duration",
        "1009",
    ],
)
async def test_disconnect_runs_exactly_once_with_status_and_reason(
    apigw_emulator: EmulatorFactory,
    close: Callable[[ClientConnection, Emulator], Awaitable[None]],
    limits: dict[str, float],
    expected: tuple[int, str],
) -> None:
    """`$disconnect` runs once for every connection that opened, whoever closed it, with disconnectStatusCode and
    disconnectReason and API Gateway's fixed headers. AWS: API Gateway developer guide, "Manage connected users and
    client apps: $connect and $disconnect routes" and "Set up a WebSocket API integration request in API Gateway"."""
    disconnects = Recorder()
    # Each variant shortens only the limit it tests (a short limit would race the others).
    emu = await apigw_emulator({"$disconnect": disconnects, "$default": Recorder()}, **limits)
    async with connect(emu.url, close_timeout=2) as ws:
        await close(ws, emu)
        await eventually(lambda: len(disconnects.events) == 1)
    await emu.stop()
    assert len(disconnects.events) == 1
    event = disconnects.events[0]
    context = event["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == expected
    assert context["routeKey"] == "$disconnect" and context["eventType"] == "DISCONNECT"
    assert event["headers"] == {
        "Host": context["domainName"],
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    assert emu.metrics.connections_closed == 1


async def test_events_of_a_connection_reach_handlers_in_order(
    apigw_emulator: EmulatorFactory,
) -> None:
    """Per connection, `$connect`, each message and `$disconnect` reach handlers one at a time in the order they
    happened, even when handlers take varying time. AWS: API Gateway developer guide, "Overview of WebSocket APIs in
    API Gateway" (apigateway-websocket-api-overview.html)."""
    order: list[tuple[str, str]] = []
    running = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow_in_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with lock:
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
        body = event.get("body") or event["requestContext"]["routeKey"]
        time.sleep(0.02 if body.endswith("0") else 0.001)
        with lock:
            order.append((event["requestContext"]["connectionId"], body))
            running["now"] -= 1
        return {"statusCode": 200}

    emu = await apigw_emulator(
        {"$connect": slow_in_order, "$default": slow_in_order, "$disconnect": slow_in_order}
    )
    async with connect(emu.url) as a, connect(emu.url) as b:
        for i in range(20):
            await a.send(f"a{i}")
            await b.send(f"b{i}")
    await emu.stop()
    for prefix in "ab":
        mine = [body for _, body in order if body.startswith((prefix, "$"))]
        assert [body for body in mine if body.startswith(prefix)] == [
            f"{prefix}{i}" for i in range(20)
        ]
    per_connection: dict[str, list[str]] = {}
    for connection_id, body in order:
        per_connection.setdefault(connection_id, []).append(body)
    for bodies in per_connection.values():
        assert bodies[0] == "$connect" and bodies[-1] == "$disconnect" and len(bodies) == 22
    assert running["max"] >= 2  # the two connections were served concurrently


# Lambda runtime


async def test_handlers_get_the_configured_environment(apigw_emulator: EmulatorFactory) -> None:
    """Handlers see the configured variables (computed once the port is known), dummy credentials, the region and
    Lambda's own variables. AWS: Lambda developer guide, "Working with Lambda environment variables" (configuration-envvars.html)."""
    emu = await apigw_emulator(
        {
            "$default": Function(
                handler("environment"), name="env-reader", environment={"OWN": "mine"}
            )
        },
        two_way_routes=["$default"],
        environment=lambda e: {"GREETING": "hello", "CONNECTIONS_URL": e.management_url},
        region="eu-west-1",
    )
    names = [
        "GREETING",
        "CONNECTIONS_URL",
        "OWN",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_LAMBDA_FUNCTION_NAME",
    ]
    async with connect(emu.url) as ws:
        await ws.send(json.dumps({"names": names}))
        values = await recv_json(ws)
    assert values["GREETING"] == "hello" and values["OWN"] == "mine"
    assert values["CONNECTIONS_URL"] == emu.management_url == f"http://127.0.0.1:{emu.port}/local"
    assert values["AWS_REGION"] == "eu-west-1" and values["AWS_ACCESS_KEY_ID"]
    assert values["AWS_LAMBDA_FUNCTION_NAME"] == "env-reader"


async def test_module_is_imported_once_and_kept_warm(apigw_emulator: EmulatorFactory) -> None:
    """The handler's module is imported once per execution environment and reused between invocations.
    AWS: Lambda developer guide, "Understanding the Lambda execution environment lifecycle" (lambda-runtime-environment.html)."""
    emu = await apigw_emulator({"$default": handler("warm")}, two_way_routes=["$default"])
    answers = []
    async with connect(emu.url) as ws:
        for _ in range(3):
            await ws.send("again")
            answers.append(await recv_json(ws))
    assert [a["imports"] for a in answers] == [1, 1, 1]
    assert [a["calls"] for a in answers] == [1, 2, 3]
    assert len({a["pid"] for a in answers}) == 1


async def test_context_has_lambdas_fields(apigw_emulator: EmulatorFactory) -> None:
    """The context has aws_request_id, function_name, function_version, invoked_function_arn, memory_limit_in_mb,
    log_group_name, log_stream_name and get_remaining_time_in_millis(). AWS: Lambda developer guide, "Using the Lambda
    context object to retrieve Python function information" (python-context.html)."""
    emu = await apigw_emulator(
        {"$default": Function(handler("context_fields"), name="ctx", memory_mb=256)},
        two_way_routes=["$default"],
        region="us-west-2",
        account_id="111122223333",
    )
    async with connect(emu.url) as ws:
        await ws.send("context")
        fields = await recv_json(ws)
        await ws.send("context")
        again = await recv_json(ws)
    assert (
        re.match(r"^[0-9a-f-]{36}$", fields["aws_request_id"])
        and again["aws_request_id"] != fields["aws_request_id"]
    )
    assert fields["function_name"] == "ctx" and fields["function_version"] == "$LATEST"
    assert fields["invoked_function_arn"] == "arn:aws:lambda:us-west-2:111122223333:function:ctx"
    assert fields["memory_limit_in_mb"] == "256"
    assert fields["log_group_name"] == "/aws/lambda/ctx"
    assert re.match(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", fields["log_stream_name"])
    assert again["log_stream_name"] == fields["log_stream_name"]  # same warm environment
    assert 27000 < fields["remaining"] <= 29000


async def test_integration_timeout_sends_internal_server_error(
    apigw_emulator: EmulatorFactory,
) -> None:
    """A handler running past the integration timeout (29 s; shortened here) gets the client an Internal server error;
    its worker is replaced and the next message is served. AWS: API Gateway developer guide, "Amazon API Gateway
    quotas": integration timeout 29 seconds (limits.html)."""
    # Long enough for the replacement worker's cold start on a loaded machine (it counts
    # towards the timeout), far shorter than the handler's sleep.
    timeout = 10.0
    emu = await apigw_emulator(
        {"$default": handler("sleep")}, two_way_routes=["$default"], integration_timeout=timeout
    )
    async with connect(emu.url) as ws:
        await ws.send(json.dumps({"seconds": 0}))  # warm up: the first start of a worker counts too
        first = await recv_json(ws, 30)
        started = time.monotonic()
        await ws.send(json.dumps({"seconds": 600}))
        error = await recv_json(ws, 60)
        assert timeout <= time.monotonic() - started < 60  # at the timeout, not the handler's end
        await ws.send(json.dumps({"seconds": 0}))
        after = await recv_json(ws, 30)
    assert error["message"] == "Internal server error"
    assert after["slept"] == 0 and after["pid"] != first["pid"]
    assert emu.metrics.invocation_errors["$default"] == 1


async def test_handler_that_cannot_be_imported_is_an_integration_error(
    apigw_emulator: EmulatorFactory,
) -> None:
    """A handler whose module fails to import (Lambda's Runtime.ImportModuleError) fails each invocation: the client
    gets Internal server error, other routes keep working. AWS: Lambda developer guide, "Troubleshoot invocation
    issues in Lambda" (troubleshooting-invocation.html)."""
    emu = await apigw_emulator(
        {"broken": "tests.emulator.no_such_module.handler", "$default": handler("echo")},
        two_way_routes=["$default"],
    )
    async with connect(emu.url) as ws:
        await ws.send('{"action": "broken"}')
        assert (await recv_json(ws))["message"] == "Internal server error"
        await ws.send("fine")
        assert await asyncio.wait_for(ws.recv(), 10) == "fine"
    assert emu.metrics.invocation_errors["broken"] == 1


async def test_result_over_6_mb_is_an_integration_error(apigw_emulator: EmulatorFactory) -> None:
    """A handler result over Lambda's 6 MB response quota fails the invocation: the client gets Internal server
    error. AWS: Lambda developer guide, "Lambda quotas": invocation payload 6 MB (gettingstarted-limits.html)."""
    emu = await apigw_emulator(
        {"$default": lambda event, context: {"body": "x" * (6 * 1024 * 1024)}},
        two_way_routes=["$default"],
    )
    async with connect(emu.url) as ws:
        await ws.send("big")
        assert (await recv_json(ws))["message"] == "Internal server error"
    assert emu.metrics.invocation_errors["$default"] == 1


async def test_slow_handler_does_not_block_other_connections(
    apigw_emulator: EmulatorFactory,
) -> None:
    """While one connection's handler is slow, other connections are served at once (another execution environment
    takes them). AWS: Lambda developer guide, "Understanding Lambda function scaling" (lambda-concurrency.html)."""
    emu = await apigw_emulator(
        {"$default": handler("sleep")}, two_way_routes=["$default"], provisioned_concurrency=2
    )
    async with connect(emu.url) as slow, connect(emu.url) as fast:
        await slow.send(json.dumps({"seconds": 2}))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await fast.send(json.dumps({"seconds": 0}))
        assert (await recv_json(fast))["slept"] == 0
        assert time.monotonic() - started < 1.0
        assert (await recv_json(slow))["slept"] == 2


async def test_one_log_line_per_invocation(
    apigw_emulator: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Each invocation is logged once, with route, connection, function, duration and status, as a person tailing
    CloudWatch Logs wants it. AWS: Lambda developer guide, "Working with Lambda function logs" (monitoring-cloudwatchlogs.html)."""
    caplog.set_level(logging.INFO, logger="emulator")
    emu = await apigw_emulator(
        {"$connect": Recorder(), "$default": handler("noisy"), "boom": handler("boom")}
    )
    async with connect(emu.url) as ws:
        await ws.send("hello")
        await ws.send('{"action": "boom"}')
        await recv_json(ws)
        connection_id = emu.connection_ids[0]
    await emu.stop()
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "emulator" and r.getMessage().startswith("route=")
    ]
    assert len(lines) == 3
    assert lines[0].startswith(f"route=$connect connection={connection_id} function=")
    assert re.search(r"route=\$default .* duration=[\d.]+ms handler=[\d.]+ms status=200$", lines[1])
    assert re.search(r"route=boom .* status=error ValueError$", lines[2])
    handler_output = [
        r.getMessage() for r in caplog.records if r.name.startswith("emulator.function.")
    ]
    assert any(
        "printed to stdout" in line for line in handler_output
    )  # the handler's stdout reaches the log


# Metering


async def test_metrics_count_invocations_messages_and_connections_calls(
    apigw_emulator: EmulatorFactory,
) -> None:
    """The meter counts what AWS bills: invocations per route, messages in and out (error frames and replies too),
    @connections calls by method and status. AWS: API Gateway pricing (WebSocket messages), Lambda pricing."""
    emu = await apigw_emulator(
        {
            "$connect": Recorder(),
            "$default": handler("echo"),
            "post": handler("post_to_self"),
            "boom": handler("boom"),
        },
        two_way_routes=["$default"],
        environment=lambda e: {"CONNECTIONS_URL": e.management_url},
    )
    async with connect(emu.url) as ws:
        await ws.send("echo me")
        await ws.recv()
        await ws.send('{"action": "post", "data": "posted"}')
        await ws.recv()
        await ws.send('{"action": "boom"}')
        await ws.recv()
        await asyncio.to_thread(management(emu).get_connection, ConnectionId=emu.connection_ids[0])
    metrics = emu.metrics
    assert dict(metrics.invocations) == {"$connect": 1, "$default": 1, "post": 1, "boom": 1}
    assert metrics.lambda_invocations == 4 and dict(metrics.invocation_errors) == {"boom": 1}
    assert (metrics.messages_in, metrics.messages_out) == (3, 3)
    assert dict(metrics.connections_api) == {("POST", 200): 1, ("GET", 200): 1}
    assert metrics.connections_posts == 1
    assert metrics.lambda_gb_seconds > 0 and metrics.connection_seconds > 0
    emu.reset_metrics()
    assert emu.metrics.lambda_invocations == 0 and emu.metrics.messages_in == 0


async def test_dynamodb_calls_are_metered_with_consumed_capacity(
    apigw_emulator: EmulatorFactory,
) -> None:
    """DynamoDB reads, writes and capacity units are counted as DynamoDB bills them: 1 write unit per started KB of
    the larger of the old and new item, a failed conditional write still consumes one, strongly consistent reads 1 unit
    per 4 KB. AWS: DynamoDB developer guide, "DynamoDB read and write capacity units" (read-write-operations.html)."""
    table = {
        "TableName": "parity",
        "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }

    def read_in_process(event: dict[str, Any], context: Any) -> dict[str, Any]:
        client = boto3.client("dynamodb")  # endpoint, region and credentials from the environment
        client.get_item(TableName="parity", Key={"Id": {"S": "absent"}})
        return {"statusCode": 200}

    emu = await apigw_emulator(
        {"$default": handler("game_store"), "read": read_in_process},
        two_way_routes=["$default"],
        dynamodb=DynamoDB(tables=[table]),
        environment={"TABLE_NAME": "parity"},
    )
    async with connect(emu.url) as ws:
        await ws.send("store")
        answer = await recv_json(ws, 30)
        await ws.send('{"action": "read"}')
        await eventually(lambda: emu.metrics.invocations["read"] == 1)
    assert answer == {
        "has_consumed_capacity": False,
        "n": "1",
    }  # handlers see the response they asked for
    dynamodb = emu.metrics.dynamodb
    assert dynamodb["PutItem"].calls == 2 and dynamodb["PutItem"].conditional_check_failures == 1
    assert (
        dynamodb["PutItem"].write_units == 2.0 + 2.0
    )  # a 1.5 KB item: 2 units, written and refused
    assert dynamodb["UpdateItem"].write_units == 2.0
    assert (
        dynamodb["GetItem"].calls == 2
    )  # one in a worker, one in this process (an eventually consistent miss)
    assert dynamodb["GetItem"].read_units == 1.0 + 0.5
    metrics = emu.metrics
    assert (metrics.dynamodb_reads, metrics.dynamodb_writes) == (2, 3)
    assert (metrics.read_units, metrics.write_units) == (1.5, 6.0)


def test_threaded_fixture_serves_synchronous_tests(
    apigw_emulator_thread: Callable[..., Any],
) -> None:
    """The emulator serves from a background thread for synchronous code (a CLI, a sync test): boto3 reaches its
    `@connections` endpoint. AWS: API Gateway developer guide, "Use @connections commands in your backend service"."""
    from websockets.sync.client import connect as connect_sync

    threaded = apigw_emulator_thread({"$default": Recorder()})
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=threaded.management_url,
        region_name="us-east-1",
        **threaded.credentials.client_kwargs(),
    )
    with connect_sync(threaded.url) as ws:
        ws.send("hello")
        deadline = time.monotonic() + 10
        while threaded.metrics.messages_in < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        connection_id = threaded.connection_ids[0]
        client.post_to_connection(ConnectionId=connection_id, Data=b"from a thread")
        assert ws.recv(timeout=10) == "from a thread"
    assert threaded.metrics.connections_posts == 1


async def test_command_line_serves_routes_and_prints_the_url_first() -> None:
    """``python -m emulator`` prints the ws:// URL alone on its first line and serves the routes it was given,
    until SIGTERM. AWS: API Gateway developer guide, "Invoke WebSocket APIs" (apigateway-how-to-call-websocket-api.html)."""
    import sys

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "--route",
        f"$default={handler('echo')}",
        "--two-way",
        "$default",
        "--quiet",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        assert re.match(r"^ws://127\.0\.0\.1:\d+/local$", url)
        async with connect(url) as ws:
            await ws.send("over the command line")
            assert await asyncio.wait_for(ws.recv(), 30) == "over the command line"
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_callables_see_their_own_variables_and_the_process_keeps_its_own(
    apigw_emulator: EmulatorFactory,
) -> None:
    """Each callable sees its function's variables in os.environ while it runs, as each
    Lambda function has its own; the program around the emulator sees none of them. AWS:
    Lambda developer guide, "Working with Lambda environment variables" (configuration-envvars.html)."""
    import os

    def reader(event: dict[str, Any], context: Any) -> dict[str, Any]:
        names = ("WHO", "SHARED", "AWS_LAMBDA_FUNCTION_NAME")
        return {"statusCode": 200, "body": json.dumps({n: os.environ.get(n) for n in names})}

    emu = await apigw_emulator(
        {
            "$default": Function(reader, name="first", environment={"WHO": "first"}),
            "second": Function(reader, name="second", environment={"WHO": "second"}),
        },
        two_way_routes=["$default", "second"],
        environment={"SHARED": "both"},
    )
    assert "WHO" not in os.environ and "SHARED" not in os.environ
    async with connect(emu.url) as ws:
        await ws.send("hi")
        first = await recv_json(ws)
        await ws.send('{"action": "second"}')
        second = await recv_json(ws)
    assert first == {"WHO": "first", "SHARED": "both", "AWS_LAMBDA_FUNCTION_NAME": "first"}
    assert second == {"WHO": "second", "SHARED": "both", "AWS_LAMBDA_FUNCTION_NAME": "second"}
    assert "WHO" not in os.environ and "SHARED" not in os.environ
