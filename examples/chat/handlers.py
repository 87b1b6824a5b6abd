"""A WebSocket chat API's Lambda functions, written as they would be deployed on AWS.

- `authorize`: the `$connect` REQUEST authorizer. The ``token`` query parameter must be
  one of ``CHAT_TOKENS`` (``name:token`` pairs, comma-separated); the name becomes the
  principal, and the context carries it for the other functions.
- `connect`, `disconnect`: remember and forget the connection in the ``TABLE_NAME`` table.
- `send`: the ``sendmessage`` route; posts ``name: text`` to every connection, through an
  `@connections` client built from the event (``https://{domainName}/{stage}``), the way
  AWS's examples build it.

Nothing here knows it runs locally.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3


def _table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token", "")
    names = {
        secret: name
        for name, _, secret in (p.partition(":") for p in os.environ["CHAT_TOKENS"].split(","))
    }
    name = names.get(token)
    return {
        "principalId": name or "nobody",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if name else "Deny",
                    "Resource": event["methodArn"],
                }
            ],
        },
        "context": {"name": name or ""},
    }


def connect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event["requestContext"]
    _table().put_item(
        Item={"connectionId": request["connectionId"], "name": request["authorizer"]["name"]}
    )
    return {"statusCode": 200}


def disconnect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _table().delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200}


def send(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event["requestContext"]
    text = json.loads(event["body"]).get("text", "")
    line = f"{request['authorizer']['name']}: {text}".encode()
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://{request['domainName']}/{request['stage']}",
    )
    for item in _table().scan(ProjectionExpression="connectionId")["Items"]:
        try:
            client.post_to_connection(ConnectionId=item["connectionId"], Data=line)
        except client.exceptions.GoneException:
            _table().delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200}
