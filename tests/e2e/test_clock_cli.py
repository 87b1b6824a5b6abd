"""`xo new --clock`: when the opponent's time runs out, xo claims the win; nothing on the
server runs on a schedule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from websockets.sync.client import connect

from client.exitcodes import ExitCode
from emulator.server import ThreadedEmulator

XO = str(Path(sys.executable).with_name("xo"))


def test_xo_claims_the_win_when_the_opponent_lets_its_clock_run_out(
    xo_server: ThreadedEmulator, tmp_path: Path
) -> None:
    xo = subprocess.Popen(
        [XO, "new", "--url", xo_server.url, "--clock", "5", "--moves", "1,1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "XO_STATE_DIR": str(tmp_path), "NO_COLOR": "1"},
    )
    assert xo.stdout is not None
    game_id = None
    seen = []
    for line in xo.stdout:
        seen.append(line)
        if line.startswith("Game id:"):
            game_id = line.split()[2].rstrip(":")
            break
    assert game_id, seen
    with connect(xo_server.url) as o:  # a player who joins, sees x's move, and walks away
        o.send(json.dumps({"type": "join", "id": game_id}))
        frames = []
        while not frames or frames[-1]["type"] != "timeout":
            frames.append(json.loads(o.recv(timeout=60)))
        out, _ = xo.communicate(timeout=60)
    played = next(frame for frame in frames if frame["type"] == "play")
    assert played["clock"]["seconds"] == 5 and played["clock"]["remaining"] <= 5
    assert frames[-1]["loser"] == "o" and frames[-1]["winner"] == "x"
    assert xo.returncode == ExitCode.WON, "".join(seen) + out
    assert "claiming the win" in out and out.strip().endswith("You won on time.")
