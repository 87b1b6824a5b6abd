"""The emulator's sans-I/O core, driven without sockets, processes or sleeps.

A websockets `ClientProtocol` (sans-I/O too) plays the client: its bytes go into the
`Gateway`, the gateway's `Write` actions come back into it, and time is whatever the
test says. So timeouts, ordering and `@connections` are checked exactly, with no
timing window at all. The same behaviours are checked over real sockets by
`test_emulator_parity.py`, against AWS's documentation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Close, CloseCode, Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import OPEN
from websockets.uri import parse_uri

from emulator.gateway import (
    AUTHORIZER,
    Abort,
    Action,
    CloseTransport,
    Gateway,
    Invoke,
    Opened,
    Settings,
    Write,
)
from emulator.http11 import parse_head
from emulator.iam import Authority, Principal
from emulator.metering import Meter
from emulator.routing import SelectionExpression
from emulator.runtime import Invocation
from emulator.sigv4 import sign
from emulator.throttling import StageThrottle, Throttle

ACCOUNT = "123456789012"
IAM = Authority(ACCOUNT)
"""Issues the credentials `@connections` requests are signed with."""
T0 = 1_800_000_000.0
"""The fake clock's start (wall-clock seconds)."""


def settings(routes: tuple[str, ...] = ("$default",), **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "stage": "local",
        "expression": SelectionExpression.parse("$request.body.action"),
        "route_keys": frozenset(routes),
        "two_way": frozenset(),
        "region": "us-east-1",
        "account_id": ACCOUNT,
        "api_id": "abcdef1234",
        "authority": "127.0.0.1:9001",
        "port": 9001,
        "idle_timeout": 600.0,
        "max_connection_duration": 7200.0,
        "max_frame_size": 32 * 1024,
        "max_message_size": 128 * 1024,
        "client_buffer_limit": 4 * 1024 * 1024,
        "close_timeout": 10.0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Client:
    """One client of a `Gateway`, and every action the gateway took for it."""

    gateway: Gateway
    protocol: ClientProtocol
    id: str = ""
    invokes: list[Invoke] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    def take(self, actions: list[Action]) -> list[Action]:
        """Deliver the gateway's writes for this client; remember everything."""
        for action in actions:
            assert action.connection_id == self.id or isinstance(action, Write)
            if action.connection_id != self.id:
                continue
            self.actions.append(action)
            if isinstance(action, Write):
                self.protocol.receive_data(action.data)
            elif isinstance(action, Invoke):
                self.invokes.append(action)
        return actions

    def send_text(self, text: str, now: float) -> list[Action]:
        self.protocol.send_text(text.encode())
        return self._flush(now)

    def close(self, now: float) -> list[Action]:
        self.protocol.send_close(CloseCode.NORMAL_CLOSURE, "bye")
        return self._flush(now)

    def _flush(self, now: float) -> list[Action]:
        data = b"".join(self.protocol.data_to_send())
        return self.take(self.gateway.receive_data(self.id, data, now))

    def answer(self, result: Any, now: float, *, error: dict[str, Any] | None = None) -> None:
        """The handler of the last `Invoke` returns ``result`` (or fails with ``error``)."""
        self.take(
            self.gateway.invocation_done(self.id, Invocation(result=result, error=error), now)
        )

    def received(self) -> list[Frame | Response]:
        return list(self.protocol.events_received())

    def texts(self) -> list[str]:
        return [
            bytes(e.data).decode()
            for e in self.received()
            if isinstance(e, Frame) and e.opcode is Opcode.TEXT
        ]

    def last(self, kind: type[Action]) -> list[Action]:
        return [a for a in self.actions if isinstance(a, kind)]


def connect(
    gateway: Gateway,
    now: float = T0,
    *,
    path: str = "/local",
    headers: dict[str, str] | None = None,
) -> Client:
    """Send an opening handshake to ``gateway`` at ``now``."""
    protocol = ClientProtocol(parse_uri(f"ws://127.0.0.1:9001{path}"))
    request = protocol.connect()
    for name, value in (headers or {}).items():
        request.headers[name] = value
    protocol.send_request(request)
    head = b"".join(protocol.data_to_send())
    client = Client(gateway, protocol)
    client.id, actions = gateway.handshake(
        head, parse_head(head), source_ip="127.0.0.1", tls=False, now=now
    )
    client.take(actions)
    return client


def gateway(routes: tuple[str, ...] = ("$default",), **overrides: Any) -> Gateway:
    throttling = overrides.pop("throttling", None)
    return Gateway(settings(routes, **overrides), meter=Meter(), iam=IAM, throttling=throttling)


# Handshakes.


def test_without_a_connect_route_the_handshake_is_answered_at_once() -> None:
    client = connect(gateway())
    assert client.protocol.state is OPEN
    assert client.last(Opened) == [Opened(client.id)]
    assert client.invokes == []


def test_connect_runs_before_the_handshake_is_answered() -> None:
    gw = gateway(("$connect", "$default"))
    client = connect(gw, headers={"X-Token": "t"})
    assert [i.route for i in client.invokes] == ["$connect"]
    assert client.last(Write) == []  # the client waits for $connect's answer
    event = client.invokes[0].event
    assert event["headers"]["X-Token"] == "t"
    assert event["requestContext"]["connectionId"] == client.id
    client.answer({"statusCode": 200}, T0 + 1)
    assert client.protocol.state is OPEN
    assert gw.connection_ids == [client.id]


def test_a_connect_status_outside_2xx_refuses_the_handshake_with_it() -> None:
    gw = gateway(("$connect", "$default"))
    client = connect(gw)
    client.answer({"statusCode": 403}, T0 + 1)
    assert client.protocol.handshake_exc is not None
    assert "403" in str(client.protocol.handshake_exc)
    assert client.last(CloseTransport) and not client.last(Opened)
    assert gw.connection_ids == [] and not gw.busy


def test_a_failed_connect_handler_refuses_with_502_internal_server_error() -> None:
    client = connect(gateway(("$connect", "$default")))
    client.answer(None, T0 + 1, error={"errorType": "Exception", "errorMessage": "boom"})
    response = [e for e in client.received() if isinstance(e, Response)]
    assert response[0].status_code == 502
    assert json.loads(response[0].body) == {"message": "Internal server error"}


def test_a_path_outside_the_stage_is_forbidden() -> None:
    client = connect(gateway(), path="/prod")
    assert "403" in str(client.protocol.handshake_exc)
    assert not client.last(Opened)


# The $connect authorizer.


def test_a_missing_identity_source_refuses_with_401_without_calling_the_authorizer() -> None:
    gw = gateway(identity_sources=("route.request.header.Auth",))
    client = connect(gw)
    assert client.invokes == []
    assert "401" in str(client.protocol.handshake_exc)


def test_an_allowing_authorizer_puts_its_context_in_every_later_event() -> None:
    gw = gateway(("$connect", "$default"), identity_sources=("route.request.header.Auth",))
    client = connect(gw, headers={"Auth": "secret"})
    (asked,) = client.invokes
    assert asked.route == AUTHORIZER
    assert asked.event["methodArn"].endswith("/local/$connect")
    policy = {
        "principalId": "me",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": asked.event["methodArn"],
                }
            ],
        },
        "context": {"team": "x"},
    }
    client.answer(policy, T0)
    connect_event = client.invokes[-1].event
    assert client.invokes[-1].route == "$connect"
    assert connect_event["requestContext"]["authorizer"] == {"principalId": "me", "team": "x"}
    client.answer({"statusCode": 200}, T0)
    client.send_text("hello", T0 + 1)
    assert client.invokes[-1].event["requestContext"]["authorizer"]["team"] == "x"


# Messages.


def test_messages_of_one_connection_reach_handlers_one_at_a_time_in_order() -> None:
    client = connect(gateway())
    client.protocol.send_text(b"first")
    client.protocol.send_text(b"second")
    client._flush(T0 + 1)  # both frames in one read
    assert [i.event["body"] for i in client.invokes] == ["first"]
    client.answer({"statusCode": 200}, T0 + 2)
    assert [i.event["body"] for i in client.invokes] == ["first", "second"]


def test_a_two_way_route_sends_the_handlers_body_back() -> None:
    client = connect(gateway(two_way=frozenset({"$default"})))
    client.send_text("ping", T0 + 1)
    client.answer({"statusCode": 200, "body": "pong"}, T0 + 2)
    assert client.texts() == ["pong"]


def test_a_failing_handler_gets_the_client_an_internal_server_error_frame() -> None:
    client = connect(gateway())
    client.send_text("x", T0 + 1)
    client.answer(None, T0 + 2, error={"errorType": "KeyError", "errorMessage": "'a'"})
    (frame,) = client.texts()
    assert json.loads(frame)["message"] == "Internal server error"
    assert json.loads(frame)["connectionId"] == client.id


def test_a_message_no_route_takes_gets_forbidden_and_invokes_nothing() -> None:
    client = connect(gateway(("chat",)))
    client.send_text('{"action": "other"}', T0 + 1)
    assert client.invokes == []
    assert json.loads(client.texts()[0])["message"] == "Forbidden"


def test_a_throttled_message_gets_too_many_requests_and_invokes_nothing() -> None:
    throttle = StageThrottle(Throttle(rate=0.0001, burst=1))
    client = connect(gateway(throttling=throttle))
    client.send_text("one", T0 + 1)
    client.answer({"statusCode": 200}, T0 + 1)
    client.send_text("two", T0 + 1)
    assert [i.event["body"] for i in client.invokes] == ["one"]
    assert json.loads(client.texts()[-1])["message"] == "Too Many Requests"


# Closing, and $disconnect.


def test_a_client_close_runs_disconnect_once_with_its_code_and_reason() -> None:
    client = connect(gateway(("$default", "$disconnect")))
    client.close(T0 + 5)
    assert client.last(CloseTransport)  # we answered its close frame, and close TCP first
    assert client.invokes == []
    client.take(client.gateway.receive_eof(client.id, T0 + 5))  # what reading then gives
    (disconnect,) = client.invokes
    context = disconnect.event["requestContext"]
    assert (disconnect.route, context["disconnectStatusCode"], context["disconnectReason"]) == (
        "$disconnect",
        1000,
        "bye",
    )
    assert client.take(client.gateway.receive_eof(client.id, T0 + 6)) == []  # once only


def test_disconnect_waits_for_the_handler_of_the_last_message() -> None:
    client = connect(gateway(("$default", "$disconnect")))
    client.send_text("last words", T0 + 1)
    client.take(client.gateway.receive_eof(client.id, T0 + 2))
    assert [i.route for i in client.invokes] == ["$default"]
    client.answer({"statusCode": 200}, T0 + 3)
    assert [i.route for i in client.invokes] == ["$default", "$disconnect"]
    assert client.gateway.busy
    client.answer(None, T0 + 4)
    assert not client.gateway.busy


# The clock.


def test_an_idle_connection_is_closed_with_1001_when_its_idle_timeout_is_due() -> None:
    gw = gateway(("$default", "$disconnect"))
    client = connect(gw)
    assert gw.next_deadline() == T0 + 600
    assert client.take(gw.tick(T0 + 599.9)) == []
    client.take(gw.tick(T0 + 600))
    closes = [e for e in client.received() if isinstance(e, Frame) and e.opcode is Opcode.CLOSE]
    assert Close.parse(closes[0].data).code == CloseCode.GOING_AWAY


def test_a_client_that_never_answers_our_close_frame_is_aborted_after_close_timeout() -> None:
    gw = gateway(("$default", "$disconnect"), idle_timeout=60.0, close_timeout=10.0)
    client = connect(gw)
    client.take(gw.tick(T0 + 60))
    assert client.last(Abort) == []
    client.take(gw.tick(T0 + 69.9))
    assert client.last(Abort) == []
    client.take(gw.tick(T0 + 70))
    assert client.last(Abort) == [Abort(client.id)]
    client.take(gw.receive_eof(client.id, T0 + 70))  # what the aborted socket reads
    context = client.invokes[-1].event["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (1001, "Going away")


def test_a_message_pushes_the_idle_deadline_back() -> None:
    gw = gateway()
    client = connect(gw)
    client.send_text("still here", T0 + 300)
    client.answer({"statusCode": 200}, T0 + 300)
    client.take(gw.tick(T0 + 600))
    assert client.protocol.state is OPEN
    client.take(gw.tick(T0 + 900))
    assert client.protocol.state is not OPEN


def test_max_connection_duration_closes_even_a_busy_connection() -> None:
    gw = gateway(idle_timeout=600.0, max_connection_duration=1000.0)
    client = connect(gw)
    for minute in range(1, 17):
        client.send_text("busy", T0 + 60 * minute)
        client.answer({"statusCode": 200}, T0 + 60 * minute)
    client.take(gw.tick(T0 + 999))
    assert client.protocol.state is OPEN
    client.take(gw.tick(T0 + 1000))
    assert client.protocol.state is not OPEN


def test_a_message_that_crosses_our_close_frame_is_not_routed() -> None:
    gw = gateway(idle_timeout=60.0)
    client = connect(gw)
    client.protocol.send_text(b"too late")
    in_flight = b"".join(client.protocol.data_to_send())
    client.take(gw.tick(T0 + 60))  # our close frame is on its way
    client.take(gw.receive_data(client.id, in_flight, T0 + 60))
    assert client.invokes == []


# @connections.


def signed(method: str, connection_id: str, body: bytes = b"") -> tuple[Any, bytes]:
    credentials = IAM.issue(Principal("test", f"arn:aws:iam::{ACCOUNT}:root"))
    url = f"http://127.0.0.1:9001/local/@connections/{connection_id}"
    headers = sign(method, url, credentials, region="us-east-1", service="execute-api", body=body)
    head = f"{method} /local/@connections/{connection_id} HTTP/1.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in {"Host": "127.0.0.1:9001", **headers}.items())
    return parse_head((head + "\r\n").encode()), body


def test_a_post_to_connections_becomes_a_frame_for_that_client() -> None:
    gw = gateway()
    client = connect(gw)
    (status, _, _), actions = gw.http(*signed("POST", client.id, b"hello"), now=T0 + 1)
    client.take(actions)
    assert status == 200
    assert client.texts() == ["hello"]


def test_a_delete_closes_the_connection_and_a_later_post_is_gone() -> None:
    gw = gateway()
    client = connect(gw)
    (status, _, _), actions = gw.http(*signed("DELETE", client.id), now=T0 + 1)
    client.take(actions)
    assert status == 204
    (status, _, _), _ = gw.http(*signed("POST", client.id, b"x"), now=T0 + 2)
    assert status == 410


def test_an_unsigned_post_is_refused_and_sends_nothing() -> None:
    gw = gateway()
    client = connect(gw)
    head = f"POST /local/@connections/{client.id} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    (status, _, _), actions = gw.http(parse_head(head), b"hello", now=T0 + 1)
    assert status == 403 and actions == []


# Stopping.


@pytest.mark.parametrize("with_connect", [False, True])
def test_stopping_closes_every_connection_and_answers_new_handshakes_gone(
    with_connect: bool,
) -> None:
    routes = ("$connect", "$default") if with_connect else ("$default",)
    gw = gateway(routes)
    client = connect(gw)
    if with_connect:
        client.answer({"statusCode": 200}, T0)
    client.take(gw.close_all(T0 + 1))
    closes = [e for e in client.received() if isinstance(e, Frame) and e.opcode is Opcode.CLOSE]
    assert Close.parse(closes[0].data).code == CloseCode.GOING_AWAY
    late = connect(gw, T0 + 2)  # a client reconnecting while $disconnect handlers still run
    (refused,) = [e for e in late.received() if isinstance(e, Response)]
    assert (refused.status_code, json.loads(refused.body)) == (410, {"message": "Gone"})


def test_a_client_that_closes_but_never_lets_our_close_through_is_aborted() -> None:
    """The client's close frame is answered and TCP is to close after it; if that never
    completes (the client stopped reading), the connection is dropped `close_timeout` later
    and `$disconnect` runs, as for a close we started."""
    gw = gateway(("$default", "$disconnect"), close_timeout=10.0)
    client = connect(gw)
    client.close(T0 + 5)
    assert client.last(CloseTransport) and client.invokes == []
    client.take(gw.tick(T0 + 14.9))
    assert client.last(Abort) == []
    client.take(gw.tick(T0 + 15))
    assert client.last(Abort) == [Abort(client.id)]
    client.take(gw.receive_eof(client.id, T0 + 15))
    assert [i.route for i in client.invokes] == ["$disconnect"]


def test_with_no_connection_open_the_core_asks_for_no_wake_up() -> None:
    gw = gateway(("$default", "$disconnect"))
    for second in range(100):
        client = connect(gw, T0 + second)
        client.close(T0 + second)
        client.take(gw.receive_eof(client.id, T0 + second))
        client.answer(None, T0 + second)
    assert gw.connection_ids == [] and not gw.busy
    assert gw.next_deadline() is None


def test_timeouts_set_to_infinity_ask_for_no_wake_up() -> None:
    gw = gateway(idle_timeout=float("inf"), max_connection_duration=float("inf"))
    connect(gw)
    assert gw.next_deadline() is None


def test_an_allow_that_arrives_while_stopping_does_not_call_connect() -> None:
    gw = gateway(("$connect", "$default"), identity_sources=("route.request.header.Auth",))
    client = connect(gw, headers={"Auth": "secret"})
    client.take(gw.close_all(T0 + 1))
    arn = client.invokes[0].event["methodArn"]
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}
    allow = {
        "principalId": "me",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
    }
    client.answer(allow, T0 + 2)
    assert [i.route for i in client.invokes] == [AUTHORIZER]
    (refused,) = [e for e in client.received() if isinstance(e, Response)]
    assert refused.status_code == 410
