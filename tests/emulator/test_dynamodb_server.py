"""The embedded DynamoDB (emulator.dynamodb_server): moto sped up keeps DynamoDB's answers
when the same update expression comes back with other names, values and items. Each
test runs against the embedded server with moto's patches and with plain moto."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator import moto_patches

TABLE = "t"


@pytest.fixture(scope="module", params=["patched moto", "plain moto"])
def dynamodb(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The embedded DynamoDB, with moto's patches and without: both must answer alike."""
    env = dict(os.environ)
    if request.param == "plain moto":
        env[moto_patches.PLAIN_MOTO] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.dynamodb_server", "--port", "0", "--exit-with-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        client: Any = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(10)


def _update(
    client: Any,
    key: str,
    expression: str,
    names: dict[str, str],
    values: dict[str, Any],
    **extra: Any,
) -> Any:
    return client.update_item(
        TableName=TABLE,
        Key={"pk": {"S": key}},
        UpdateExpression=expression,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValues="ALL_NEW",
        **extra,
    )


def _error(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return (
        str(raised.value.response["Error"]["Code"])
        + ": "
        + str(raised.value.response["Error"]["Message"])
    )


def test_a_repeated_expression_sees_each_requests_values_and_item(dynamodb: Any) -> None:
    expression = "SET #n = if_not_exists(#n, :zero) + :one, #l = list_append(if_not_exists(#l, :empty), :item), #s = :s"
    names = {"#n": "n", "#l": "l", "#s": "s"}
    for attempt in range(1, 4):
        answer = _update(
            dynamodb,
            "a",
            expression,
            names,
            {
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":empty": {"L": []},
                ":item": {"L": [{"N": str(attempt)}]},
                ":s": {"S": f"r{attempt}"},
            },
        )
        assert answer["Attributes"]["n"] == {"N": str(attempt)}
        assert answer["Attributes"]["l"] == {"L": [{"N": str(k)} for k in range(1, attempt + 1)]}
        assert answer["Attributes"]["s"] == {"S": f"r{attempt}"}


def test_expression_checks_still_apply_to_other_names(dynamodb: Any) -> None:
    """The same text that passed with harmless names must still refuse a key update or overlapping paths."""
    expression = "SET #a = :v, #b = :v"
    values = {":v": {"S": "x"}}
    for _ in range(2):
        assert _update(dynamodb, "b", expression, {"#a": "a", "#b": "b"}, values)["Attributes"][
            "a"
        ] == {"S": "x"}
    for _ in range(2):
        assert "pk" in _error(
            lambda: _update(dynamodb, "b", expression, {"#a": "pk", "#b": "b"}, values)
        )
        assert "ValidationException" in _error(
            lambda: _update(dynamodb, "b", expression, {"#a": "a", "#b": "a"}, values)
        )
    assert _update(dynamodb, "b", expression, {"#a": "c", "#b": "d"}, values)["Attributes"][
        "d"
    ] == {"S": "x"}


def test_repeated_clause_is_refused_every_time(dynamodb: Any) -> None:
    for _ in range(2):
        assert "ValidationException" in _error(
            lambda: _update(
                dynamodb, "c", "SET #a = :v SET #b = :v", {"#a": "a", "#b": "b"}, {":v": {"S": "x"}}
            )
        )


def test_failed_condition_returns_the_old_item_and_the_capacity(dynamodb: Any) -> None:
    expression, names = "SET #v = #v + :one", {"#v": "v"}
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "d"}, "v": {"N": "1"}})
    for expected in (1, 2):
        answer = _update(
            dynamodb,
            "d",
            expression,
            names,
            {":one": {"N": "1"}, ":was": {"N": str(expected)}},
            ConditionExpression="#v = :was",
            ReturnConsumedCapacity="TOTAL",
        )
        assert answer["Attributes"]["v"] == {"N": str(expected + 1)}
        assert answer["ConsumedCapacity"]["CapacityUnits"] == 1.0
    with pytest.raises(ClientError) as raised:
        _update(
            dynamodb,
            "d",
            expression,
            names,
            {":one": {"N": "1"}, ":was": {"N": "1"}},
            ConditionExpression="#v = :was",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert raised.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert raised.value.response["Item"] == {"pk": {"S": "d"}, "v": {"N": "3"}}


def test_direct_dispatch_answers_as_moto_flask_app_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """emulator.dynamodb_server.DirectDynamoDB skips Flask, not moto: same status, headers and body.
    (It checks itself, so it runs even when the suite runs with EMULATOR_PLAIN_MOTO=1.)"""
    monkeypatch.delenv(moto_patches.PLAIN_MOTO, raising=False)
    import io
    import json

    from moto.moto_server.werkzeug_app import create_backend_app

    from emulator.dynamodb_server import DirectDynamoDB

    flask_app = create_backend_app("dynamodb")
    direct = DirectDynamoDB(flask_app)
    assert direct.active, "the direct dispatch no longer applies to this moto"
    auth = "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"

    def call(
        app: Any, operation: str, request: dict[str, Any]
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        body = json.dumps(request).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/x-amz-json-1.0",
            "HTTP_HOST": "127.0.0.1:1",
            "HTTP_X_AMZ_TARGET": "DynamoDB_20120810." + operation,
            "HTTP_AUTHORIZATION": auth,
        }
        captured: list[Any] = []
        out = b"".join(
            app(environ, lambda status, headers, exc_info=None: captured.extend([status, headers]))
        )
        varying = ("date", "x-amzn-requestid", "x-amz-crc32")
        return captured[0], sorted((k, v) for k, v in captured[1] if k.lower() not in varying), out

    table = {
        "TableName": "direct",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    assert call(direct, "CreateTable", table)[0] == "200 OK"
    requests = [
        ("PutItem", {"TableName": "direct", "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}}),
        ("GetItem", {"TableName": "direct", "Key": {"pk": {"S": "a"}}}),
        (
            "UpdateItem",
            {
                "TableName": "direct",
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "SET v = v + :o",
                "ConditionExpression": "v = :z",
                "ExpressionAttributeValues": {":o": {"N": "1"}, ":z": {"N": "0"}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
        ),
        ("GetItem", {"TableName": "missing", "Key": {"pk": {"S": "a"}}}),
        ("Scan", {"TableName": "direct"}),
    ]
    for operation, request in requests:
        assert call(direct, operation, request) == call(flask_app, operation, request), operation
