"""Drawing the board and reading what a player types."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client.board import TILE_HELP, outcome_sentence, read_tile, render_board, winning_line
from client.moves import split_moves
from game.errors import ErrorCode, GameError
from game.rules import Game, Mark

LABELLED = """\
         0   1   2
    0    x | o |[x]
        ---+---+---
    1      | o |
        ---+---+---
    2      |   |"""


def test_every_row_and_column_is_labelled_and_the_last_move_marked() -> None:
    """Rows and columns carry their numbers (as row,column names them); the last move is in brackets."""
    game = Game.from_moves(["0,0", "0,1", "0,2", "1,1"])
    assert render_board(game, last=2) == LABELLED


def test_the_winning_line_is_in_capitals() -> None:
    """Without colour the winning line shows as capitals, the winning move also bracketed."""
    won = Game.from_moves(["0,0", "1,0", "1,1", "2,0", "2,2"])
    rows = render_board(won, last=8).splitlines()
    assert rows[1] == "    0    X |   |"
    assert rows[3] == "    1    o | X |"
    assert rows[5] == "    2    o |   |[X]"
    assert winning_line(won) == (0, 4, 8)


def test_colour_only_when_asked() -> None:
    """Colour codes appear only with colour on; the plain board has none."""
    game = Game.from_moves(["0,0", "1,1"])
    assert "\x1b[" not in render_board(game, last=4)
    assert "\x1b[" in render_board(game, last=4, colour=True)


def test_empty_board() -> None:
    """An empty board has the same frame and no trailing spaces."""
    lines = render_board(Game()).splitlines()
    assert len(lines) == 6
    assert all(line == line.rstrip() for line in lines)


@given(st.permutations(range(9)), st.integers(min_value=0, max_value=9))
def test_every_mark_is_drawn_in_its_cell(order: list[int], count: int) -> None:
    """Whatever the position, each cell's mark appears at its row and column."""
    game = Game()
    for index in order[:count]:
        if game.is_over:
            break
        game = game.play(game.turn, index)  # type: ignore[arg-type]
    rows = render_board(game).splitlines()[1::2]
    for index, cell in enumerate(game.board):
        row, column = divmod(index, 3)
        shown = rows[row].ljust(21)[9 + 4 * column]
        assert shown.lower() == cell


@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("1,1", 4),
        ("0,0", 0),
        ("2,2", 8),
        (" 2, 0 ", 6),
        ("1 2", 5),
        ("a1", 0),
        ("B2", 4),
        ("c3", 8),
        ("c1", 2),
        ("1", 0),
        ("3", 2),
        ("5", 4),
        ("7", 6),
        ("9", 8),
    ],
)
def test_read_tile(typed: str, index: int) -> None:
    """row,column (spaces allowed), row column, a1-c3 (a1 top left), or a keypad digit 1-9."""
    assert read_tile(typed) == index


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("9,9", "'9,9' is off the board: row and column go from 0 to 2."),
        ("a", f"'a' is not a cell. {TILE_HELP}"),
        ("0", f"'0' is not a cell. {TILE_HELP}"),
        ("d4", f"'d4' is not a cell. {TILE_HELP}"),
        ("a,b", "'a,b' is not a tile: row and column must be whole numbers."),
        ("", TILE_HELP),
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
