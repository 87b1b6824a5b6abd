"""The turn clock as values: who has lost on time, and when."""

from __future__ import annotations

import pytest

from game.clock import MAX_SECONDS, MIN_SECONDS, Clock, check_seconds
from game.errors import GameError
from game.rules import Game, Mark


def test_a_clock_starts_when_o_joins_and_restarts_with_each_move() -> None:
    clock = Clock(30)
    assert clock.remaining(1000) is None and not clock.expired(10**9)
    started = clock.started(1000)
    assert started == Clock(30, 1030) and started.remaining(1010) == 20


def test_the_player_to_move_loses_only_after_the_deadline() -> None:
    clock = Clock(30, 1030)
    game = Game.from_moves(["1,1"])
    assert clock.loser(game, 1030) is None  # on the deadline itself a move still counts
    assert clock.loser(game, 1031) is Mark.O and clock.remaining(1031) == 0


def test_nobody_loses_on_time_once_the_game_is_over() -> None:
    won = Game.from_moves(["0,0", "1,0", "0,1", "1,1", "0,2"])
    assert Clock(30, 1030).loser(won, 5000) is None


@pytest.mark.parametrize("seconds", [MIN_SECONDS, 30, MAX_SECONDS])
def test_whole_seconds_in_range_make_a_clock(seconds: int) -> None:
    assert check_seconds(seconds) == seconds


@pytest.mark.parametrize("seconds", [MIN_SECONDS - 1, MAX_SECONDS + 1, 30.0, "30", True, None])
def test_anything_else_is_a_bad_request(seconds: object) -> None:
    with pytest.raises(GameError) as raised:
        check_seconds(seconds)
    assert raised.value.code == "bad_request" and str(MIN_SECONDS) in raised.value.message
