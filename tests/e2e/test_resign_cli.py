"""`/resign`: one xo gives up, and both xo processes end the game, through the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from websockets.sync.client import connect

from client.exitcodes import ExitCode
from emulator.server import ThreadedEmulator

XO = str(Path(sys.executable).with_name("xo"))


def _xo(args: list[str], state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [XO, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "XO_STATE_DIR": str(state), "NO_COLOR": "1"},
    )


def _game_id(xo: subprocess.Popen[str], seen: list[str]) -> str:
    assert xo.stdout is not None
    for line in xo.stdout:
        seen.append(line)
        if line.startswith("Game id:"):
            return line.split()[2].rstrip(":")
    raise AssertionError("".join(seen))


def test_a_player_who_resigns_loses_and_the_opponent_wins(
    xo_server: ThreadedEmulator, tmp_path: Path
) -> None:
    seen: list[str] = []
    x = _xo(["new", "--url", xo_server.url, "--moves", "1,1"], tmp_path)
    game_id = _game_id(x, seen)
    o = _xo(["join", "--url", xo_server.url, "--id", game_id, "--moves", "/resign"], tmp_path)
    o_out, _ = o.communicate(timeout=40)
    x_out, _ = x.communicate(timeout=120)
    x_out = "".join(seen) + x_out
    assert o.returncode == ExitCode.LOST, o_out
    assert o_out.strip().endswith("You resigned."), o_out
    assert x.returncode == ExitCode.WON, x_out
    assert x_out.strip().endswith("Your opponent resigned: you won."), x_out


def test_joining_a_game_whose_creator_has_gone_says_the_opponent_is_away(
    xo_server: ThreadedEmulator, tmp_path: Path
) -> None:
    with connect(xo_server.url) as creator:  # starts a game, then closes its connection
        creator.send('{"type":"start"}')
        init = creator.recv(timeout=60)
    game_id = init.split('"id":"')[1].split('"')[0]
    o = _xo(["join", "--url", xo_server.url, "--id", game_id, "--opponent-timeout", "3"], tmp_path)
    out, _ = o.communicate(timeout=120)
    assert "Your opponent is away; waiting for them to come back..." in out, out
    assert o.returncode == ExitCode.OPPONENT_GONE, out
