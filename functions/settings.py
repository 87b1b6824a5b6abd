"""Environment variables the handlers read. Nothing here knows where it runs.

- `TABLE_NAME`: the DynamoDB table (required).
- `CONNECTIONS_URL`: the `@connections` endpoint, `https://{api}.execute-api.{region}.amazonaws.com/{stage}`
  in AWS or `http://127.0.0.1:{port}/{stage}` in the emulator (required).
- `GAME_TTL_SECONDS`: how long a game lives after its last move (default
  `game.lifetime.DEFAULT_SECONDS`, a day).
- `MAX_OPEN_GAMES`: how many games not yet over one connection may hold a seat in (default 4).
- `STARTS_PER_MINUTE`: how many games one connection may start per clock minute (default 10).
- The DynamoDB endpoint is boto3's own `AWS_ENDPOINT_URL_DYNAMODB` when set.

The limits are documented for players in PROTOCOL.md ("Connections and games").
"""

from __future__ import annotations

import os

from game import lifetime

TABLE_NAME = "TABLE_NAME"
CONNECTIONS_URL = "CONNECTIONS_URL"
GAME_TTL_SECONDS = "GAME_TTL_SECONDS"
DEFAULT_GAME_TTL_SECONDS = lifetime.DEFAULT_SECONDS
MAX_OPEN_GAMES = "MAX_OPEN_GAMES"
DEFAULT_MAX_OPEN_GAMES = 4
STARTS_PER_MINUTE = "STARTS_PER_MINUTE"
DEFAULT_STARTS_PER_MINUTE = 10


def table_name() -> str:
    return os.environ[TABLE_NAME]


def connections_url() -> str:
    return os.environ[CONNECTIONS_URL]


def game_ttl_seconds() -> int:
    return int(os.environ.get(GAME_TTL_SECONDS, DEFAULT_GAME_TTL_SECONDS))


def max_open_games() -> int:
    return int(os.environ.get(MAX_OPEN_GAMES, DEFAULT_MAX_OPEN_GAMES))


def starts_per_minute() -> int:
    return int(os.environ.get(STARTS_PER_MINUTE, DEFAULT_STARTS_PER_MINUTE))
