"""The computer opponent: which cell it plays on a board. Pure code, no I/O.

Two levels:
- `random`: any empty cell, each equally likely.
- `perfect`: a move that keeps the best result minimax can force (a win if one can be
  forced, the quickest one; else a draw). It never loses, and takes a win the opponent
  leaves open. Among equally good moves it picks one at random, so games vary.

The whole game tree has 5,478 reachable positions; `outcome_value` memoizes each one, so
the first call explores it (a few milliseconds) and later calls are lookups.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import cache

from game.rules import BLANK, CELLS, Game, Mark


class Level(StrEnum):
    """How well the computer plays. The wire carries the value (`"random"`, `"perfect"`)."""

    RANDOM = "random"
    PERFECT = "perfect"


DEFAULT_LEVEL = Level.PERFECT

Pick = Callable[[Sequence[int]], int]
"""Chooses one cell among candidates (tests pass a deterministic one)."""


def pick_uniform(candidates: Sequence[int]) -> int:
    """One of `candidates`, uniformly, from the OS's randomness (no `random` import at cold start)."""
    if not candidates:
        raise ValueError("no candidates to pick from")
    # 4 random bytes: the modulo bias over at most 9 candidates is below 1e-8.
    return candidates[int.from_bytes(os.urandom(4), "big") % len(candidates)]


def empty_cells(game: Game) -> tuple[int, ...]:
    """The cells a move may go to."""
    return tuple(index for index in range(CELLS) if game.board[index] == BLANK)


@cache
def outcome_value(board: tuple[str, ...]) -> int:
    """The result of `board` under best play by both sides, from the view of the player to
    move: positive is a win (larger is sooner), 0 a draw, negative a loss. For a finished
    board, the view of the player who would have moved next."""
    game = Game(board)
    winner = game.winner
    if winner is not None:  # the previous mover won: a loss for the one to move
        return -(1 + board.count(BLANK))
    turn = game.turn
    if turn is None:
        return 0
    return max(-outcome_value(game.play(turn, index).board) for index in empty_cells(game))


def perfect_moves(game: Game) -> tuple[int, ...]:
    """Every move that keeps the best result the player to move can force. Raises
    `GameError(game_over)` on a finished game."""
    turn = game.turn_or_raise()
    scored = [(-outcome_value(game.play(turn, index).board), index) for index in empty_cells(game)]
    best = max(score for score, _ in scored)
    return tuple(index for score, index in scored if score == best)


def choose(game: Game, level: Level, pick: Pick = pick_uniform) -> int:
    """The cell the computer plays on `game` at `level`. Raises `GameError(game_over)` on a
    finished game."""
    game.turn_or_raise()
    candidates = perfect_moves(game) if level is Level.PERFECT else empty_cells(game)
    return pick(candidates)


def reply(game: Game, bot: Mark, level: Level, pick: Pick = pick_uniform) -> Game:
    """The game after the computer, playing `bot`, answers (unchanged if the game is over or
    it is not the computer's turn)."""
    if game.turn is not bot:
        return game
    return game.play(bot, choose(game, level, pick))
