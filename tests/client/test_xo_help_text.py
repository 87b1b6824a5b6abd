"""What `xo --help` says agrees with the board and the move parser, and reads whole."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from client.app import app
from client.board import read_tile, render_board
from game.rules import Game

runner = CliRunner()
COMMANDS = [[], ["new"], ["join"], ["resume"], ["games"], ["local"], ["web"], ["watch"]]


def test_help_describes_moves_as_the_board_labels_and_the_parser_take_them() -> None:
    """The board is labelled 0 1 2 on both axes (row,column); a1 is a column letter and a row
    number with a1 top left, which the labels do not show: the help must not say they do."""
    text = " ".join(runner.invoke(app, ["--help"], terminal_width=80).output.split())
    labels = render_board(Game()).splitlines()
    assert labels[0].split() == ["0", "1", "2"]
    assert read_tile("0,0") == read_tile("a1") == 0 and read_tile("2,2") == read_tile("c3") == 8
    assert read_tile("a3") == read_tile("2,0")  # letter = column, number = row
    assert "0,0 top left to 2,2 bottom right" in text
    assert "a1 to c3 (column letter, row number, a1 top left)" in text
    assert "as the board's labels show" not in text.split("a1 to c3", 1)[1][:80]


@pytest.mark.parametrize("width", [80, 50])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "xo")
def test_no_option_name_is_split_across_lines(command: list[str], width: int) -> None:
    output = runner.invoke(app, [*command, "--help"], terminal_width=width).output
    split = [line for line in output.splitlines() if re.search(r"(^|\s)--?[a-z][\w-]*-$", line)]
    assert split == [], output
