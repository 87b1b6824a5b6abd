"""`xo` at a real (pseudo-)terminal, typed at as a person does, against the local emulator."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from client.exitcodes import ExitCode
from client.local import xo_emulator
from emulator import ThreadedEmulator
from tests.client.terminal import REPO, Terminal

ENTER = "\r"
CTRL_C = "\x03"
CTRL_D = "\x04"
LEFT = "\x1b[D"
SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    threaded = xo_emulator().serve_in_thread()
    yield threaded
    threaded.stop()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {
        k: v for k, v in os.environ.items() if k not in ("WEBSOCKET_URL", "NO_COLOR", "XO_DEBUG")
    }
    environ["XO_STATE_DIR"] = str(tmp_path / "state")
    environ["PATH"] = "/usr/bin:/bin"  # no pulumi, no xo on PATH
    return environ


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    started: list[Terminal] = []
    yield started
    for terminal in started:
        terminal.close()


def receive(ws: ClientConnection, *types: str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=30))
    assert message.get("type") in types, message
    return message


def drain(ws: ClientConnection) -> None:
    """Read until the connection closes (bounded: a frame must come within 15 s)."""
    while True:
        ws.recv(timeout=15)


def play(ws: ClientConnection, game_id: str, tile: str) -> None:
    ws.send(json.dumps({"type": "play", "id": game_id, "tile": tile}))


def x_against_a_raw_o(
    emulator: ThreadedEmulator, env: dict[str, str], terminals: list[Terminal], **kw: Any
) -> tuple[Terminal, ClientConnection, str]:
    """`xo new` at a terminal, joined by a raw client; x's first prompt is up."""
    x = Terminal.start(["new", "--url", emulator.url], env, **kw)
    terminals.append(x)
    game_id = x.expect(r"Game id: (\S+)")[1]
    ws = connect(emulator.url).__enter__()  # the caller's `with ws:` closes it
    ws.send(json.dumps({"type": "join", "id": game_id}))
    receive(ws, "join")
    x.expect(r"Your turn \(x\): ")
    return x, ws, game_id


def test_lines_typed_out_of_turn_are_dropped(
    emulator: ThreadedEmulator, env: dict[str, str], terminals: list[Terminal]
) -> None:
    """A line typed while o thinks is answered "not your turn yet" and never played."""
    x, ws, game_id = x_against_a_raw_o(emulator, env, terminals)
    with ws:
        x.type("1,1" + ENTER)
        assert receive(ws, "play")["tile"] == "1,1"
        x.expect(r"Waiting for o to play")
        x.type("2,2" + ENTER)
        x.expect(r"Not your turn yet: that line was dropped\.")
        x.type("0,1")  # half typed, no Enter: discarded when the prompt appears
        x.idle(0.3)
        play(ws, game_id, "0,0")
        x.expect(r"Your turn \(x\): ")
        x.type("2,0" + ENTER)
        assert receive(ws, "play")["tile"] == "2,0"  # not 2,2, not 0,12,0


def test_the_prompt_edits_lines(
    emulator: ThreadedEmulator, env: dict[str, str], terminals: list[Terminal]
) -> None:
    """Arrow keys move within the line (readline), and a1-c3 / 1-9 are moves too."""
    x, ws, game_id = x_against_a_raw_o(emulator, env, terminals)
    with ws:
        x.type("11" + LEFT + "," + ENTER)  # "1,1" once the cursor moved back
        assert receive(ws, "play")["tile"] == "1,1"
        play(ws, game_id, "0,0")
        x.expect(r"Your turn \(x\): ")
        x.type("c1" + ENTER)
        assert receive(ws, "play")["tile"] == "0,2"
        play(ws, game_id, "1,0")
        x.expect(r"Your turn \(x\): ")
        x.type("7" + ENTER)
        assert receive(ws, "play")["tile"] == "2,0"
        x.expect(r"Play again\? \[y/N\] ")  # at a terminal xo offers a rematch; no thanks
        x.type("n" + ENTER)
        assert x.wait() == 0, x.output
        assert "You won." in x.output


def test_ctrl_d_during_the_opponents_turn_leaves_cleanly(
    emulator: ThreadedEmulator, env: dict[str, str], terminals: list[Terminal]
) -> None:
    """Ctrl-D while o thinks asks nothing: exit 130, the resume line, no traceback."""
    x, ws, _ = x_against_a_raw_o(emulator, env, terminals)
    with ws:
        x.type("1,1" + ENTER)
        receive(ws, "play")
        x.expect(r"Waiting for o to play")
        x.type(CTRL_D)
        assert x.wait() == 130, x.output
    assert "You left the game." in x.output and "resume --id" in x.output, x.output
    assert "Traceback" not in x.output, x.output


def test_hosting_asks_before_ctrl_c_ends_the_game_for_both(
    env: dict[str, str], terminals: list[Terminal]
) -> None:
    """A hosting `xo new` warns on its first screen; during a game, one Ctrl-C asks, a second
    leaves (exit 130), and the opponent's connection ends."""
    x = Terminal.start(["new"], env)
    terminals.append(x)
    x.expect(r"closing it ends the game for both players")
    join = x.expect(r"join (ws://\S+)#(\S+)")
    url, game_id = join[1], join[2]
    with connect(url) as ws:
        ws.send(json.dumps({"type": "join", "id": game_id}))
        receive(ws, "join")
        x.expect(r"Your turn \(x\): ")
        x.type(CTRL_C)
        x.expect(r"Ctrl-C again within 5 s to leave\.")
        assert x.process.poll() is None
        x.type(CTRL_C)
        assert x.wait() == 130, x.output
        assert "You left: the game is over for both players." in x.output
        with pytest.raises(ConnectionClosed):  # the server went with the host
            drain(ws)
    assert "Traceback" not in x.output


@pytest.mark.parametrize("after", [0.0, 0.4, 1.0])
def test_ctrl_c_while_starting_never_shows_a_traceback(
    after: float, env: dict[str, str], terminals: list[Terminal]
) -> None:
    """Ctrl-C at any moment of a hosting `xo new`'s start-up, from the moment xo's code runs
    (`after` seconds after `client.cli` is loaded): exit 130, no traceback (while the server's
    processes start, it takes effect as soon as they are up).

    Before that moment Python itself is starting and no code of xo's can run: a Ctrl-C that
    lands before CPython installs its SIGINT handler kills the process (quietly), and one
    that lands while the `site` module runs (the venv's .pth files) makes CPython print
    "Fatal Python error: init_import_site" and a traceback. Under load that window is tens
    of milliseconds wide; it is CPython's, so this test starts its clock after it."""
    x = Terminal.start(["new"], env)
    terminals.append(x)
    x.loaded()
    x.idle(after)
    x.type(CTRL_C)
    assert x.wait() == ExitCode.INTERRUPTED, x.output
    assert "Traceback" not in x.output and "Error" not in x.output, x.output


def test_ctrl_c_after_xo_loads_and_before_it_runs_is_quiet(env: dict[str, str]) -> None:
    """The console script loads `client.cli`, then runs a line of its own (`sys.argv[0] =
    re.sub(...)`) before calling `main()`: a Ctrl-C there ends xo quietly too (exit 130)."""
    import subprocess
    import sys

    interrupted_before_main = "from client.cli import main; import os, signal; os.kill(os.getpid(), signal.SIGINT); main()"
    done = subprocess.run(
        [sys.executable, "-c", interrupted_before_main],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (ExitCode.INTERRUPTED, "", "")


def test_ctrl_c_is_held_back_from_the_first_line_of_the_local_server(env: dict[str, str]) -> None:
    """A hosting `xo new` holds Ctrl-C back while its server loads, not only while it starts:
    a KeyboardInterrupt inside a module being loaded can surface as another error (Python
    wraps it in RuntimeError when it lands in a class's `__set_name__`) with a traceback.
    Seen from the first module of the server (`client.local`), SIGINT is blocked."""
    import subprocess
    import sys

    spy = (
        "import os, signal, sys\n"
        "class Spy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'client.local':  # the first module of the server to load\n"
        "            held = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])\n"
        "            print(name, 'held' if held else 'let through', flush=True)\n"
        "            os._exit(0)\n"
        "sys.meta_path.insert(0, Spy())\n"
        "sys.argv[1:] = ['new']\n"
        "from client.cli import main; main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", spy],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout == "client.local held\n", (done.stdout, done.stderr)


def test_the_spinner_fits_a_50_column_terminal(
    emulator: ThreadedEmulator, env: dict[str, str], terminals: list[Terminal]
) -> None:
    """At 50 columns the spinner redraws one line, never wider than the terminal."""
    x = Terminal.start(["new", "--url", emulator.url], env, columns=50)
    terminals.append(x)
    x.expect(r"Waiting for an opponent")
    drawn = x.idle(1.0)
    frames = [frame for frame in drawn.split("\r\x1b[K") if frame]
    assert len(frames) >= 3
    assert "\n" not in drawn
    assert all(len(frame) <= 49 for frame in frames), frames


def test_colour_on_a_terminal_and_none_with_no_color_or_dumb(
    emulator: ThreadedEmulator, env: dict[str, str], terminals: list[Terminal]
) -> None:
    """Marks are coloured at a terminal; NO_COLOR removes colour; TERM=dumb removes every
    escape code and carriage return (no spinner)."""
    x, ws, _ = x_against_a_raw_o(emulator, env, terminals)
    with ws:
        x.type("1,1" + ENTER)
        x.expect(r"Waiting for o")
    assert SGR.search(x.output)
    for extra in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        plain, ws, _ = x_against_a_raw_o(emulator, {**env, **extra}, terminals)
        with ws:
            plain.type("1,1" + ENTER)
            plain.expect(r"Waiting for o")
            plain.idle(0.5)
        assert not SGR.search(plain.output), extra
        if extra.get("TERM") == "dumb":
            assert "\x1b[K" not in plain.output


@pytest.mark.parametrize("columns", [80, 50])
def test_help_fits_the_terminal(
    columns: int, env: dict[str, str], terminals: list[Terminal]
) -> None:
    """`xo --help` at 80 and 50 columns: Click wraps it, no line is wider than the terminal."""
    x = Terminal.start(["--help"], env, columns=columns)
    terminals.append(x)
    assert x.wait() == 0, x.output
    lines = x.output.replace("\r\n", "\n").splitlines()
    assert "Exit codes" in x.output
    assert [line for line in lines if len(line) > columns] == []


def test_a_lan_game_on_a_second_loopback_address(
    env: dict[str, str], terminals: list[Terminal]
) -> None:
    """`xo new --host 127.0.0.2` hosts where another machine would connect, and prints the one
    string to share; `xo join STRING` plays from it (all on loopback)."""
    x = Terminal.start(["new", "--host", "127.0.0.2"], env)
    terminals.append(x)
    shared = x.expect(r"join (ws://127\.0\.0\.2:\d+/local#\S+)")[1]
    o = Terminal.start(["join", shared], {**env, "XO_STATE_DIR": env["XO_STATE_DIR"] + "-o"})
    terminals.append(o)
    o.expect(r"Joined game \S+: you are o\.")
    draw = ["1,1", "0,0", "0,2", "2,0", "1,0", "1,2", "0,1", "2,1", "2,2"]
    for turn, tile in enumerate(draw):
        mover, waiter = (x, o) if turn % 2 == 0 else (o, x)
        mover.expect(r"Your turn \([xo]\): ")
        mover.type(tile + ENTER)
        if turn < len(draw) - 1:
            waiter.expect(re.escape(f"last move: {tile}."))
    for player in (o, x):  # each is asked, and declines (the host last: it serves the game)
        player.expect(r"Play again\? \[y/N\] ")
        player.type("n" + ENTER)
    assert x.wait() == 6 and o.wait() == 6
    assert "It's a draw." in x.output and "It's a draw." in o.output


@pytest.mark.parametrize("args", [["--help"], ["games"], ["--version"]])
def test_a_closed_output_pipe_exits_quietly(args: list[str], env: dict[str, str]) -> None:
    """`xo ... | head -0`: the reader is gone before xo writes; xo exits, nothing on stderr."""
    import subprocess

    from tests.client.terminal import XO

    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [*XO, *args], stdout=write, stderr=subprocess.PIPE, env=env, timeout=30, check=False
        )
    finally:
        os.close(write)
    assert done.stderr == b""
    assert done.returncode in (0, 1)


def test_xo_local_at_a_terminal_shows_its_url_first_then_what_to_run(
    env: dict[str, str], terminals: list[Terminal]
) -> None:
    """`xo local` on a terminal: the URL is the first line, then the command players run."""
    server = Terminal.start(["local"], env)
    terminals.append(server)
    url = server.expect(r"Players start a game with: \S+ new --url (ws://\S+)")[1]
    assert server.output.lstrip().startswith(url + "\r\n"), server.output
    server.type(CTRL_C)
    assert server.wait() == 0  # Ctrl-C is how it is meant to stop
    assert "Traceback" not in server.output


def test_when_the_host_leaves_the_opponent_is_told_the_game_cannot_continue(
    env: dict[str, str], terminals: list[Terminal]
) -> None:
    """Issue 11: the hosting `xo new` leaves mid-game. Its opponent is not sent to resume a
    game that no longer exists: it is told the game cannot continue (exit 4), and its save
    is removed."""
    x = Terminal.start(["new"], env)
    terminals.append(x)
    shared = x.expect(r"join (ws://\S+#\S+)")[1]
    o_state = Path(env["XO_STATE_DIR"] + "-o")
    o = Terminal.start(["join", shared, "--retries", "2"], {**env, "XO_STATE_DIR": str(o_state)})
    terminals.append(o)
    x.expect(r"Your turn \(x\): ")
    x.type("1,1" + ENTER)
    o.expect(r"Your turn \(o\): ")
    assert list(o_state.glob("*.o.json"))
    x.type(CTRL_C)
    x.expect(r"Ctrl-C again within")
    x.type(CTRL_C)
    assert x.wait() == 130, x.output
    assert o.wait(60) == 4, o.output
    assert "so this game cannot continue" in o.output, o.output
    assert "resume" not in o.output.split("cannot continue")[-1]
    assert list(o_state.glob("*.json")) == []
