"""Stage throttling: `start`, `join`, `match` and `rematch` (a new game or seat each) are
throttled below `play`.

API Gateway's stage throttle is shared by every client, so a client creating games in a
loop would otherwise eat the budget that moves in running games need.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.websocket_game import XoStackArgs
from tests.infra.stack_harness import ROUTE, STAGE, Deployment, load_program

NEW_GAMES = ("start", "join", "match", "rematch")
"""The routes that create a game or take a seat (spelled out: the test checks the stack's list)."""


def route_throttles(deployment: Deployment) -> dict[str, tuple[float, int]]:
    """Route key -> (rate, burst) of the stage's per-route settings."""
    (stage,) = deployment.of_type(STAGE)
    return {
        setting["routeKey"]: (setting["throttlingRateLimit"], setting["throttlingBurstLimit"])
        for setting in stage.inputs.get("routeSettings", [])
    }


def test_the_routes_that_make_games_are_throttled_below_play_by_default() -> None:
    deployment = load_program()
    (stage,) = deployment.of_type(STAGE)
    default = stage.inputs["defaultRouteSettings"]
    assert route_throttles(deployment) == dict.fromkeys(NEW_GAMES, (10, 20))
    assert (default["throttlingRateLimit"], default["throttlingBurstLimit"]) == (50, 100)


def test_the_new_game_throttle_is_configurable() -> None:
    deployment = load_program({"newGameRateLimit": "2.5", "newGameBurstLimit": "5"})
    assert route_throttles(deployment) == dict.fromkeys(NEW_GAMES, (2.5, 5))


def test_the_stage_is_created_after_the_routes_it_throttles() -> None:
    """API Gateway refuses route settings for a route key the API does not have yet."""
    deployment = load_program()
    (stage,) = deployment.of_type(STAGE)
    for key in NEW_GAMES:
        route = deployment.one(ROUTE, routeKey=key)
        assert route.urn in stage.dependencies, f"{stage}: created before {route}"


@pytest.mark.parametrize(
    "change",
    [
        {"new_game_rate_limit": 0.0},
        {"new_game_burst_limit": 0},
        {"new_game_rate_limit": 51.0},
        {"new_game_burst_limit": 101},
    ],
    ids=["zero-rate", "zero-burst", "rate-above-play", "burst-above-play"],
)
def test_a_new_game_throttle_above_play_or_at_zero_is_refused(change: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="new-game throttl"):
        XoStackArgs(source_root=Path("."), **change)  # type: ignore[arg-type]
