"""The tutorial's client, unmodified in behaviour, plays whole games against xo."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from emulator.server import ThreadedEmulator
from tests.e2e.players import DRAW, X_WINS
from tests.e2e.tutorial_client import play_tutorial_game

XO = [str(Path(sys.executable).with_name("xo"))]


def test_two_tutorial_clients_play_a_game_on_xo_handlers(xo_server: ThreadedEmulator) -> None:
    ids: list[str] = []
    ready = threading.Event()
    result = {}

    def creator() -> None:
        result["x"] = play_tutorial_game(
            xo_server.url, DRAW[0::2], on_game_id=lambda g: (ids.append(g), ready.set())
        )

    thread = threading.Thread(target=creator)
    thread.start()
    assert ready.wait(10)
    joined = play_tutorial_game(xo_server.url, DRAW[1::2], game_id=ids[0])
    thread.join(10)
    assert joined.outcome == result["x"].outcome == "draw"


def test_xo_joins_a_game_the_tutorial_client_created(xo_server: ThreadedEmulator) -> None:
    """The tutorial client creates and plays x; `xo join` plays o from a script, and loses."""
    ids: list[str] = []
    ready = threading.Event()
    result = {}

    def creator() -> None:
        result["x"] = play_tutorial_game(
            xo_server.url, X_WINS[0::2], on_game_id=lambda g: (ids.append(g), ready.set())
        )

    thread = threading.Thread(target=creator)
    thread.start()
    assert ready.wait(10)
    xo = subprocess.run(
        [*XO, "join", "--url", xo_server.url, "--id", ids[0], "--moves", " ".join(X_WINS[1::2])],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    thread.join(10)
    assert result["x"].outcome == "x"
    assert xo.returncode == 5, xo.stderr  # 5: lost
    assert "lost" in xo.stdout.lower(), xo.stdout


def test_the_tutorial_client_joins_a_game_xo_created(xo_server: ThreadedEmulator) -> None:
    """`xo new` creates and plays x from a script; the tutorial client joins as o and wins."""
    xo = subprocess.Popen(
        [*XO, "new", "--url", xo_server.url, "--moves", "0,0 0,1 2,2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert xo.stdout is not None
    game_id = None
    for line in xo.stdout:
        if line.startswith("Game id:"):
            game_id = line.split(":", 1)[1].strip()
            break
    assert game_id, xo.stderr.read() if xo.stderr else ""
    # o: 1,0  1,1  1,2 completes the middle row on o's third move
    final = play_tutorial_game(xo_server.url, ["1,0", "1,1", "1,2"], game_id=game_id)
    out, err = xo.communicate(timeout=30)
    assert final.outcome == "o"
    assert xo.returncode == 5, err  # 5: lost
    assert "lost" in out.lower(), out
