"""Serve the chat API locally and hold a short conversation: ``python -m examples.chat``.

Ann and Bob connect with their tokens, Ann says hello, both read it; a stranger with a
wrong token is refused by the authorizer (403), one without a token before it is even
called (401).
"""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from emulator import Authorizer, DynamoDB, Emulator

HANDLERS = "examples.chat.handlers"
TABLE = {
    "TableName": "chat",
    "KeySchema": [{"AttributeName": "connectionId", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "connectionId", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def chat_emulator() -> Emulator:
    """The chat API: three routes, the authorizer, a table, two users' tokens."""
    return Emulator(
        {
            "$connect": f"{HANDLERS}.connect",
            "$disconnect": f"{HANDLERS}.disconnect",
            "sendmessage": f"{HANDLERS}.send",
        },
        route_selection_expression="$request.body.action",
        authorizer=Authorizer(
            f"{HANDLERS}.authorize", identity_sources=["route.request.querystring.token"]
        ),
        dynamodb=DynamoDB(tables=[TABLE]),
        environment={"TABLE_NAME": "chat", "CHAT_TOKENS": "ann:secret-a,bob:secret-b"},
    )


async def refused(url: str) -> int:
    try:
        async with connect(url):
            return 101
    except InvalidStatus as refusal:
        return refusal.response.status_code


async def main() -> None:
    async with chat_emulator() as emu:
        print(f"chat API on {emu.url}")
        async with (
            connect(f"{emu.url}?token=secret-a") as ann,
            connect(f"{emu.url}?token=secret-b") as bob,
        ):
            await ann.send(json.dumps({"action": "sendmessage", "text": "hello, Bob"}))
            print("Bob reads:", await asyncio.wait_for(bob.recv(), 30))
            print("Ann reads:", await asyncio.wait_for(ann.recv(), 30))
        print("a wrong token:", await refused(f"{emu.url}?token=guess"))
        print("no token:", await refused(emu.url))


if __name__ == "__main__":
    asyncio.run(main())
