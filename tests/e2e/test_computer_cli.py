"""`xo new --vs computer` plays whole games against the server's computer, as a person would:
reading the board's news and typing a free tile at each prompt."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from client.exitcodes import ExitCode
from emulator.server import ThreadedEmulator

XO = str(Path(sys.executable).with_name("xo"))
PROMPT = "Your turn (x)"


def play_against_computer(url: str, level: str) -> tuple[int, str]:
    """Run `xo new --vs computer`; at each prompt type the first tile nobody has played.
    Returns the exit code and everything xo printed."""
    xo = subprocess.Popen(
        [XO, "new", "--url", url, "--vs", "computer", "--level", level],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert xo.stdin is not None and xo.stdout is not None
    out = bytearray()

    def read() -> None:
        assert xo.stdout is not None
        while chunk := xo.stdout.read1(4096):
            out.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    taken: set[str] = set()
    answered = 0
    deadline = time.monotonic() + 60
    while xo.poll() is None and time.monotonic() < deadline:
        text = out.decode(errors="replace")
        if text.count(PROMPT) > answered:
            answered += 1
            taken.update(re.findall(r"o's last move: (\d,\d)\.", text))
            tile = next(f"{r},{c}" for r in range(3) for c in range(3) if f"{r},{c}" not in taken)
            taken.add(tile)
            xo.stdin.write(f"{tile}\n".encode())
            xo.stdin.flush()
        time.sleep(0.02)
    code = xo.wait(timeout=30)
    reader.join(10)
    return code, out.decode(errors="replace")


@pytest.mark.parametrize("level", ["random", "perfect"])
def test_xo_plays_a_whole_game_against_the_computer(
    xo_server: ThreadedEmulator, level: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XO_STATE_DIR", str(tmp_path))  # saves go here, not to ~
    code, out = play_against_computer(xo_server.url, level)
    assert f"you play x against the computer ({level})" in out
    assert " join " not in out  # nobody is invited
    last = out.strip().splitlines()[-1]
    endings = {
        "You won.": ExitCode.WON,
        "You lost: o won.": ExitCode.LOST,
        "It's a draw.": ExitCode.DRAW,
    }
    assert last in endings and code == endings[last], out
    if level == "perfect":
        assert last != "You won.", out
