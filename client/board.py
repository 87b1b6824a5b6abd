"""Drawing the board and reading what a player types, as plain strings (no I/O here).

Every row and column is labelled with its number, as `row,column` moves name them; the
last move is shown in brackets and a winning line in capitals (and, on a colour terminal,
underlined and in reverse video, the marks in two colours):

         0   1   2
    0    x | o |[x]
        ---+---+---
    1      | o |
        ---+---+---
    2      |   |

A player may type a cell three ways (`read_tile`): `row,column` as the wire has it
(`1,1`), a column letter and a row number (`a1` to `c3`, `a1` top left), or one digit laid
out like a phone's keypad (`1 2 3` on the top row, `7 8 9` on the bottom).
"""

from __future__ import annotations

import re

import typer

from game.errors import ErrorCode, GameError
from game.rules import BLANK, LINES, SIZE, Game, Mark, parse_tile

INDENT = "    "
MARK_COLOURS = {"x": "red", "o": "cyan"}
KEYPAD_HELP = "1-9 (1 2 3 on the top row, 7 8 9 on the bottom)"
TILE_HELP = f"Type a cell as row,column (1,1), as a1 to c3 (a1 top left), or as {KEYPAD_HELP}."


def winning_line(game: Game) -> tuple[int, int, int] | None:
    """The cells of the completed line, if any."""
    for a, b, c in LINES:
        if game.board[a] != BLANK and game.board[a] == game.board[b] == game.board[c]:
            return (a, b, c)
    return None


def render_board(game: Game, last: int | None = None, colour: bool = False) -> str:
    """The labelled board, 7 lines, no trailing spaces; `last` is the cell played last."""
    line = winning_line(game) or ()
    header = INDENT + " " + "   ".join(str(column) for column in range(SIZE))
    lines = [INDENT + header.rstrip()]
    for row in range(SIZE):
        cells = []
        for column in range(SIZE):
            index = row * SIZE + column
            cells.append(_cell(game.board[index], index == last, index in line, colour))
        lines.append(f"{INDENT}{row}   " + "|".join(cells))
        if row < SIZE - 1:
            lines.append(INDENT + "    " + "+".join(["---"] * SIZE))
    return "\n".join(text.rstrip() for text in lines)


def _cell(mark: str, last: bool, winning: bool, colour: bool) -> str:
    shown = mark.upper() if winning else mark
    if colour and mark != BLANK:
        shown = typer.style(
            shown, fg=MARK_COLOURS[mark], bold=True, underline=last, reverse=winning
        )
    return f"[{shown}]" if last else f" {shown} "


_SPACED = re.compile(r"\s*(\d+)\s+(\d+)\s*")
_LETTER_NUMBER = re.compile(r"\s*([a-cA-C])\s*([1-3])\s*")


def read_tile(text: str) -> int:
    """The cell a player typed: `"1,1"` (as the wire has it), `"1 1"`, `"b2"` or `"5"`.

    Raises `GameError(INVALID_TILE)` with a sentence for the player.
    """
    text = text.strip()
    if not text:
        raise GameError(ErrorCode.INVALID_TILE, TILE_HELP)
    if len(text) == 1 and text in "123456789":
        return int(text) - 1
    lettered = _LETTER_NUMBER.fullmatch(text)
    if lettered:
        return (int(lettered[2]) - 1) * SIZE + "abc".index(lettered[1].lower())
    spaced = _SPACED.fullmatch(text)
    if spaced:
        text = f"{spaced[1]},{spaced[2]}"
    if "," not in text:
        raise GameError(ErrorCode.INVALID_TILE, f"{text!r} is not a cell. {TILE_HELP}")
    return parse_tile(text)


def outcome_sentence(game: Game, mark: Mark) -> str:
    """How the game ended, from `mark`'s side: "You won.", "You lost: o won." or "It's a draw."."""
    outcome = game.outcome
    if outcome == "draw":
        return "It's a draw."
    if outcome == mark.value:
        return "You won."
    return f"You lost: {outcome} won."
