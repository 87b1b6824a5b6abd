"""Handlers against moto's DynamoDB, with a recording stand-in for `@connections`.

`mock_aws` gives a real DynamoDB implementation (conditions, ReturnValues...). The
`@connections` client is a real boto3 client whose HTTP layer is replaced (botocore's
`before-send` hook): it records every post, and answers the connections a test names
with the failure API Gateway would send (410 gone, 429 full buffer, 500, 403) or a read
timeout, so the handlers see exactly the exceptions boto3 raises in AWS.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from emulator import moto_patches
from functions import aws, settings, store
from functions.routes import ROUTES
from functions.table import create_table_request, ttl_request

TABLE = "xo-test"
MANAGEMENT_URL = "https://example.execute-api.us-east-1.amazonaws.com/test"

TIMEOUT = "timeout"
FAULTS: dict[int | str, tuple[str, str | None]] = {
    410: ("GoneException", None),
    429: ("LimitExceededException", "Client buffer is full"),
    500: ("InternalServerErrorException", "Internal server error"),
    403: ("ForbiddenException", "Forbidden"),
    TIMEOUT: ("", None),
}
"""What `@connections` answers, by status: its error type and message (as API Gateway and
our emulator send them); `TIMEOUT` raises botocore's ReadTimeoutError instead."""


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def canned_client(
    service: str, answer: Callable[[Any], tuple[int, dict[str, str], bytes]], **kwargs: Any
) -> Any:
    """A real boto3 client for `service` whose every HTTP request is answered by
    `answer(request) -> (status, headers, body)` (which may also raise, as a network would),
    configured as the handlers' own clients are (`aws.client_config`)."""
    client = boto3.client(
        service, region_name="us-east-1", config=aws.client_config(service), **kwargs
    )

    def send(request: Any, **_: Any) -> AWSResponse:
        status, headers, body = answer(request)
        return AWSResponse(request.url, status, headers, _Body(body))  # type: ignore[arg-type]

    client.meta.events.register_first(
        f"before-send.{client.meta.service_model.service_id.hyphenize()}", send
    )
    return client


class FakeConnections:
    """Records posts per connection; connections in `gone` answer 410, and those in
    `faults` answer with that fault (a status of `FAULTS`, or `TIMEOUT`). `attempts` lists
    the connection of every post made, in order; a `TIMEOUT` first calls `hang()` (a test
    moves a fake clock on there)."""

    def __init__(self) -> None:
        self.inbox: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.gone: set[str] = set()
        self.faults: dict[str, int | str] = {}
        self.posts = 0
        self.attempts: list[str] = []
        self.hang: Callable[[], None] = lambda: None
        self._lock = threading.Lock()
        self.client = canned_client(
            "apigatewaymanagementapi", self._answer, endpoint_url=MANAGEMENT_URL
        )

    def _answer(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        connection_id = urllib.parse.unquote(request.url.rsplit("/", 1)[1])
        with self._lock:
            self.posts += 1
            self.attempts.append(connection_id)
            fault = 410 if connection_id in self.gone else self.faults.get(connection_id)
            if fault is None:
                self.inbox[connection_id].append(json.loads(request.body))
                return 200, {"Content-Type": "application/json"}, b""
        if fault == TIMEOUT:
            self.hang()
            raise ReadTimeoutError(endpoint_url=request.url)
        error_type, message = FAULTS[fault]
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error_type}
        return int(fault), headers, json.dumps({"message": message}).encode()


class Players:
    """Sends client frames to the handlers the route table names, as API Gateway would,
    with `context` as the Lambda context (None: no deadline)."""

    def __init__(self, connections: FakeConnections) -> None:
        self.connections = connections
        self.context: Any = None
        self.handlers = {route.key: _load(route.handler) for route in ROUTES}

    def send(self, connection_id: str, body: dict[str, Any] | str) -> dict[str, Any]:
        text = body if isinstance(body, str) else json.dumps(body)
        try:
            kind = json.loads(text).get("type")
        except (ValueError, AttributeError):
            kind = None
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        handler = handler or self.handlers["$default"]
        event = {
            "requestContext": {
                "connectionId": connection_id,
                "routeKey": kind,
                "eventType": "MESSAGE",
            },
            "body": text,
        }
        result = handler(event, self.context)
        if "body" in result:  # a two-way route answers the caller directly
            self.connections.inbox[connection_id].append(json.loads(result["body"]))
        return result

    def disconnect(self, connection_id: str) -> None:
        event = {"requestContext": {"connectionId": connection_id, "eventType": "DISCONNECT"}}
        self.handlers["$disconnect"](event, self.context)

    def received(self, connection_id: str) -> list[dict[str, Any]]:
        """Everything posted to `connection_id` since the last call."""
        messages = self.connections.inbox.pop(connection_id, [])
        return messages

    def last(self, connection_id: str) -> dict[str, Any]:
        messages = self.received(connection_id)
        assert messages, f"{connection_id} received nothing"
        return messages[-1]

    def new_game(self, x: str = "X1", o: str = "O1") -> tuple[str, str, str]:
        """Start a game as `x`, join it as `o`; returns (game id, x token, o token)."""
        self.send(x, {"type": "start"})
        init = self.last(x)
        self.send(o, {"type": "join", "id": init["id"]})
        joined = self.last(o)
        self.received(x)
        return init["id"], init["token"], joined["token"]


def _load(handler: str) -> Any:
    module, _, name = handler.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The handlers' clock, in epoch seconds: `clock[0] += 3600` moves time on."""
    now = [1_900_000_000]
    monkeypatch.setattr(store, "now", lambda: now[0])
    return now


@pytest.fixture(params=["plain moto", "patched moto"])
def moto(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Every DynamoDB-facing test runs twice: against plain moto, and with the embedded
    DynamoDB's patches (`emulator.moto_patches`), so no patch can change DynamoDB's answers."""
    if request.param == "plain moto":
        yield []
        return
    try:
        yield moto_patches.apply()
    finally:
        moto_patches.undo()


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch, moto: list[str]) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setenv(settings.TABLE_NAME, TABLE)
    monkeypatch.setenv(settings.CONNECTIONS_URL, MANAGEMENT_URL)
    monkeypatch.setenv(settings.GAME_TTL_SECONDS, "3600")
    with mock_aws():
        aws.reset()
        client = boto3.client("dynamodb")
        client.create_table(**create_table_request(TABLE))
        client.update_time_to_live(**ttl_request(TABLE))
        yield client
        aws.reset()


@pytest.fixture
def players(table: Any, clock: list[int]) -> Players:
    connections = FakeConnections()
    aws.use("apigatewaymanagementapi", connections.client, MANAGEMENT_URL)
    return Players(connections)


def game_item(table: Any, game_id: str) -> store.GameRecord:
    item = table.get_item(TableName=TABLE, Key={"GameId": {"S": game_id}}, ConsistentRead=True)[
        "Item"
    ]
    return store.GameRecord.from_item(item)


RACE_JOIN_SECONDS = 60
"""How long `race` waits for each thread: generous on a loaded machine, but bounded."""


@pytest.fixture
def atomic_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies each request atomically; moto checks and applies in Python, so two
    threads could interleave inside one request. This serialises whole requests (as DynamoDB
    does per item) and leaves the interleaving *between* requests to the threads."""
    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def serialised(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", serialised)


def race(*actions: Callable[[], Any]) -> None:
    """Run the actions at the same moment, each on its own thread; fails if one raised or
    is still running after `RACE_JOIN_SECONDS`."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            action()
        except BaseException as error:  # pragma: no cover - surfaces in the assert below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(action,), daemon=True) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a racing request never finished"
    assert not errors, errors
