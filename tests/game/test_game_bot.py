"""The computer opponent: the perfect level never loses, over every possible line of play."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cache

import pytest

from game.bot import Level, choose, empty_cells, perfect_moves, reply
from game.errors import GameError
from game.rules import Game, Mark


def every_line(bot: Mark, game: Game | None = None) -> Counter[str]:
    """Play out every line from `game`: the opponent tries every legal move, the bot every move
    `perfect_moves` allows. Returns how the finished games ended, from the bot's view."""
    game = game or Game()
    if game.is_over:
        outcome = game.outcome
        return Counter({"draw" if outcome == "draw" else "won" if outcome == bot else "lost": 1})
    turn = game.turn_or_raise()
    moves = perfect_moves(game) if turn is bot else empty_cells(game)
    results: Counter[str] = Counter()
    for index in moves:
        results += every_line(bot, game.play(turn, index))
    return results


@pytest.mark.parametrize("bot", [Mark.X, Mark.O])
def test_the_perfect_level_never_loses_whatever_the_opponent_plays(bot: Mark) -> None:
    results = every_line(bot)
    print(f"perfect bot as {bot}: {dict(results)} over {sum(results.values())} finished games")
    assert results["lost"] == 0
    assert results["won"] > 0 and results["draw"] > 0  # the tree really was walked


def test_the_tree_walk_counts_every_game_against_a_bot_that_allows_all_moves() -> None:
    """The walk is the real game tree: with no pruning on either side it finds the 255,168
    possible games of naughts and crosses (counted per position, as the count of games from a
    position depends on its board alone)."""

    @cache
    def all_games(board: tuple[str, ...]) -> int:
        game = Game(board)
        if game.is_over:
            return 1
        turn = game.turn_or_raise()
        return sum(all_games(game.play(turn, index).board) for index in empty_cells(game))

    assert all_games(Game().board) == 255_168


def test_perfect_play_against_itself_is_always_a_draw() -> None:
    def walk(game: Game) -> set[str | None]:
        if game.is_over:
            return {game.outcome}
        turn = game.turn_or_raise()
        return set().union(*(walk(game.play(turn, i)) for i in perfect_moves(game)))

    assert walk(Game()) == {"draw"}


def test_the_perfect_level_takes_a_win_rather_than_blocking() -> None:
    # x: 0,0 0,1 ; o: 1,0 1,1 -- x to move can win at 0,2 (index 2); o threatens 1,2 (index 5)
    game = Game.from_moves(["0,0", "1,0", "0,1", "1,1"])
    assert perfect_moves(game) == (2,)


def test_the_perfect_level_blocks_a_line_it_cannot_outrun() -> None:
    game = Game.from_moves(["0,0", "1,1", "0,1"])  # x threatens 0,2
    assert perfect_moves(game) == (2,)


def test_the_random_level_may_play_any_empty_cell_and_only_those() -> None:
    game = Game.from_moves(["1,1", "0,0"])
    offered: list[Sequence[int]] = []

    def first(candidates: Sequence[int]) -> int:
        offered.append(candidates)
        return candidates[0]

    assert choose(game, Level.RANDOM, first) == 1
    assert offered == [(1, 2, 3, 5, 6, 7, 8)]


def test_the_default_pick_is_spread_over_the_candidates() -> None:
    seen = Counter(choose(Game(), Level.RANDOM) for _ in range(900))
    assert set(seen) == set(range(9))  # each of 9 cells, 900 draws: missing one is ~1e-40


def test_reply_plays_only_on_the_computers_turn() -> None:
    game = Game.from_moves(["1,1"])
    assert reply(game, Mark.X, Level.PERFECT) == game
    answered = reply(game, Mark.O, Level.PERFECT)
    assert answered.moves == 2 and answered.board.count("o") == 1


def test_there_is_no_move_on_a_finished_board() -> None:
    won = Game.from_moves(["0,0", "1,0", "0,1", "1,1", "0,2"])
    with pytest.raises(GameError) as raised:
        choose(won, Level.PERFECT)
    assert raised.value.code == "game_over"
    assert reply(won, Mark.O, Level.RANDOM) == won
