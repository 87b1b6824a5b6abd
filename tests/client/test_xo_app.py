"""The `xo` commands through Typer's CliRunner, against the fake server in a thread."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from client import app as app_module
from client import savefile
from client.app import app
from client.runner import FINAL_MOVE_GRACE_SECONDS
from game.rules import Mark
from tests.client.fake_server import FakeServer, ThreadedFakeServer

runner = CliRunner()
GRACE = ["--final-move-grace", "0.05"]
"""x's winning move waits this long for a refusal before "You won." (1.5 s by default)."""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state directory, no WEBSOCKET_URL, no Pulumi, stdin and stdout not terminals."""
    state = tmp_path / "state"
    monkeypatch.setenv("XO_STATE_DIR", str(state))
    monkeypatch.delenv("WEBSOCKET_URL", raising=False)
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)
    monkeypatch.setattr(app_module, "stdin_is_terminal", lambda: False)
    monkeypatch.setattr(app_module, "stdout_is_terminal", lambda: False)
    return state


@pytest.fixture
def threaded() -> Iterator[tuple[FakeServer, ThreadedFakeServer]]:
    fake = FakeServer()
    holder = ThreadedFakeServer(fake)
    with holder:
        yield fake, holder


def test_help_lists_commands_and_exit_codes() -> None:
    """`xo --help` names the commands and documents every exit code."""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for word in ["new", "join", "resume", "local", "WEBSOCKET_URL", "--moves"]:
        assert word in result.output
    codes = [line.split()[0] for line in result.output.splitlines() if line[:6].strip().isdigit()]
    assert codes == ["0", "1", "2", "3", "4", "130"]
    new_help = runner.invoke(app, ["new", "--help"]).output
    assert (
        "--opponent-timeout" in new_help and "--final-move-grace" not in new_help
    )  # a hidden knob, for tests


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "Usage" in result.output and result.exit_code in (0, 2)


def test_new_scripted_win(threaded: tuple[FakeServer, ThreadedFakeServer], isolated: Path) -> None:
    """`xo new --url --moves`: game id line, join command, the board, "You won.", exit 0, no file left."""
    fake, _ = threaded
    fake.bot_moves = ["1,0", "1,1"]
    result = runner.invoke(app, ["new", "--url", fake.url, "--moves", "0,0 0,1 0,2", *GRACE])
    assert result.exit_code == 0, result.output
    game_id = next(iter(fake.games))
    assert f"Game id: {game_id}\n" in result.output
    assert f"  xo join --url {fake.url} --id {game_id}\n" in result.output
    assert "0,0         0,2" in result.output
    assert result.output.rstrip().endswith("You won.")
    assert "\r" not in result.output and "\x1b" not in result.output
    assert list(isolated.glob("*.json")) == []


def test_url_from_the_environment(
    threaded: tuple[FakeServer, ThreadedFakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """WEBSOCKET_URL is used when --url is absent."""
    fake, _ = threaded
    fake.bot_moves = ["1,0", "1,1"]
    monkeypatch.setenv("WEBSOCKET_URL", fake.url)
    result = runner.invoke(app, ["new", "--moves", "0,0 0,1 0,2", *GRACE])
    assert result.exit_code == 0, result.output
    assert f"--url {fake.url} " in result.output


def test_url_from_pulumi(
    threaded: tuple[FakeServer, ThreadedFakeServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With a Pulumi CLI and project, `pulumi stack output websocketUrl` names the server."""
    fake, _ = threaded
    fake.bot_moves = ["1,0", "1,1"]
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: xo\nruntime: python\n")
    pulumi = tmp_path / "pulumi"
    pulumi.write_text(
        f'#!/bin/sh\n[ "$1 $2 $3" = "stack output websocketUrl" ] && echo {fake.url}\n'
    )
    pulumi.chmod(0o755)
    monkeypatch.setattr(
        "shutil.which", lambda name, *a, **k: str(pulumi) if name == "pulumi" else None
    )
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["new", "--moves", "0,0 0,1 0,2", *GRACE])
    assert result.exit_code == 0, result.output
    assert f"--url {fake.url} " in result.output


def test_nothing_configured_hosts_a_local_server(
    threaded: tuple[FakeServer, ThreadedFakeServer], monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    """No URL anywhere: `xo new` hosts the server, says to keep the terminal open, prints the join command."""
    fake, _ = threaded
    fake.bot_moves = ["1,0", "1,1"]
    stopped: list[bool] = []
    slept: list[float] = []
    monkeypatch.setattr(
        app_module, "_start_local_server", lambda: (fake.url, lambda: stopped.append(True))
    )
    monkeypatch.setattr(app_module.time, "sleep", slept.append)
    result = runner.invoke(app, ["new", "--moves", "0,0 0,1 0,2", *GRACE])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"Hosting a local game server at {fake.url}: keep this terminal open, it hosts the game.\n"
    )
    assert f"xo join --url {fake.url} --id " in result.output
    assert stopped == [True]
    assert slept == [
        0.5
    ]  # our own move ended the game: the server goes once the last frames are out
    assert (
        not isolated.exists() or list(isolated.glob("*.json")) == []
    )  # the game dies with this process


def test_hosted_server_outlives_the_opponents_grace_period(
    threaded: tuple[FakeServer, ThreadedFakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The opponent's move ended a hosted game: the server stays up while their `xo` waits out its
    final-move grace period (else it would see a dropped connection, not its win)."""
    fake, _ = threaded
    fake.bot_moves = ["0,0", "0,1", "0,2"]
    slept: list[float] = []
    monkeypatch.setattr(app_module, "_start_local_server", lambda: (fake.url, lambda: None))
    monkeypatch.setattr(app_module.time, "sleep", slept.append)
    result = runner.invoke(app, ["new", "--moves", "1,1 2,0 2,2"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("You lost: o won.")
    assert slept == [FINAL_MOVE_GRACE_SECONDS + 0.5]


def test_bad_url_is_a_usage_error() -> None:
    result = runner.invoke(app, ["new", "--url", "http://example.com"])
    assert result.exit_code == 2
    assert "is not a WebSocket URL" in result.output


def test_join_unknown_game(threaded: tuple[FakeServer, ThreadedFakeServer]) -> None:
    """Joining a game that does not exist: exit 1 with the server's sentence."""
    fake, _ = threaded
    result = runner.invoke(app, ["join", "--url", fake.url, "--id", "A" * 22])
    assert result.exit_code == 1
    assert (
        "The server refused: No game has that id (or it has expired): start a new game."
        in result.output
    )


def test_join_without_a_url_is_a_usage_error() -> None:
    result = runner.invoke(app, ["join", "--id", "A" * 22])
    assert result.exit_code == 2
    assert "pass the --url" in result.output


def test_join_and_lose_with_moves_on_stdin(
    threaded: tuple[FakeServer, ThreadedFakeServer], isolated: Path
) -> None:
    """o reads moves from piped stdin; the resume file exists while playing, mode 0600, gone after."""
    fake, _ = threaded
    fake.bot_mark = Mark.X
    fake.bot_moves = ["0,0", "0,1", "0,2"]
    game = fake.bot_game()
    seen: list[int] = []

    def hook(g: object, mark: Mark, index: int) -> None:
        path = isolated / f"{game.id}.json"
        seen.append(stat.S_IMODE(path.stat().st_mode))
        return

    fake.play_hook = hook  # type: ignore[assignment]
    result = runner.invoke(app, ["join", "--url", fake.url, "--id", game.id], input="1,0\n1,1\n")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("You lost: x won.")
    assert seen == [0o600, 0o600]
    assert not (isolated / f"{game.id}.json").exists()


def test_interactive_bad_input_is_asked_again(
    threaded: tuple[FakeServer, ThreadedFakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a terminal, 9,9 / a / a taken tile are explained and asked again; the game goes on."""
    fake, _ = threaded
    fake.bot_moves = ["1,0", "1,1"]
    monkeypatch.setattr(app_module, "stdin_is_terminal", lambda: True)
    result = runner.invoke(
        app, ["new", "--url", fake.url, *GRACE], input="9,9\na\n0,0\n1,0\n0,1\n0,2\n"
    )
    assert result.exit_code == 0, result.output
    assert "'9,9' is off the board: row and column go from 0 to 2. Try again." in result.output
    assert "'a' is not a tile: write it as row,column, for example 1,1. Try again." in result.output
    assert "Tile 1,0 is already taken by o. Try again." in result.output
    assert [m["tile"] for m in fake.received if m["type"] == "play"] == ["0,0", "0,1", "0,2"]
    assert result.output.rstrip().endswith("You won.")


def test_interactive_end_of_input_leaves_with_130(
    threaded: tuple[FakeServer, ThreadedFakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-D at the prompt leaves the game (130) and says how to resume it."""
    fake, _ = threaded
    monkeypatch.setattr(app_module, "stdin_is_terminal", lambda: True)
    result = runner.invoke(app, ["new", "--url", fake.url], input="")
    assert result.exit_code == 130
    assert "You left the game." in result.output
    assert "To carry on later: xo resume --id " in result.output


def test_scripted_illegal_move_exits_2(threaded: tuple[FakeServer, ThreadedFakeServer]) -> None:
    """A script cannot be asked again: the reason, then exit 2; nothing illegal is sent."""
    fake, _ = threaded
    fake.bot_moves = ["1,1"]
    result = runner.invoke(app, ["new", "--url", fake.url, "--moves", "0,0 1,1"])
    assert result.exit_code == 2
    assert (
        "The scripted move '1,1' cannot be played: Tile 1,1 is already taken by o." in result.output
    )
    assert [m["tile"] for m in fake.received if m["type"] == "play"] == ["0,0"]


def test_resume_nothing_saved(isolated: Path) -> None:
    result = runner.invoke(app, ["resume"])
    assert result.exit_code == 2
    assert f"There is no saved game to resume (looked in {isolated})." in result.output


def test_resume_latest_saved_game(
    threaded: tuple[FakeServer, ThreadedFakeServer], isolated: Path
) -> None:
    """`xo resume` picks the saved game, gets the state back and finishes it."""
    fake, _ = threaded
    fake.bot_moves = ["1,1"]
    game = fake.bot_game()  # the bot is x; we were o, and x has played 0,0 and 1,0 meanwhile
    fake.bot_mark = Mark.X
    from game.rules import Game

    game.game = Game.from_moves(["0,0", "0,1", "1,0", "0,2"])
    game.tokens[Mark.O] = "T" * 22
    game.players[Mark.O] = None
    savefile.save(savefile.SavedGame(fake.url, game.id, "T" * 22, Mark.O), isolated)
    fake.bot_moves = ["2,0"]
    result = runner.invoke(app, ["resume", "--moves", "1,1"])
    assert result.exit_code == 0, result.output
    assert f"Resumed game {game.id}: you are o." in result.output
    assert result.output.rstrip().endswith("You lost: x won.")
    assert not (isolated / f"{game.id}.json").exists()


def test_resume_with_a_wrong_token_forgets_the_game(
    threaded: tuple[FakeServer, ThreadedFakeServer], isolated: Path
) -> None:
    """The server does not know the token: exit 1 with its sentence; the useless file is removed."""
    fake, _ = threaded
    game = fake.bot_game()
    savefile.save(savefile.SavedGame(fake.url, game.id, "W" * 22, Mark.O), isolated)
    result = runner.invoke(app, ["resume", "--id", game.id])
    assert result.exit_code == 1
    assert "That token does not belong to a player of this game." in result.output
    assert not (isolated / f"{game.id}.json").exists()


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (KeyboardInterrupt out of the event loop) ends with 130 and a sentence, no traceback."""

    def interrupted(coro: object) -> None:
        coro.close()  # type: ignore[attr-defined]
        raise KeyboardInterrupt

    monkeypatch.setattr(app_module.asyncio, "run", interrupted)
    result = runner.invoke(app, ["new", "--url", "ws://127.0.0.1:9/x"])
    assert result.exit_code == 130
    assert "Interrupted: you left the game." in result.output
    assert "Traceback" not in result.output


def test_state_dir_env_is_honoured(isolated: Path) -> None:
    assert savefile.state_dir() == isolated
    assert os.environ["XO_STATE_DIR"] == str(isolated)
