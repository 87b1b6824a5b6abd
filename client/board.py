"""Drawing the board and the sentences around it, as plain strings (no I/O here).

The board looks like the tutorial's, with each corner's coordinates as row,column:

    0,0         0,2
         x | o | x
        -----------
           | o |
        -----------
           |   |
    2,0         2,2
"""

from __future__ import annotations

import re

from game.errors import ErrorCode, GameError
from game.rules import SIZE, Game, Mark, parse_tile

INDENT = "    "
RULE = "-" * (4 * SIZE - 1)


def render_board(game: Game) -> str:
    """The board with its corner coordinates, 7 lines, no trailing spaces."""
    top = f"0,0{' ' * (len(INDENT) + len(RULE) - 6)}0,{SIZE - 1}"
    bottom = f"{SIZE - 1},0{' ' * (len(INDENT) + len(RULE) - 6)}{SIZE - 1},{SIZE - 1}"
    lines = [top]
    for row in range(SIZE):
        cells = game.board[row * SIZE : (row + 1) * SIZE]
        lines.append((INDENT + "|".join(f" {cell} " for cell in cells)).rstrip())
        if row < SIZE - 1:
            lines.append(INDENT + RULE)
    lines.append(bottom)
    return "\n".join(lines)


_SPACED = re.compile(r"\s*(\d+)\s+(\d+)\s*")


def read_tile(text: str) -> int:
    """The cell a player typed: `"1,1"` (as the wire has it) or `"1 1"`.

    Raises `GameError(INVALID_TILE)` with a sentence for the player.
    """
    text = text.strip()
    if not text:
        raise GameError(ErrorCode.INVALID_TILE, "Type a tile as row,column, for example 1,1.")
    spaced = _SPACED.fullmatch(text)
    if spaced:
        text = f"{spaced[1]},{spaced[2]}"
    return parse_tile(text)


def outcome_sentence(game: Game, mark: Mark) -> str:
    """How the game ended, from `mark`'s side: "You won.", "You lost: o won." or "It's a draw."."""
    outcome = game.outcome
    if outcome == "draw":
        return "It's a draw."
    if outcome == mark.value:
        return "You won."
    return f"You lost: {outcome} won."


def turn_sentence(game: Game, mark: Mark) -> str:
    """Whose move it is, from `mark`'s side."""
    turn = game.turn
    if turn is None:
        return outcome_sentence(game, mark)
    if turn is mark:
        return f"Your turn ({mark.value})."
    return f"Waiting for {turn.value} to play..."


def status_lines(game: Game, mark: Mark, opponent_tile: str | None = None) -> list[str]:
    """The lines under the board: your mark, the opponent's last move."""
    lines = [f"You are {mark.value}."]
    if opponent_tile is not None:
        lines.append(f"{mark.other.value} played {opponent_tile}.")
    return lines
