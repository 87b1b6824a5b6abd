"""Unit tests of the emulator's pure parts: route selection, events, ids, capacity arithmetic, HTTP heads."""

from __future__ import annotations

import base64
import re

import pytest

from emulator import capacity, events, ids
from emulator.http11 import parse_head, response
from emulator.routing import SelectionExpression, select_route


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("$request.body.action", ("action",)),
        ("${request.body.action}", ("action",)),
        ("$request.body.a.b.c", ("a", "b", "c")),
        ("${request.body.message.type}", ("message", "type")),
    ],
)
def test_selection_expressions_parse(text: str, path: tuple[str, ...]) -> None:
    """Both documented spellings parse to the JSON path they read."""
    assert SelectionExpression.parse(text).path == path


@pytest.mark.parametrize(
    "text",
    [
        "",
        "$request.body",
        "$request.header.x",
        "${request.body.a",
        "request.body.a",
        "$request.body.a..b",
    ],
)
def test_unsupported_selection_expressions_are_refused(text: str) -> None:
    """Anything else is a configuration error, raised when the emulator is built."""
    with pytest.raises(ValueError):
        SelectionExpression.parse(text)


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ('{"action": "play"}', "play"),
        ('{"action": 7}', "7"),
        ('{"action": -1.5}', "-1.5"),
        ('{"action": false}', "false"),
        ('{"action": ["a", 1]}', '["a",1]'),
        ('{"action": {"k": "v"}}', '{"k":"v"}'),
        ('{"action": null}', None),
        ('{"other": 1}', None),
        ("[1]", None),
        ("plain text", None),
        ("", None),
    ],
)
def test_selection_values(body: str, value: str | None) -> None:
    """Strings as they are, other JSON values as compact JSON text, nothing for null, absent or non-JSON."""
    assert SelectionExpression.parse("$request.body.action").evaluate(body) == value


def test_deeply_nested_body_selects_nothing() -> None:
    """A body nested deeper than the JSON parser goes is no route value (it goes to `$default`), not a crash."""
    assert (
        SelectionExpression.parse("$request.body.action").evaluate("[" * 100_000 + "]" * 100_000)
        is None
    )


def test_select_route_falls_back_to_default_and_never_picks_connect() -> None:
    """Unknown keys and `$connect`/`$disconnect` go to `$default`; binary bodies too; no `$default` gives None."""
    expression = SelectionExpression.parse("$request.body.action")
    keys = {"play", "$default"}
    assert select_route(expression, '{"action": "play"}', keys) == "play"
    assert select_route(expression, '{"action": "$connect"}', keys | {"$connect"}) == "$default"
    assert select_route(expression, None, keys) == "$default"
    assert select_route(expression, '{"action": "nope"}', {"play"}) is None


def test_ids_look_like_api_gateways() -> None:
    """Connection and request ids: 16 base64 characters ending in '=', no '+' or '/'; api ids: 10 lowercase."""
    for _ in range(200):
        assert re.match(r"^[A-Za-z0-9]{15}=$", ids.connection_id())
    assert re.match(r"^[a-z0-9]{10}$", ids.api_id())
    assert ids.request_time(1707502303.42) == "09/Feb/2024:18:11:43 +0000"
    assert ids.iso8601(1707502303.42) == "2024-02-09T18:11:43.420Z"
    assert ids.epoch_ms(1707502303.4201) == 1707502303420


def test_connect_headers_add_forwarding_headers_and_drop_hop_by_hop() -> None:
    """X-Forwarded-For appends the peer to any client value; Connection and Upgrade are not forwarded."""
    raw = [
        ("Host", "h:1"),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("X-Forwarded-For", "10.0.0.1"),
    ]
    headers = dict(events.connect_headers(raw, source_ip="127.0.0.1", port=1, proto="http", now=0))
    assert headers["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1"
    assert "Connection" not in headers and "Upgrade" not in headers
    assert headers["X-Amzn-Trace-Id"].startswith("Root=1-00000000-")


def test_repeated_headers_and_query_parameters() -> None:
    """`headers` keeps the last value, `multiValueHeaders` all of them; same for the query string."""
    api = events.Api("abcdefghij", "local", "h:1")
    peer = events.Peer("AAAAAAAAAAAAAAA=", 1.0, "127.0.0.1", "ua")
    event = events.connect_event(
        api,
        peer,
        headers=[("X-A", "1"), ("X-A", "2")],
        query="a=1&a=2&b=&c=%20x",
        now=2.0,
        request_id="R",
    )
    assert event["headers"]["X-A"] == "2" and event["multiValueHeaders"]["X-A"] == ["1", "2"]
    assert event["queryStringParameters"] == {"a": "2", "b": "", "c": " x"}
    assert event["multiValueQueryStringParameters"]["a"] == ["1", "2"]


def test_binary_message_event_is_base64() -> None:
    """Binary data is base64 in ``body`` with isBase64Encoded true."""
    api = events.Api("abcdefghij", "local", "h:1")
    peer = events.Peer("AAAAAAAAAAAAAAA=", 1.0, "127.0.0.1", "ua")
    event = events.message_event(
        api, peer, route_key="$default", data=b"\x00\xff", now=2.0, request_id="R"
    )
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\xff"


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({"a": {"S": "xyz"}}, 1 + 3),
        ({"n": {"N": "123"}}, 1 + 3),  # 3 significant digits: 2 bytes + 1
        ({"n": {"N": "-0.001200"}}, 1 + 2),  # digits "12"
        ({"b": {"B": base64.b64encode(b"\x00\x01").decode()}}, 1 + 2),
        ({"t": {"BOOL": True}, "z": {"NULL": True}}, 2 + 2),
        ({"l": {"L": [{"S": "a"}, {"N": "1"}]}}, 1 + 3 + (1 + 1) + (1 + 2)),
        ({"m": {"M": {"k": {"S": "v"}}}}, 1 + 3 + (1 + 1 + 1)),
        ({"s": {"SS": ["ab", "c"]}}, 1 + 3),
    ],
)
def test_item_sizes_follow_dynamodbs_rules(item: dict[str, object], size: int) -> None:
    """Item sizes as DynamoDB's developer guide computes them ("Item sizes and formats")."""
    assert capacity.item_size(item) == size  # type: ignore[arg-type]


def test_capacity_units() -> None:
    """1 write unit per started KB of the larger item (at least 1); reads 1 per 4 KB, halved when eventually consistent."""
    assert capacity.write_units(0) == 1.0
    assert capacity.write_units(1024) == 1.0
    assert capacity.write_units(1025, 10) == 2.0
    assert capacity.write_units(10, 3000) == 3.0
    assert capacity.read_units(0, consistent=True) == 1.0
    assert capacity.read_units(4097, consistent=True) == 2.0
    assert capacity.read_units(100, consistent=False) == 0.5


def test_http_heads_parse_and_responses_serialize() -> None:
    """Request lines and headers parse; responses carry Content-Length and say when they close."""
    head = parse_head(
        b"POST /local/%40connections/abc%3D HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert (head.method, head.path, head.raw_path) == (
        "POST",
        "/local/@connections/abc=",
        "/local/%40connections/abc%3D",
    )
    assert head.header("host") == "x" and not head.keep_alive
    assert (
        response(200, b"{}", [("A", "b")])
        == b"HTTP/1.1 200 OK\r\nA: b\r\nContent-Length: 2\r\n\r\n{}"
    )
    assert (
        response(204, keep_alive=False) == b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
    )
    with pytest.raises(ValueError):
        parse_head(b"garbage\r\n\r\n")
