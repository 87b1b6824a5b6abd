"""One Ctrl-C in a hosting `xo new` at your turn: a warning that fits 80 columns, then the
prompt again, where the move is typed; against the computer, nobody else's game ends."""

from __future__ import annotations

import json
import re

from websockets.sync.client import connect

from tests.client.terminal import Terminal
from tests.client.test_xo_terminal import (  # noqa: F401  (fixtures)
    env,
    receive,
    terminals,
)

ENTER = "\r"
CTRL_C = "\x03"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def warning_lines(output: str) -> list[str]:
    """The lines that say what a second Ctrl-C does, as the terminal shows them."""
    return [line for line in ESCAPES.sub("", output).split("\n") if "Ctrl-C again" in line]


def test_one_ctrl_c_warns_in_80_columns_then_asks_for_the_move_again(
    env: dict[str, str],  # noqa: F811
    terminals: list[Terminal],  # noqa: F811
) -> None:
    x = Terminal.start(["new"], env, columns=80)
    terminals.append(x)
    join = x.expect(r"join (ws://\S+)#(\S+)")
    with connect(join[1]) as ws:
        ws.send(json.dumps({"type": "join", "id": join[2]}))
        receive(ws, "join")
        x.expect(r"Your turn \(x\): ")
        x.type(CTRL_C)
        x.expect(r"Ctrl-C again")
        x.expect(r"Your turn \(x\): ")  # the prompt again, on its own line
        lines = warning_lines(x.output)
        assert len(lines) == 1 and len(lines[0]) <= 80, lines
        assert "both players" in lines[0]  # a person is on the other side
        x.type("1,1" + ENTER)
        played = receive(ws, "play")
        assert played["tile"] == "1,1", played
    x.type(CTRL_C)
    assert x.wait() in (130, 4), x.output
    assert "Traceback" not in x.output


def test_against_the_computer_nobody_else_is_told_of(
    env: dict[str, str],  # noqa: F811
    terminals: list[Terminal],  # noqa: F811
) -> None:
    x = Terminal.start(["new", "--vs", "computer"], env, columns=80)
    terminals.append(x)
    x.expect(r"Keep this terminal open: closing it ends the game\.")
    x.expect(r"Your turn \(x\): ")
    x.type(CTRL_C)
    x.expect(r"Ctrl-C again")
    x.expect(r"Your turn \(x\): ")
    x.type(CTRL_C)
    assert x.wait() == 130, x.output
    assert "You left: the game is over." in x.output
    assert "both players" not in x.output, x.output
    assert "Traceback" not in x.output
