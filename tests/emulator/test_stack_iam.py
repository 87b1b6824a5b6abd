"""Signed requests only: `@connections` and the embedded DynamoDB accept only requests signed
(SigV4) with credentials the emulator issued for this run, and a role's policies decide
what its function may do (`emulator.sigv4`, `emulator.iam`, `emulator.guards`)."""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import DynamoDB
from emulator.iam import Authority, Denied, Principal, Role, allows
from emulator.server import ThreadedEmulator
from emulator.sigv4 import BAD_SIGNATURE, EXPIRED, UNKNOWN_KEY, Credentials, Refused, sign

TABLE = "things"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200}


@pytest.fixture
def emu(apigw_emulator_thread: Callable[..., ThreadedEmulator]) -> ThreadedEmulator:
    return apigw_emulator_thread(
        {"$default": echo},
        dynamodb=DynamoDB(
            tables=[
                {
                    "TableName": TABLE,
                    "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                }
            ]
        ),
    )


def connections(emu: ThreadedEmulator, **credentials: Any) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=emu.management_url,
        region_name="us-east-1",
        config=NO_RETRIES,
        **credentials,
    )


def dynamodb(emu: ThreadedEmulator, **credentials: Any) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=emu.emulator.dynamodb_endpoint_url,
        region_name="us-east-1",
        config=NO_RETRIES,
        **credentials,
    )


STRANGER = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "x" * 40}


def error_of(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_connections_refuses_an_unsigned_request(emu: ThreadedEmulator) -> None:
    request = urllib.request.Request(
        f"{emu.management_url}/@connections/AAAAAAAAAAAAAAA=", data=b"hi", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert refused.value.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert json.loads(refused.value.read()) == {"message": "Missing Authentication Token"}


def test_connections_refuses_credentials_it_did_not_issue(emu: ThreadedEmulator) -> None:
    client = connections(emu, **STRANGER)
    status, code, message = error_of(lambda: client.get_connection(ConnectionId="AAAAAAAAAAAAAAA="))
    assert (status, code) == (403, "UnrecognizedClientException")
    assert message == "The security token included in the request is invalid."


def test_connections_refuses_a_wrong_secret(emu: ThreadedEmulator) -> None:
    issued = emu.credentials
    forged = Credentials(issued.access_key_id, "not the secret", issued.session_token)
    client = connections(emu, **forged.client_kwargs())
    status, code, _ = error_of(lambda: client.get_connection(ConnectionId="AAAAAAAAAAAAAAA="))
    assert (status, code) == (403, "InvalidSignatureException")


def test_connections_serves_the_issued_credentials(emu: ThreadedEmulator) -> None:
    client = connections(emu, **emu.credentials.client_kwargs())
    status, code, _ = error_of(lambda: client.get_connection(ConnectionId="AAAAAAAAAAAAAAA="))
    assert (status, code) == (410, "GoneException")  # past the check: no such connection


def test_a_signed_raw_request_is_served(emu: ThreadedEmulator) -> None:
    url = f"{emu.management_url}/@connections/AAAAAAAAAAAAAAA="
    headers = sign("DELETE", url, emu.credentials, region="us-east-1", service="execute-api")
    request = urllib.request.Request(url, method="DELETE", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as answered:
        urllib.request.urlopen(request, timeout=10)
    assert answered.value.code == 410


def test_dynamodb_refuses_an_unsigned_request(emu: ThreadedEmulator) -> None:
    request = urllib.request.Request(
        str(emu.emulator.dynamodb_endpoint_url),
        data=b"{}",
        method="POST",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["__type"].endswith(
        "#MissingAuthenticationTokenException"
    )


def test_dynamodb_refuses_credentials_it_did_not_issue(emu: ThreadedEmulator) -> None:
    client = dynamodb(emu, **STRANGER)
    status, code, _ = error_of(lambda: client.describe_table(TableName=TABLE))
    assert (status, code) == (400, "UnrecognizedClientException")


def test_dynamodb_serves_the_issued_credentials(emu: ThreadedEmulator) -> None:
    client = dynamodb(emu, **emu.credentials.client_kwargs())
    assert client.describe_table(TableName=TABLE)["Table"]["TableName"] == TABLE


# The policy evaluation and the signature check, without a server.


PLAY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:UpdateItem"], "Resource": [TABLE_ARN]},
        {"Effect": "Deny", "Action": "dynamodb:*", "Resource": f"{TABLE_ARN}/index/*"},
    ],
}


def test_a_role_may_do_what_its_policies_allow_and_nothing_else() -> None:
    assert allows([PLAY_POLICY], "dynamodb:UpdateItem", TABLE_ARN)
    assert not allows([PLAY_POLICY], "dynamodb:PutItem", TABLE_ARN)
    assert not allows([PLAY_POLICY], "dynamodb:UpdateItem", TABLE_ARN + "-other")
    assert not allows([PLAY_POLICY], "dynamodb:UpdateItem", f"{TABLE_ARN}/index/byPlayer")
    assert not allows([], "dynamodb:UpdateItem", TABLE_ARN)


def test_a_denied_call_names_the_caller_the_action_and_the_resource() -> None:
    authority = Authority("123456789012")
    role = Role("arn:aws:iam::123456789012:role/play", (PLAY_POLICY,))
    principal = Principal("play", "arn:aws:sts::123456789012:assumed-role/play/play", role)
    with pytest.raises(Denied) as denied:
        authority.authorize(principal, "dynamodb:PutItem", [TABLE_ARN])
    assert str(denied.value) == (
        "User: arn:aws:sts::123456789012:assumed-role/play/play is not authorized to perform: "
        f"dynamodb:PutItem on resource: {TABLE_ARN} because no identity-based policy allows "
        "the dynamodb:PutItem action"
    )


def test_a_policy_the_evaluator_cannot_honour_is_refused_at_start() -> None:
    conditional = {
        "Statement": [
            {
                "Sid": "OnlyMine",
                "Effect": "Allow",
                "Action": "dynamodb:GetItem",
                "Resource": TABLE_ARN,
                "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["me"]}},
            }
        ]
    }
    role = Role("arn:aws:iam::123456789012:role/r", (conditional,))
    with pytest.raises(ValueError, match="'OnlyMine' uses Condition"):
        Authority("123456789012").issue(Principal("f", "arn", role))


def _signed(authority: Authority, credentials: Credentials, body: bytes) -> dict[str, str]:
    return sign(
        "POST",
        "http://127.0.0.1:1/",
        credentials,
        region="us-east-1",
        service="dynamodb",
        body=body,
    )


def test_a_tampered_body_an_old_signature_and_a_wrong_token_are_refused() -> None:
    authority = Authority("123456789012")
    issued = authority.issue(Principal("f", "arn"))
    headers = _signed(authority, issued, b'{"a": 1}')
    url = "http://127.0.0.1:1/"
    assert authority.authenticate("POST", url, headers.items(), b'{"a": 1}')[0].name == "f"
    with pytest.raises(Refused) as tampered:
        authority.authenticate("POST", url, headers.items(), b'{"a": 2}')
    assert tampered.value.reason == BAD_SIGNATURE
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=16)
    with pytest.raises(Refused) as old:
        authority.authenticate("POST", url, headers.items(), b'{"a": 1}', now=later)
    assert old.value.reason == EXPIRED
    wrong_token = {**headers, "X-Amz-Security-Token": "stolen"}
    with pytest.raises(Refused) as token:
        authority.authenticate("POST", url, wrong_token.items(), b'{"a": 1}')
    assert token.value.reason == UNKNOWN_KEY


def test_issued_credentials_travel_to_the_dynamodb_process_intact() -> None:
    authority = Authority("123456789012")
    role = Role("arn:aws:iam::123456789012:role/play", (PLAY_POLICY,))
    issued = authority.issue(Principal("play", "arn:play", role))
    copy = Authority.from_json(authority.to_json())
    assert copy.lookup(issued.access_key_id) == issued
    assert copy.principal(issued.access_key_id) == Principal("play", "arn:play", role)


def test_patterns_match_exactly_and_actions_ignore_case() -> None:
    connect_route = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/$connect"
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "DynamoDB:GetItem", "Resource": "arn:aws:*:table/t.1"},
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": connect_route},
            {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "arn:aws:dynamodb:?"},
        ]
    }
    assert allows([policy], "dynamodb:getitem", "arn:aws:dynamodb:us-east-1:1:table/t.1")
    assert not allows([policy], "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/tx1")
    assert allows([policy], "execute-api:Invoke", connect_route)
    assert allows([policy], "dynamodb:Query", "arn:aws:dynamodb:x")
    assert not allows([policy], "dynamodb:Query", "arn:aws:dynamodb:xy")
