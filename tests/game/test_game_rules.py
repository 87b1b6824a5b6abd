"""The rules of naughts and crosses, as a player meets them: turns, tiles, lines, the end."""

from __future__ import annotations

import pytest

from game.errors import ErrorCode, GameError
from game.rules import Game, Mark, format_tile, parse_tile

X, O = Mark.X, Mark.O

# The eight lines spelled out as tiles, independently of `game.rules.LINES`.
WINNING_LINES = {
    "top row": ("0,0", "0,1", "0,2"),
    "middle row": ("1,0", "1,1", "1,2"),
    "bottom row": ("2,0", "2,1", "2,2"),
    "left column": ("0,0", "1,0", "2,0"),
    "middle column": ("0,1", "1,1", "2,1"),
    "right column": ("0,2", "1,2", "2,2"),
    "falling diagonal": ("0,0", "1,1", "2,2"),
    "rising diagonal": ("0,2", "1,1", "2,0"),
}
ALL_TILES = [f"{r},{c}" for r in range(3) for c in range(3)]

# x: 0,0 2,2 2,0 1,2 0,1 / o: 1,1 0,2 1,0 2,1 -> a full board with no line.
DRAW = ["0,0", "1,1", "2,2", "0,2", "2,0", "1,0", "1,2", "2,1", "0,1"]
# x takes the top row while o plays the middle row's first two tiles.
X_WINS = ["0,0", "1,0", "0,1", "1,1", "0,2"]


def grid(*rows: str) -> Game:
    """A game from three rows written like `"xo."`, where `.` is a blank tile."""
    return Game(tuple(" " if cell == "." else cell for cell in "".join(rows)))


def interleave(first: list[str], second: list[str]) -> list[str]:
    """Moves alternating between `first` and `second`, starting with `first`."""
    moves: list[str] = []
    for index, tile in enumerate(first):
        moves.append(tile)
        if index < len(second):
            moves.append(second[index])
    return moves


def refusal(game: Game, mark: Mark, tile: str) -> GameError:
    """The error `game` raises when `mark` tries to play `tile`."""
    with pytest.raises(GameError) as caught:
        game.play(mark, parse_tile(tile))
    return caught.value


# ---- turns --------------------------------------------------------------------------------


def test_x_moves_first() -> None:
    """Given a new game, then it is x's turn and the board is blank."""
    game = Game()
    assert game.turn is X
    assert game.moves == 0
    assert game.rows() == [[" ", " ", " "]] * 3


def test_o_may_not_move_first() -> None:
    """Given a new game, when o plays first, then it is refused with not_your_turn."""
    error = refusal(Game(), O, "1,1")
    assert error.code is ErrorCode.NOT_YOUR_TURN
    assert error.message == "It is not your turn: x plays next."


def test_turns_alternate() -> None:
    """Given a game in progress, when each player moves, then the turn passes to the other."""
    game = Game()
    seen = []
    for tile in ["1,1", "0,0", "2,2", "0,2"]:
        seen.append(game.turn)
        game = game.play(game.turn, parse_tile(tile))
    assert seen == [X, O, X, O]
    assert game.turn is X


def test_x_may_not_move_twice_in_a_row() -> None:
    """Given x has just moved, when x moves again, then it is refused with not_your_turn naming o."""
    error = refusal(Game().play(X, 4), X, "0,0")
    assert error.code is ErrorCode.NOT_YOUR_TURN
    assert error.message == "It is not your turn: o plays next."


def test_a_taken_tile_cannot_be_played_again() -> None:
    """Given x holds 1,1, when o plays 1,1, then it is refused with tile_taken naming the holder."""
    error = refusal(Game().play(X, 4), O, "1,1")
    assert error.code is ErrorCode.TILE_TAKEN
    assert error.message == "Tile 1,1 is already taken by x."


@pytest.mark.parametrize("index", [-1, 9, 100])
def test_a_move_off_the_board_is_refused(index: int) -> None:
    """Given a new game, when x plays a cell index outside 0..8, then it is refused with invalid_tile."""
    with pytest.raises(GameError) as caught:
        Game().play(X, index)
    assert caught.value.code is ErrorCode.INVALID_TILE
    assert "row and column go from 0 to 2" in caught.value.message


def test_a_move_returns_a_new_game_and_leaves_the_old_one_alone() -> None:
    """Given a new game, when x plays 1,1, then the new game has x there and the old one is still blank."""
    before = Game()
    after = before.play(X, parse_tile("1,1"))
    assert after.rows() == [[" ", " ", " "], [" ", "x", " "], [" ", " ", " "]]
    assert before == Game()
    assert after.moves == 1


# ---- tiles --------------------------------------------------------------------------------


@pytest.mark.parametrize(("tile", "index"), [(tile, i) for i, tile in enumerate(ALL_TILES)])
def test_parse_tile_reads_row_then_column(tile: str, index: int) -> None:
    """Given "R,C" with R and C in 0..2, when parsed, then it names cell 3R+C."""
    assert parse_tile(tile) == index


@pytest.mark.parametrize("tile", [" 1,2", "1 ,2", "1, 2", "1,2 ", "  1 ,  2  "])
def test_parse_tile_allows_spaces_around_numbers(tile: str) -> None:
    """Given "1,2" with spaces around the numbers, when parsed, then it is still row 1, column 2."""
    assert parse_tile(tile) == 5


@pytest.mark.parametrize(
    ("tile", "sentence"),
    [
        ("9,9", "'9,9' is off the board: row and column go from 0 to 2."),
        ("3,0", "'3,0' is off the board: row and column go from 0 to 2."),
        ("0,3", "'0,3' is off the board: row and column go from 0 to 2."),
        ("-1,0", "'-1,0' is off the board: row and column go from 0 to 2."),
        ("-0,0", "'-0,0' is off the board: row and column go from 0 to 2."),
        ("1,-0", "'1,-0' is off the board: row and column go from 0 to 2."),
        (" -00 ,2", "' -00 ,2' is off the board: row and column go from 0 to 2."),
        ("a", "'a' is not a tile: write it as row,column, for example 1,1."),
        ("", "'' is not a tile: write it as row,column, for example 1,1."),
        ("1", "'1' is not a tile: write it as row,column, for example 1,1."),
        ("1,2,3", "'1,2,3' is not a tile: write it as row,column, for example 1,1."),
        ("1.0,2", "'1.0,2' is not a tile: row and column must be whole numbers."),
        ("a,b", "'a,b' is not a tile: row and column must be whole numbers."),
        (",", "',' is not a tile: row and column must be whole numbers."),
        ("1;2", "'1;2' is not a tile: write it as row,column, for example 1,1."),
    ],
)
def test_parse_tile_rejects_what_is_not_a_tile(tile: str, sentence: str) -> None:
    """Given text that is not "R,C" on the board, when parsed, then invalid_tile says why."""
    with pytest.raises(GameError) as caught:
        parse_tile(tile)
    assert caught.value.code is ErrorCode.INVALID_TILE
    assert caught.value.message == sentence


@pytest.mark.parametrize("index", range(9))
def test_format_tile_round_trips_through_parse_tile(index: int) -> None:
    """Given a cell index, when formatted and parsed back, then it is the same cell."""
    assert parse_tile(format_tile(index)) == index


def test_format_tile_writes_row_comma_column() -> None:
    """Given cells 0, 5 and 8, when formatted, then they read "0,0", "1,2" and "2,2"."""
    assert [format_tile(0), format_tile(5), format_tile(8)] == ["0,0", "1,2", "2,2"]


@pytest.mark.parametrize("index", [-1, 9])
def test_format_tile_refuses_cells_off_the_board(index: int) -> None:
    """Given a cell index outside 0..8, when formatted, then it is a ValueError (a programming error)."""
    with pytest.raises(ValueError, match="off the board"):
        format_tile(index)


# ---- winning and drawing --------------------------------------------------------------------


def _others(line: tuple[str, ...], count: int) -> list[str]:
    """`count` tiles off `line` that do not themselves make a line."""
    rest = [tile for tile in ALL_TILES if tile not in line]
    lines = {frozenset(tiles) for tiles in WINNING_LINES.values()}
    for start in range(len(rest)):
        pick = (rest[start:] + rest[:start])[:count]
        if not any(line_ <= set(pick) for line_ in lines):
            return pick
    raise AssertionError("no filler found")


@pytest.mark.parametrize("line", list(WINNING_LINES.values()), ids=list(WINNING_LINES))
def test_x_wins_by_completing_a_line(line: tuple[str, ...]) -> None:
    """Given o is busy elsewhere, when x fills the line, then x has won and nobody moves next."""
    game = Game.from_moves(interleave(list(line), _others(line, 2)))
    assert game.winner is X
    assert game.outcome == "x"
    assert game.is_over
    assert game.turn is None
    assert not game.is_draw


@pytest.mark.parametrize("line", list(WINNING_LINES.values()), ids=list(WINNING_LINES))
def test_o_wins_by_completing_a_line(line: tuple[str, ...]) -> None:
    """Given x is busy elsewhere without a line, when o fills the line, then o has won."""
    game = Game.from_moves(interleave(_others(line, 3), list(line)))
    assert game.moves == 6
    assert game.winner is O
    assert game.outcome == "o"
    assert game.is_over
    assert game.turn is None


def test_no_winner_before_a_line_is_complete() -> None:
    """Given x and o each hold two tiles of a row, then the game goes on with x to move."""
    game = Game.from_moves(X_WINS[:-1])
    assert game.winner is None
    assert game.outcome is None
    assert not game.is_over
    assert game.turn is X


def test_a_full_board_with_no_line_is_a_draw() -> None:
    """Given all nine tiles played without a line, then the game is over as a draw."""
    game = Game.from_moves(DRAW)
    assert game.rows() == [["x", "x", "o"], ["o", "o", "x"], ["x", "o", "x"]]
    assert game.winner is None
    assert game.is_draw
    assert game.outcome == "draw"
    assert game.is_over
    assert game.turn is None


def test_a_win_on_the_last_tile_is_a_win_not_a_draw() -> None:
    """Given x completes a line with the ninth move, then x has won, even though the board is full."""
    game = grid("xox", "oxo", "ox.").play(X, parse_tile("2,2"))
    assert game.moves == 9
    assert game.outcome == "x"
    assert not game.is_draw


def test_a_won_game_refuses_further_moves() -> None:
    """Given x has won, when o tries to move, then it is refused with game_over naming the winner."""
    error = refusal(Game.from_moves(X_WINS), O, "2,2")
    assert error.code is ErrorCode.GAME_OVER
    assert error.message == "The game is over: x won."


def test_a_drawn_game_refuses_further_moves() -> None:
    """Given a draw, when anyone tries to move, then it is refused with game_over saying it was a draw."""
    for mark in Mark:
        with pytest.raises(GameError) as caught:
            Game.from_moves(DRAW).play(mark, 0)
        assert caught.value.code is ErrorCode.GAME_OVER
        assert caught.value.message == "The game is over: it was a draw."


def test_game_over_is_reported_before_whose_turn_or_which_tile() -> None:
    """Given x has won, when x plays a taken tile, then the refusal is game_over, not not_your_turn or tile_taken."""
    assert refusal(Game.from_moves(X_WINS), X, "0,0").code is ErrorCode.GAME_OVER


# ---- the board as values ----------------------------------------------------------------------


def test_rows_are_three_rows_of_three_cells() -> None:
    """Given x on 0,2 and o on 2,0, then rows() shows them where a player would look."""
    game = Game.from_moves(["0,2", "2,0"])
    assert game.rows() == [[" ", " ", "x"], [" ", " ", " "], ["o", " ", " "]]


def test_rows_is_a_copy() -> None:
    """Given a game, when the caller scribbles on rows(), then the game is unchanged."""
    game = Game.from_moves(["1,1"])
    game.rows()[0][0] = "o"
    assert game.rows()[0][0] == " "


def test_from_moves_plays_tiles_in_order_starting_with_x() -> None:
    """Given tiles 1,1 then 0,0, when replayed, then x holds the centre and o the corner."""
    game = Game.from_moves(("1,1", "0,0"))
    assert game == grid("o..", ".x.", "...")
    assert game.turn is X


def test_from_moves_of_nothing_is_a_new_game() -> None:
    """Given no tiles, when replayed, then it is a new game."""
    assert Game.from_moves([]) == Game()


@pytest.mark.parametrize(
    ("tiles", "code"),
    [
        (["1,1", "1,1"], ErrorCode.TILE_TAKEN),
        (["1,1", "3,3"], ErrorCode.INVALID_TILE),
        ([*X_WINS, "2,2"], ErrorCode.GAME_OVER),
        ([*DRAW, "0,0"], ErrorCode.GAME_OVER),
    ],
    ids=["tile taken", "bad tile", "after a win", "after a draw"],
)
def test_from_moves_refuses_an_illegal_move(tiles: list[str], code: ErrorCode) -> None:
    """Given a move list with an illegal move, when replayed, then the move's refusal is raised."""
    with pytest.raises(GameError) as caught:
        Game.from_moves(tiles)
    assert caught.value.code is code


def test_games_with_the_same_board_are_equal() -> None:
    """Given the same tiles reached in a different order, then the games are equal and hash alike."""
    one = Game.from_moves(["0,0", "1,1", "2,2"])
    other = Game.from_moves(["2,2", "1,1", "0,0"])
    assert one == other
    assert hash(one) == hash(other)


# ---- boards that cannot be ------------------------------------------------------------------


@pytest.mark.parametrize(
    "board",
    [
        (" ",) * 8,
        (" ",) * 10,
        ("X",) + (" ",) * 8,
        ("",) + (" ",) * 8,
        ("-",) + (" ",) * 8,
    ],
    ids=["8 cells", "10 cells", "capital X", "empty cell", "dash"],
)
def test_game_rejects_something_that_is_not_a_board(board: tuple[str, ...]) -> None:
    """Given a tuple that is not nine cells of x, o or blank, when made a Game, then it is a ValueError."""
    with pytest.raises(ValueError, match="not a board"):
        Game(board)


@pytest.mark.parametrize(
    "rows",
    [
        ("o..", "...", "..."),
        ("xx.", "...", "..."),
        ("xxx", "xo.", "..."),
        ("ooo", "x..", "..."),
    ],
    ids=["o moved first", "x moved twice", "x three ahead", "o four ahead"],
)
def test_game_rejects_counts_no_game_can_reach(rows: tuple[str, str, str]) -> None:
    """Given a board where x does not have the same number of marks as o or one more, then it is a ValueError."""
    with pytest.raises(ValueError, match="not a reachable board"):
        grid(*rows)


@pytest.mark.parametrize(
    "rows",
    [
        ("xxx", "ooo", "..."),
        ("xxx", "ooo", "x.."),
        ("xxx", "oo.", "o.."),
        ("ooo", "xx.", "x.x"),
    ],
    ids=[
        "both own a line",
        "both own a line, x ahead",
        "o moved after x won",
        "x moved after o won",
    ],
)
def test_game_rejects_play_after_a_win(rows: tuple[str, str, str]) -> None:
    """Given a board where someone moved after the game was won, when made a Game, then it is a ValueError."""
    with pytest.raises(ValueError, match="not a reachable board"):
        grid(*rows)


@pytest.mark.parametrize(
    "rows",
    [
        ("...", "...", "..."),
        ("x..", "...", "..."),
        ("xo.", "...", "..."),
        ("xxx", "oo.", "..."),
        ("ooo", "xx.", "x.."),
        ("xxx", "xoo", "xoo"),
    ],
    ids=["blank", "x moved", "both moved", "x won", "o won", "x won twice at once"],
)
def test_game_accepts_boards_a_game_can_reach(rows: tuple[str, str, str]) -> None:
    """Given a board real play can produce, when made a Game, then it is accepted."""
    grid(*rows)
