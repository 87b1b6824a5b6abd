"""The README's worst case: what one hostile client can cost per hour when it sends every
route at the stage's throttle, each request on its most expensive path. Computed here from
`benchmarks/prices.json` and the stack's throttle defaults (`infra.websocket_game`), and
checked against the figures the README shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from functions.routes import ROUTES
from functions.watch import MAX_WATCHERS
from infra.websocket_game import NEW_GAME_ROUTES, XoStackArgs

ROOT = Path(__file__).resolve().parents[2]
BILLED_SECONDS = 0.1
"""Lambda duration billed per invocation, assumed: a warm handler's two or three DynamoDB
calls and posts take tens of milliseconds."""


class Bound(NamedTuple):
    """The most one request can cost, over every path through its handler (including the
    `$disconnect` work a seat or a spectator it adds may cause later)."""

    posts: int
    write_units: int
    read_units: int
    disconnects: int = 0
    """`$disconnect` invocations it can cause (each reads the connection's item)."""


W = MAX_WATCHERS  # every move and every player's coming and going reaches each spectator
BOUNDS = {
    # init; at disconnect opponent_left + presence to W | seat + game; detach at disconnect
    "start": Bound(posts=2 + W, write_units=3, read_units=0, disconnects=1),
    # join to both, presence to W, spectator count; at disconnect 1 + W
    # | refused: seat + failed write + seat back (3); accepted: 2, and a detach at disconnect
    "join": Bound(posts=3 + W + 1 + W, write_units=3, read_units=0, disconnects=1),
    # against the computer: the reply to the player, both moves to W spectators each
    # | a hinted write refused, the move on the item, the player's seat freed at the end
    "play": Bound(posts=1 + 2 * W, write_units=3, read_units=0),
    # state, seat_taken or opponent_back, presence to W, count; at disconnect 1 + W | read |
    # seat + attach + displaced seat freed; detach at disconnect
    "resume": Bound(posts=3 + W + 1 + W, write_units=4, read_units=1, disconnects=1),
    # watching, the count to both players; at disconnect the count again | spectator added,
    # recorded; removed at disconnect | the game read at disconnect
    "watch": Bound(posts=1 + 2 + 2, write_units=3, read_units=1, disconnects=1),
    # join to both, presence to W; at disconnect 1 + W | 4 rounds of take + (join or offer),
    # its own game created and deleted, the seat recorded
    "match": Bound(posts=2 + W + 1 + W, write_units=4 * 2 + 1 + 1 + 1, read_units=0, disconnects=1),
    # the result to both players and W spectators | two settling attempts
    "claim": Bound(posts=2 + W, write_units=2, read_units=0),
    # the result to both players and W spectators | the resignation, both seats freed
    "resign": Bound(posts=2 + W, write_units=1 + 2, read_units=0),
    # rematch to both and W; at disconnect each seat's 1 + W | the answer, the new game,
    # both seats recorded; both detached at disconnect
    "rematch": Bound(posts=2 + W + 2 * (1 + W), write_units=1 + 1 + 2 + 2, read_units=0),
    "$default": Bound(posts=1, write_units=0, read_units=0),  # ping -> pong
}
"""Routes not named here would be missed: `test_every_route_has_a_bound` checks."""


def worst_case_per_hour() -> dict[str, float]:
    """Dollars per hour, by line item and in total."""
    prices = json.loads((ROOT / "benchmarks" / "prices.json").read_text())
    stack = XoStackArgs(source_root=ROOT)
    rates = {
        route: stack.new_game_rate_limit
        if route in NEW_GAME_ROUTES
        else stack.throttling_rate_limit
        for route in BOUNDS
    }
    per_s = {
        "messages": sum(rate * (1 + BOUNDS[r].posts) for r, rate in rates.items()),
        "invocations": sum(rate * (1 + BOUNDS[r].disconnects) for r, rate in rates.items()),
        "write_units": sum(rate * BOUNDS[r].write_units for r, rate in rates.items()),
        "read_units": sum(
            rate * (BOUNDS[r].read_units + BOUNDS[r].disconnects) for r, rate in rates.items()
        ),
    }
    hour = {name: value * 3600 for name, value in per_s.items()}
    gb_seconds = hour["invocations"] * stack.lambda_memory_mb / 1024 * BILLED_SECONDS
    cost = {
        "messages": hour["messages"] / 1e6 * prices["api_gateway_message_per_million"],
        "lambda": hour["invocations"] / 1e6 * prices["lambda_request_per_million"]
        + gb_seconds * prices["lambda_gb_second_arm64"],
        "dynamodb": hour["write_units"] / 1e6 * prices["dynamodb_write_unit_per_million"]
        + hour["read_units"] / 1e6 * prices["dynamodb_read_unit_per_million"],
    }
    cost["total"] = sum(cost.values())
    return {**{f"{k}_per_hour": v for k, v in hour.items()}, **cost}


def test_the_readme_shows_the_worst_case_computed_from_prices_and_throttles() -> None:
    figures = worst_case_per_hour()
    readme = " ".join((ROOT / "README.md").read_text().split())  # lines wrap anywhere
    for item in ("messages", "lambda", "dynamodb", "total"):
        assert f"${figures[item]:.2f}" in readme, (item, figures)
    assert f"{figures['messages_per_hour'] / 1e6:.2f} million messages" in readme
    assert f"{figures['write_units_per_hour'] / 1e6:.2f} million write units" in readme


def test_every_route_has_a_bound() -> None:
    """A new route must say what it can cost before the README's figure can be trusted."""
    assert set(BOUNDS) == {route.key for route in ROUTES} - {"$disconnect"}
