"""A rematch played by two `xo` processes on the same connections: marks swapped, no id shared."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from client.exitcodes import ExitCode
from emulator.server import ThreadedEmulator

XO = str(Path(sys.executable).with_name("xo"))
X_WINS = ["0,0", "1,0", "0,1", "1,1", "0,2"]
DRAW = ["1,1", "0,0", "2,2", "0,2", "0,1", "2,1", "1,0", "1,2", "2,0"]


def test_two_scripted_players_accept_a_rematch_and_play_it_with_marks_swapped(
    xo_server: ThreadedEmulator, tmp_path: Path
) -> None:
    env = {**os.environ, "XO_STATE_DIR": str(tmp_path), "NO_COLOR": "1"}
    creator_moves = " ".join(X_WINS[0::2] + DRAW[1::2])  # x wins game 1, plays o in game 2
    creator = subprocess.Popen(
        [XO, "new", "--url", xo_server.url, "--moves", creator_moves, "--rematch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert creator.stdout is not None
    seen = []
    for line in creator.stdout:
        seen.append(line)
        if line.startswith("Game id:"):
            break
    game_id = seen[-1].split()[2]
    spectator = subprocess.Popen(
        [XO, "watch", "--url", xo_server.url, "--id", game_id, "--follow", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert spectator.stdout is not None
    first_line = spectator.stdout.readline()  # watching before anyone joins
    assert first_line.startswith(f"Watching game {game_id}"), first_line
    joiner = subprocess.run(
        [
            XO,
            "join",
            "--url",
            xo_server.url,
            "--id",
            game_id,
            "--rematch",
            "--moves",
            " ".join(X_WINS[1::2] + DRAW[0::2]),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    rest, _ = creator.communicate(timeout=120)
    watched, _ = spectator.communicate(timeout=120)
    creator_out = "".join(seen) + rest
    assert joiner.returncode == ExitCode.DRAW, joiner.stdout + joiner.stderr
    assert creator.returncode == ExitCode.DRAW, creator_out
    assert "You won." in creator_out and "You lost" in joiner.stdout  # game 1
    assert "you are o." in creator_out.split("Rematch: game", 1)[1].splitlines()[0]
    assert "you are x and move first." in joiner.stdout.split("Rematch: game", 1)[1].splitlines()[0]
    assert creator_out.strip().endswith("It's a draw.") and joiner.stdout.strip().endswith(
        "It's a draw."
    )
    assert spectator.returncode == 0, watched  # the spectator followed into the rematch
    assert "The game is over: x won.\nRematch: game" in watched
    assert watched.strip().endswith("The game is over: it's a draw.")
