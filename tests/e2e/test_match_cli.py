"""`xo play`: two people who share nothing but the server are paired and play a game."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from client.exitcodes import ExitCode
from emulator.server import ThreadedEmulator

XO = str(Path(sys.executable).with_name("xo"))
DRAW = ["1,1", "0,0", "2,2", "0,2", "0,1", "2,1", "1,0", "1,2", "2,0"]


def test_two_xo_play_are_paired_and_play_a_whole_game(
    xo_server: ThreadedEmulator, tmp_path: Path
) -> None:
    env = {"XO_STATE_DIR": str(tmp_path), "NO_COLOR": "1", "PATH": str(Path(sys.executable).parent)}
    first = subprocess.Popen(
        [XO, "play", "--url", xo_server.url, "--moves", " ".join(DRAW[0::2])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert first.stdout is not None
    lines = []
    for line in first.stdout:
        lines.append(line)
        if line.startswith("Nobody else is waiting"):
            break
    assert lines and lines[-1].startswith("Nobody else is waiting: you wait in game"), lines
    second = subprocess.run(
        [XO, "play", "--url", xo_server.url, "--moves", " ".join(DRAW[1::2])],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    rest, _ = first.communicate(timeout=90)
    assert second.returncode == ExitCode.DRAW, second.stdout + second.stderr
    assert first.returncode == ExitCode.DRAW, "".join(lines) + rest
    assert "Joined game" in second.stdout and "you are o" in second.stdout
    assert "It's a draw." in second.stdout and "It's a draw." in rest
