"""No state survives between invocations except on purpose: a warm worker that refuses
10,000 moves holds no more memory than after its first few hundred.

A shared exception instance (the old `store.GAME_NOT_FOUND`) kept every traceback it was
raised with: 4,000 entries after 2,000 refused moves. The handler runs here exactly as in a
warm Lambda worker; DynamoDB and `@connections` are real boto3 clients answered in-process
(DynamoDB refuses every move's condition with no item: the game is not found).
"""

from __future__ import annotations

import gc
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from functions import aws, play, settings, store
from game.errors import GameError
from tests.functions.conftest import MANAGEMENT_URL, canned_client

REFUSED_MOVES = 10_000
WARM_UP = 500
MOVE = {
    "requestContext": {"connectionId": "X1", "routeKey": "play", "eventType": "MESSAGE"},
    "body": json.dumps({"type": "play", "id": "A" * 22, "tile": "1,1"}),
}


def _not_found(request: Any) -> tuple[int, dict[str, str], bytes]:
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed",
    }
    return 400, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(body).encode()


@pytest.fixture
def warm_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """A play worker whose DynamoDB finds no game; yields the count of error frames posted."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv(settings.TABLE_NAME, "xo-test")
    monkeypatch.setenv(settings.CONNECTIONS_URL, MANAGEMENT_URL)
    errors = [0]

    def posted(request: Any) -> tuple[int, dict[str, str], bytes]:
        assert json.loads(request.body)["code"] == "game_not_found"
        errors[0] += 1
        return 200, {}, b""

    aws.reset()
    logging.disable(logging.INFO)  # pytest keeps every record it captures; CloudWatch does not
    aws.use("dynamodb", canned_client("dynamodb", _not_found))
    aws.use(
        "apigatewaymanagementapi",
        canned_client("apigatewaymanagementapi", posted, endpoint_url=MANAGEMENT_URL),
        MANAGEMENT_URL,
    )
    yield errors
    logging.disable(logging.NOTSET)
    aws.reset()


def refuse(moves: int) -> None:
    for _ in range(moves):
        assert play.handler(MOVE, None) == {"statusCode": 200}


def test_memory_stays_flat_over_10000_refused_moves(warm_worker: list[int]) -> None:
    """Memory is counted in the interpreter's allocated blocks (`sys.getallocatedblocks`,
    which costs nothing per allocation, unlike tracemalloc): with a shared exception,
    10,000 refusals kept about 850,000 more blocks (31,500 traceback entries on one error);
    fresh ones keep a few hundred (caches warming), whatever the count."""
    refuse(WARM_UP)
    gc.collect()
    before = sys.getallocatedblocks()
    refuse(REFUSED_MOVES)
    gc.collect()
    growth = sys.getallocatedblocks() - before
    print(f"\nwarm worker: {REFUSED_MOVES} refused moves kept {growth:,} more allocated blocks")
    assert warm_worker[0] == WARM_UP + REFUSED_MOVES  # every move was refused, and told
    assert growth < 5_000, f"{growth:,} blocks kept after {REFUSED_MOVES} refused moves"


def test_each_refusal_is_a_fresh_error_with_its_own_short_traceback(
    warm_worker: list[int],
) -> None:
    """The error a refused move raises is new each time, and its traceback does not grow."""
    seen: list[GameError] = []
    for _ in range(3):
        with pytest.raises(GameError) as caught:
            store.play_move("A" * 22, "X1", 4)
        seen.append(caught.value)
    assert len({id(error) for error in seen}) == 3
    lengths = [len(_frames(error)) for error in seen]
    assert lengths[0] == lengths[1] == lengths[2], lengths


def _frames(error: BaseException) -> list[Any]:
    frames, tb = [], error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames
