"""Handlers written the way AWS's own examples write them run unchanged on the emulator.

AWS: API Gateway developer guide, "Tutorial: Create a WebSocket chat app with a WebSocket
API, Lambda and DynamoDB" (websocket-api-chat-app.html), whose Python function
(aws-doc-sdk-examples, lambda_chat.py) builds its `@connections` client as
``endpoint_url=f"https://{domainName}/{stage}"``; "Use @connections commands in your
backend service" (apigateway-how-to-call-websocket-api-connections.html).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable

from websockets.asyncio.client import connect

from emulator import DynamoDB, Emulator, Function

EmulatorFactory = Callable[..., Awaitable[Emulator]]
CHAT = "tests.emulator.aws_chat_example"
TABLE = {
    "TableName": "chat-connections",
    "KeySchema": [{"AttributeName": "connection_id", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "connection_id", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


async def test_aws_python_chat_example_runs_unchanged(apigw_emulator: EmulatorFactory) -> None:
    """The chat function posts to https://{domainName}/{stage}: the emulator answers TLS on
    its port with a certificate of this run, which workers trust through AWS_CA_BUNDLE."""
    chat = Function(
        f"{CHAT}.lambda_handler", name="chat", environment={"table_name": "chat-connections"}
    )
    emu = await apigw_emulator(
        {"$connect": chat, "$disconnect": chat, "sendmessage": chat},
        dynamodb=DynamoDB(tables=[TABLE]),
    )
    async with connect(emu.url + "?name=ann") as ann, connect(emu.url + "?name=bob") as bob:
        await ann.send(json.dumps({"action": "sendmessage", "msg": "hello"}))
        assert await asyncio.wait_for(ann.recv(), 30) == "ann: hello"
        assert await asyncio.wait_for(bob.recv(), 30) == "ann: hello"
    assert emu.metrics.invocation_errors == {}


async def test_a_client_without_endpoint_url_finds_the_emulator(
    apigw_emulator: EmulatorFactory,
) -> None:
    """boto3.client("apigatewaymanagementapi") alone reaches this emulator through boto3's
    standard AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI."""
    emu = await apigw_emulator({"$default": f"{CHAT}.post_without_endpoint"})
    async with connect(emu.url) as ws:
        await ws.send("where are you?")
        assert await asyncio.wait_for(ws.recv(), 30) == "found my way"


async def test_clients_may_connect_with_wss(apigw_emulator: EmulatorFactory) -> None:
    """The same port serves wss:// to a client that trusts the run's CA (`Emulator.ca_bundle`)."""
    emu = await apigw_emulator({"$default": f"{CHAT}.post_without_endpoint"})
    assert emu.ca_bundle is not None
    trust = ssl.create_default_context(cafile=str(emu.ca_bundle))
    async with connect(emu.url.replace("ws://", "wss://"), ssl=trust) as ws:
        await ws.send("secure?")
        assert await asyncio.wait_for(ws.recv(), 30) == "found my way"
