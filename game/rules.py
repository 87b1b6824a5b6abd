"""Naughts and crosses as values: a `Game` is an immutable board; a move returns a new `Game`.

Cells are indexed 0..8, row by row; the wire names a cell `"R,C"` (row, column, each 0..2).
`x` always moves first, so whose turn it is follows from the board alone.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, NamedTuple

from game.errors import ErrorCode, GameError

SIZE = 3
CELLS = SIZE * SIZE
BLANK = " "

LINES: tuple[tuple[int, int, int], ...] = (
    (0, 1, 2),
    (3, 4, 5),
    (6, 7, 8),  # rows
    (0, 3, 6),
    (1, 4, 7),
    (2, 5, 8),  # columns
    (0, 4, 8),
    (2, 4, 6),  # diagonals
)
"""The eight winning lines, as cell indexes."""

Outcome = Literal["x", "o", "draw"]


class Mark(StrEnum):
    """A player's mark. `X` starts."""

    X = "x"
    O = "o"  # noqa: E741

    @property
    def other(self) -> Mark:
        return Mark.O if self is Mark.X else Mark.X


def parse_tile(tile: str) -> int:
    """The cell index of `"R,C"` (spaces allowed around numbers).

    Raises `GameError(INVALID_TILE)` for anything that is not two integers 0..2.
    """
    parts = tile.split(",")
    if len(parts) != 2:
        raise GameError(
            ErrorCode.INVALID_TILE,
            f"{tile!r} is not a tile: write it as row,column, for example 1,1.",
        )
    try:
        row, column = (_coordinate(part) for part in parts)
    except ValueError:
        raise GameError(
            ErrorCode.INVALID_TILE, f"{tile!r} is not a tile: row and column must be whole numbers."
        ) from None
    if not (0 <= row < SIZE and 0 <= column < SIZE):
        raise GameError(
            ErrorCode.INVALID_TILE, f"{tile!r} is off the board: row and column go from 0 to 2."
        )
    return row * SIZE + column


def _coordinate(text: str) -> int:
    """A plain ASCII integer ("1", " 2 ", "-1"); `int()` alone would also take "+1", "0_2" and "１".
    Any minus sign is off the board, "-0" too: -1 stands for every negative number."""
    text = text.strip()
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(text)
    return -1 if negative else int(digits)


def format_tile(index: int) -> str:
    """The wire name `"R,C"` of a cell index."""
    if not 0 <= index < CELLS:
        raise ValueError(f"cell index {index} is off the board")
    return f"{index // SIZE},{index % SIZE}"


def line_winner(board: tuple[str, ...]) -> Mark | None:
    """The mark that owns a complete line, if any."""
    for a, b, c in LINES:
        if board[a] != BLANK and board[a] == board[b] == board[c]:
            return Mark(board[a])
    return None


class _Board(NamedTuple):
    board: tuple[str, ...]


class Game(_Board):
    """One game's board, immutable. Build new games with `Game()`; moves with `play`.

    (A NamedTuple rather than a dataclass: importing `dataclasses` costs a Lambda cold
    start more than everything else the handlers import together.)
    """

    __slots__ = ()

    def __new__(cls, board: tuple[str, ...] = (BLANK,) * CELLS) -> Game:
        board = tuple(board)
        if len(board) != CELLS or any(cell not in ("x", "o", BLANK) for cell in board):
            raise ValueError(f"not a board: {board!r}")
        xs, os_ = board.count("x"), board.count("o")
        if not 0 <= xs - os_ <= 1:
            raise ValueError(f"not a reachable board (x={xs}, o={os_}): {board!r}")
        winners = {
            board[a] for a, b, c in LINES if board[a] != BLANK and board[a] == board[b] == board[c]
        }
        if len(winners) > 1:
            raise ValueError(f"not a reachable board (both x and o own a line): {board!r}")
        if winners and xs - os_ != (1 if winners == {"x"} else 0):
            raise ValueError(
                f"not a reachable board (a move was made after the game was won): {board!r}"
            )
        return super().__new__(cls, board)

    @classmethod
    def from_moves(cls, tiles: list[str] | tuple[str, ...]) -> Game:
        """The game after playing `tiles` in order, x first. Raises `GameError` on an illegal move."""
        game = cls()
        for tile in tiles:
            game = game.play(game.turn_or_raise(), parse_tile(tile))
        return game

    @property
    def moves(self) -> int:
        """How many moves have been made."""
        return CELLS - self.board.count(BLANK)

    @property
    def winner(self) -> Mark | None:
        return line_winner(self.board)

    @property
    def is_draw(self) -> bool:
        return self.moves == CELLS and self.winner is None

    @property
    def is_over(self) -> bool:
        return self.winner is not None or self.moves == CELLS

    @property
    def outcome(self) -> Outcome | None:
        """`"x"` or `"o"` for a win, `"draw"`, or None while the game goes on."""
        winner = self.winner
        if winner is not None:
            return winner.value
        return "draw" if self.moves == CELLS else None

    @property
    def turn(self) -> Mark | None:
        """Whose move it is, or None when the game is over."""
        if self.is_over:
            return None
        return Mark.X if self.moves % 2 == 0 else Mark.O

    def turn_or_raise(self) -> Mark:
        turn = self.turn
        if turn is None:
            raise game_over(self)
        return turn

    def check(self, mark: Mark, index: int) -> None:
        """Raise the `GameError` that a move by `mark` on cell `index` deserves, if any."""
        if not 0 <= index < CELLS:
            raise GameError(
                ErrorCode.INVALID_TILE, "That tile is off the board: row and column go from 0 to 2."
            )
        if self.is_over:
            raise game_over(self)
        if self.turn is not mark:
            raise GameError(
                ErrorCode.NOT_YOUR_TURN, f"It is not your turn: {mark.other.value} plays next."
            )
        if self.board[index] != BLANK:
            raise GameError(
                ErrorCode.TILE_TAKEN,
                f"Tile {format_tile(index)} is already taken by {self.board[index]}.",
            )

    def play(self, mark: Mark, index: int) -> Game:
        """The game after `mark` plays cell `index`. Raises `GameError` if the move is illegal."""
        self.check(mark, index)
        board = list(self.board)
        board[index] = mark.value
        return Game(tuple(board))

    def rows(self) -> list[list[str]]:
        """The board as three rows of three cells, as the wire carries it."""
        return [list(self.board[r * SIZE : (r + 1) * SIZE]) for r in range(SIZE)]


def game_over(game: Game, forfeit: Mark | None = None, *, resigned: bool = False) -> GameError:
    """The `game_over` refusal for a finished game: won or drawn on the board, or lost by
    `forfeit` (who resigned if `resigned`, else ran out of time). The one place its sentence
    is written, whichever request it refuses."""
    if forfeit is not None:
        how = "resigned" if resigned else "ran out of time"
        said = f"{forfeit} {how}, {forfeit.other} won"
    elif game.outcome == "draw":
        said = "it was a draw"
    else:
        said = f"{game.outcome} won"
    return GameError(ErrorCode.GAME_OVER, f"The game is over: {said}.")
