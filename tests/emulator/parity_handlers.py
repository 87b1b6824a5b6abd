"""Small Lambda handlers for the emulator's parity tests, loaded by name (``module.function``) in worker processes."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import boto3

IMPORTS = 0
IMPORTS += 1  # runs once per worker process: the module stays warm
CALLS = 0

_connections: Any = None


def _reply(value: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps(value)}


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Two-way: the body back."""
    return {"statusCode": 200, "body": event["body"]}


def event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Two-way: the whole event back, as JSON."""
    return _reply(event)


def ok(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200}


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise ValueError("boom")


def nothing(event: dict[str, Any], context: Any) -> None:
    return None


def warm(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global CALLS
    CALLS += 1
    return _reply({"imports": IMPORTS, "calls": CALLS, "pid": os.getpid()})


def environment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    names = json.loads(event["body"])["names"]
    return _reply({name: os.environ.get(name) for name in names})


def context_fields(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _reply(
        {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        }
    )


def sleep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    seconds = json.loads(event["body"])["seconds"]
    time.sleep(seconds)
    return _reply({"slept": seconds, "pid": os.getpid()})


def noisy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print("printed to stdout", {"not": "the channel"})
    sys.stdout.write("no newline at the end")
    print("to stderr", file=sys.stderr)
    return _reply("still fine")


def post_to_self(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Post the message body to the sender through `@connections`, with boto3."""
    global _connections
    if _connections is None:
        _connections = boto3.client(
            "apigatewaymanagementapi", endpoint_url=os.environ["CONNECTIONS_URL"]
        )
    body = json.loads(event["body"])
    data = body["data"].encode() if "data" in body else bytes(body["bytes"])
    _connections.post_to_connection(ConnectionId=event["requestContext"]["connectionId"], Data=data)
    return {"statusCode": 200}


def game_store(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """DynamoDB calls whose capacity the emulator meters: put, update, get, a failed condition."""
    client = boto3.client("dynamodb")
    table = os.environ["TABLE_NAME"]
    key = {"Id": {"S": event["requestContext"]["connectionId"]}}
    client.put_item(TableName=table, Item={**key, "blob": {"S": "x" * 1500}})
    client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET n = :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    item = client.get_item(TableName=table, Key=key, ConsistentRead=True)
    try:
        client.put_item(TableName=table, Item=key, ConditionExpression="attribute_not_exists(Id)")
    except client.exceptions.ConditionalCheckFailedException:
        pass
    return _reply(
        {"has_consumed_capacity": "ConsumedCapacity" in item, "n": item["Item"]["n"]["N"]}
    )


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A REQUEST authorizer: Allow when the Auth header is "letmein", else Deny; its context
    carries one value of each allowed type."""
    effect = "Allow" if event["headers"].get("Auth") == "letmein" else "Deny"
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
            ],
        },
        "context": {"team": "blue", "level": 3, "admin": False},
    }
