"""The DynamoDB table definition shared by the emulator and the Pulumi program."""

from __future__ import annotations

from typing import Any

HASH_KEY = "GameId"
"""Partition key attribute (a string)."""
HASH_KEY_TYPE = "S"
TTL_ATTRIBUTE = "ttl"
"""Number attribute, epoch seconds; DynamoDB deletes expired items (eventually)."""


def create_table_request(table_name: str) -> dict[str, Any]:
    """Keyword arguments for boto3's `create_table` that build the game table."""
    return {
        "TableName": table_name,
        "KeySchema": [{"AttributeName": HASH_KEY, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": HASH_KEY, "AttributeType": HASH_KEY_TYPE}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def ttl_request(table_name: str) -> dict[str, Any]:
    """Keyword arguments for boto3's `update_time_to_live` that turn TTL on."""
    return {
        "TableName": table_name,
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    }
