"""`xo watch` follows a game that two players play, joining it mid-game."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from websockets.sync.client import connect

from client.board import render_board
from emulator.server import ThreadedEmulator
from game.rules import Game

XO = str(Path(sys.executable).with_name("xo"))
X_WINS = ["0,0", "1,0", "0,1", "1,1", "0,2"]


def test_xo_watch_shows_the_board_so_far_then_each_move_until_the_end(
    xo_server: ThreadedEmulator,
) -> None:
    with connect(xo_server.url) as x, connect(xo_server.url) as o:
        x.send(json.dumps({"type": "start", "watchers": True}))
        game_id = json.loads(x.recv(timeout=30))["id"]
        o.send(json.dumps({"type": "join", "id": game_id}))
        o.recv(timeout=30)
        x.recv(timeout=30)
        for turn, tile in enumerate(X_WINS[:2]):
            mover, other = (x, o) if turn % 2 == 0 else (o, x)
            mover.send(json.dumps({"type": "play", "id": game_id, "tile": tile}))
            other.recv(timeout=30)
        spectator = subprocess.Popen(
            [XO, "watch", "--url", xo_server.url, "--id", game_id, "--follow", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert spectator.stdout is not None
        lines: list[str] = []
        started = threading.Event()

        def read() -> None:
            assert spectator.stdout is not None
            for line in spectator.stdout:
                lines.append(line.rstrip("\n"))
                if line.startswith("Watching game"):
                    started.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert started.wait(30), lines
        assert json.loads(x.recv(timeout=30)) == {"type": "watchers", "id": game_id, "count": 1}
        for turn, tile in enumerate(X_WINS[2:], start=2):
            mover, other = (x, o) if turn % 2 == 0 else (o, x)
            mover.send(json.dumps({"type": "play", "id": game_id, "tile": tile}))
            other.recv(timeout=30)
        code = spectator.wait(timeout=30)
        reader.join(10)
    assert code == 0, lines
    text = "\n".join(lines)
    assert lines[0] == f"Watching game {game_id} (1 watching)."
    assert render_board(Game.from_moves(X_WINS[:2])) in text  # the board so far, at once
    assert "x played 0,1." in text and "o played 1,1." in text and "x played 0,2." in text
    assert lines[-1] == "The game is over: x won."


def test_xo_watch_of_an_unknown_game_says_so_and_exits_1(xo_server: ThreadedEmulator) -> None:
    done = subprocess.run(
        [XO, "watch", "--url", xo_server.url, "--id", "A" * 22],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1, done
    assert "The server refused: No game has that id" in done.stdout
