"""Environment variables the handlers read. Nothing here knows where it runs.

- `TABLE_NAME`: the DynamoDB table (required).
- `CONNECTIONS_URL`: the `@connections` endpoint, `https://{api}.execute-api.{region}.amazonaws.com/{stage}`
  in AWS or `http://127.0.0.1:{port}/{stage}` in the emulator (required).
- `GAME_TTL_SECONDS`: how long a game lives after its last move (default 86400).
- The DynamoDB endpoint is boto3's own `AWS_ENDPOINT_URL_DYNAMODB` when set.
"""

from __future__ import annotations

import os

TABLE_NAME = "TABLE_NAME"
CONNECTIONS_URL = "CONNECTIONS_URL"
GAME_TTL_SECONDS = "GAME_TTL_SECONDS"
DEFAULT_GAME_TTL_SECONDS = 24 * 3600


def table_name() -> str:
    return os.environ[TABLE_NAME]


def connections_url() -> str:
    return os.environ[CONNECTIONS_URL]


def game_ttl_seconds() -> int:
    return int(os.environ.get(GAME_TTL_SECONDS, DEFAULT_GAME_TTL_SECONDS))
