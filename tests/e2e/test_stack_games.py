"""The end-to-end games again, against `xo local --stack`: the stack the Pulumi program
declares (its stage, routes, archive, variables, roles and table), not the route table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from client.local import stack_emulator
from emulator.server import ThreadedEmulator
from tests.e2e import test_drops, test_games
from tests.e2e.players import DRAW, O_WINS, X_WINS


@pytest.fixture(scope="module")
def stack_server() -> Iterator[ThreadedEmulator]:
    with stack_emulator(provisioned_concurrency=1, close_timeout=1, report=lambda _: None) as emu:
        server = emu.serve_in_thread()
        try:
            yield server
        finally:
            server.stop()


def test_the_stack_is_served_on_its_declared_stage(stack_server: ThreadedEmulator) -> None:
    assert stack_server.url.endswith("/dev")


@pytest.mark.parametrize(("tiles", "winner"), [(X_WINS, "x"), (O_WINS, "o"), (DRAW, "draw")])
async def test_a_whole_game_on_the_stack(
    stack_server: ThreadedEmulator, tiles: list[str], winner: str
) -> None:
    await test_games.test_two_players_play_a_whole_game(stack_server, tiles, winner)


@pytest.mark.parametrize("seed", range(3))  # x wins, o wins, draw (see test_drops.GAMES)
async def test_a_dropped_player_resumes_on_the_stack(
    stack_server: ThreadedEmulator, seed: int
) -> None:
    await test_drops.test_a_killed_player_resumes_and_the_game_finishes(stack_server, seed)
