"""A chat handler written in the pattern of AWS's Python WebSocket chat example
(aws-doc-sdk-examples, python/cross_service/apigateway_websocket_chat, lambda_chat.py):
one function for every route, the table name in the environment, and the `@connections`
client built from the event as ``https://{domainName}/{stage}``. No "am I local?" branch:
the emulator must run it unchanged.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)


def handle_connect(user_name: str, table: Any, connection_id: str) -> int:
    try:
        table.put_item(Item={"connection_id": connection_id, "user_name": user_name})
    except ClientError:
        logger.exception("Couldn't add connection %s for %s.", connection_id, user_name)
        return 503
    return 200


def handle_disconnect(table: Any, connection_id: str) -> int:
    try:
        table.delete_item(Key={"connection_id": connection_id})
    except ClientError:
        logger.exception("Couldn't disconnect connection %s.", connection_id)
        return 503
    return 200


def handle_message(table: Any, connection_id: str, event_body: dict[str, Any], apig: Any) -> int:
    try:
        user_name = table.get_item(Key={"connection_id": connection_id})["Item"]["user_name"]
    except (ClientError, KeyError):
        user_name = "guest"
    message = f"{user_name}: {event_body['msg']}".encode()
    status = 200
    for item in table.scan(ProjectionExpression="connection_id")["Items"]:
        try:
            apig.post_to_connection(Data=message, ConnectionId=item["connection_id"])
        except ClientError:
            logger.exception("Couldn't post to connection %s.", item["connection_id"])
            status = 503
        except apig.exceptions.GoneException:
            logger.info("Connection %s is gone, removing.", item["connection_id"])
            table.delete_item(Key={"connection_id": item["connection_id"]})
    return status


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(os.environ["table_name"])  # noqa: SIM112 - as AWS names it
    route_key = event.get("requestContext", {}).get("routeKey")
    connection_id = event.get("requestContext", {}).get("connectionId")
    if route_key is None or connection_id is None:
        return {"statusCode": 400}
    response: dict[str, Any] = {"statusCode": 200}
    if route_key == "$connect":
        user_name = (event.get("queryStringParameters") or {}).get("name", "guest")
        response["statusCode"] = handle_connect(user_name, table, connection_id)
    elif route_key == "$disconnect":
        response["statusCode"] = handle_disconnect(table, connection_id)
    elif route_key == "sendmessage":
        body = json.loads(event.get("body", "{}"))
        domain = event.get("requestContext", {}).get("domainName")
        stage = event.get("requestContext", {}).get("stage")
        if domain is None or stage is None:
            response["statusCode"] = 400
        else:
            apig = boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{domain}/{stage}")
            response["statusCode"] = handle_message(table, connection_id, body, apig)
    else:
        response["statusCode"] = 404
    return response


def post_without_endpoint(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Posts back through a client created with no endpoint_url at all (boto3's
    AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI decides)."""
    boto3.client("apigatewaymanagementapi").post_to_connection(
        ConnectionId=event["requestContext"]["connectionId"], Data=b"found my way"
    )
    return {"statusCode": 200}
