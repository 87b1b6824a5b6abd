"""What each moto patch (`emulator.moto_patches`) saves on xo's DynamoDB requests.

    python -m benchmarks.moto_patches [--games 60] [--repeats 3]

In this process, under moto's `mock_aws`: games are created, joined and played to the
end with xo's own store functions (`functions.store`), and the mean CPU time (this process's, so other load on the machine counts little) of one
`play_move` (a conditional UpdateItem, the request a game makes most) is taken with
plain moto, with every patch, and with every patch but one (what that one earns). The
best of `--repeats` runs counts. Figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from benchmarks.report import heading, table

TABLE = "xo-bench"
_MOVES = (4, 0, 8, 2, 6, 3, 5, 1, 7)  # a full board, no line until the last move


def _play(games: int) -> float:
    """Mean milliseconds per play_move over `games` games, in a fresh mock DynamoDB."""
    import boto3
    from moto import mock_aws

    from functions import aws, settings, store
    from functions.table import create_table_request

    os.environ.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            settings.TABLE_NAME: TABLE,
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    spent = 0.0
    moves = 0
    with mock_aws():
        aws.reset()
        boto3.client("dynamodb").create_table(**create_table_request(TABLE))
        for game in range(games):
            game_id = f"g{game}"
            store.create_game(game_id, "X", "tx", False)
            store.join_game(game_id, "O", "to", False)
            for turn, cell in enumerate(_MOVES):
                began = time.process_time()
                try:
                    store.play_move(game_id, "X" if turn % 2 == 0 else "O", cell)
                except Exception:  # the game ended: a refused move is a request too
                    pass
                spent += time.process_time() - began
                moves += 1
        aws.reset()
    return spent / moves * 1000


def _best(games: int, repeats: int, names: list[str] | None) -> float:
    from emulator import moto_patches

    moto_patches.undo()
    if names is not None:
        moto_patches.apply(names)
    try:
        return min(_play(games) for _ in range(repeats))
    finally:
        moto_patches.undo()


def measure(games: int, repeats: int) -> list[dict[str, Any]]:
    from emulator import moto_patches

    every = list(moto_patches.PATCHES)
    _best(5, 1, every)  # warm imports and caches outside the figures
    plain = _best(games, repeats, None)
    patched = _best(games, repeats, every)
    rows = [
        {"variant": "plain moto", "play_ms": plain, "earns_ms": None},
        {"variant": "every patch", "play_ms": patched, "earns_ms": plain - patched},
    ]
    for name in every:
        # Patches that build on another (update_tree_copies, update_checks_once need
        # update_trees) are off with it.
        without = [n for n in every if n != name]
        ms = _best(games, repeats, without)
        rows.append({"variant": f"every patch but {name}", "play_ms": ms, "earns_ms": ms - patched})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = measure(args.games, args.repeats)
    print(
        heading(
            f"moto patches: one play_move, in-process ({args.games} games, best of {args.repeats})"
        )
    )
    print(
        table(
            ["variant", "ms per play", "patch earns (ms)"],
            [
                [
                    row["variant"],
                    f"{row['play_ms']:.3f}",
                    "" if row["earns_ms"] is None else f"{row['earns_ms']:+.3f}",
                ]
                for row in rows
            ],
        )
    )


if __name__ == "__main__":
    main()
