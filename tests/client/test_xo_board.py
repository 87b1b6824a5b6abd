"""Drawing the board and reading what a player types."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client.board import outcome_sentence, read_tile, render_board, turn_sentence
from client.moves import split_moves
from game.errors import ErrorCode, GameError
from game.rules import Game, Mark

TUTORIAL = """\
0,0         0,2
     x | o | x
    -----------
       | o |
    -----------
       |   |
2,0         2,2"""


def test_board_looks_like_the_tutorial() -> None:
    """Corners carry their row,column; cells are separated as in the tutorial."""
    game = Game.from_moves(["0,0", "0,1", "0,2", "1,1"])
    assert render_board(game) == TUTORIAL


def test_empty_board() -> None:
    """An empty board has the same frame and no trailing spaces."""
    lines = render_board(Game()).splitlines()
    assert len(lines) == 7
    assert all(line == line.rstrip() for line in lines)
    assert lines[0] == "0,0         0,2" and lines[-1] == "2,0         2,2"


@given(st.permutations(range(9)), st.integers(min_value=0, max_value=9))
def test_every_mark_is_drawn_in_its_cell(order: list[int], count: int) -> None:
    """Whatever the position, each cell's mark appears at its row and column."""
    game = Game()
    for index in order[:count]:
        if game.is_over:
            break
        game = game.play(game.turn, index)  # type: ignore[arg-type]
    rows = render_board(game).splitlines()[1:6:2]
    for index, cell in enumerate(game.board):
        row, column = divmod(index, 3)
        assert rows[row].ljust(15)[5 + 4 * column] == cell


@pytest.mark.parametrize(
    ("typed", "index"), [("1,1", 4), ("0,0", 0), ("2,2", 8), (" 2, 0 ", 6), ("1 2", 5)]
)
def test_read_tile(typed: str, index: int) -> None:
    """row,column (spaces allowed) or row column."""
    assert read_tile(typed) == index


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("9,9", "'9,9' is off the board: row and column go from 0 to 2."),
        ("a", "'a' is not a tile: write it as row,column, for example 1,1."),
        ("a,b", "'a,b' is not a tile: row and column must be whole numbers."),
        ("", "Type a tile as row,column, for example 1,1."),
    ],
)
def test_read_tile_explains_bad_input(typed: str, reason: str) -> None:
    """Bad input raises invalid_tile with a sentence for the player."""
    with pytest.raises(GameError) as raised:
        read_tile(typed)
    assert raised.value.code is ErrorCode.INVALID_TILE
    assert raised.value.message == reason


def test_outcome_sentences() -> None:
    """The last line says who won, from the player's side."""
    won = Game.from_moves(["0,0", "1,0", "0,1", "1,1", "0,2"])
    assert outcome_sentence(won, Mark.X) == "You won."
    assert outcome_sentence(won, Mark.O) == "You lost: x won."
    draw = Game.from_moves(["1,1", "0,0", "0,2", "2,0", "1,0", "1,2", "0,1", "2,1", "2,2"])
    assert outcome_sentence(draw, Mark.O) == "It's a draw."


def test_turn_sentence() -> None:
    """Whose turn, from either side."""
    assert turn_sentence(Game(), Mark.X) == "Your turn (x)."
    assert turn_sentence(Game(), Mark.O) == "Waiting for x to play..."


@pytest.mark.parametrize(
    ("text", "tiles"),
    [
        ("1,1 0,0 2,2", ["1,1", "0,0", "2,2"]),
        ("1,1\n0,0\n", ["1,1", "0,0"]),
        ("1, 1  0 ,0", ["1,1", "0,0"]),
        ("9,9 a", ["9,9", "a"]),
        ("  ", []),
        ("1,1 # the centre", ["1,1"]),
    ],
)
def test_split_moves(text: str, tiles: list[str]) -> None:
    """--moves and piped lines: tiles separated by whitespace; `1, 1` stays one tile."""
    assert split_moves(text) == tiles
