"""The `xo` commands through Typer's CliRunner, against the fake server in a thread."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from client import app as app_module
from client import savefile
from client.app import app
from client.exitcodes import ExitCode
from client.moves import Move
from client.runner import Options, Runner
from game.rules import Game, Mark
from tests.client.fake_server import FakeServer, ThreadedFakeServer

runner = CliRunner()
GRACE: list[str] = []


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
    """`xo --help` names the commands and documents every exit code, once."""
    result = runner.invoke(app, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    for word in ["new", "join", "resume", "games", "local", "WEBSOCKET_URL"]:
        assert word in result.output
    codes = [line.split()[0] for line in result.output.splitlines() if line[:6].strip().isdigit()]
    assert codes == [str(int(code)) for code in ExitCode]
    new_help = runner.invoke(app, ["new", "--help"]).output
    assert "--opponent-timeout" in new_help and "--answer-timeout" not in new_help  # for tests


@pytest.mark.parametrize("width", [80, 50])
def test_help_fits_the_terminal(width: int) -> None:
    """Help is wrapped by Click to the terminal's width: no line is longer."""
    for command in ([], ["new"], ["join"], ["resume"], ["games"], ["local"]):
        output = runner.invoke(app, [*command, "--help"], terminal_width=width).output
        too_long = [line for line in output.splitlines() if len(line) > width]
        assert too_long == [], command


def test_no_arguments_shows_help_and_exits_2() -> None:
    """A bare `xo` is a usage error: the help, exit 2."""
    result = runner.invoke(app, [])
    assert "Usage" in result.output and result.exit_code == 2


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("xo ")


def test_new_scripted_win(threaded: tuple[FakeServer, ThreadedFakeServer], isolated: Path) -> None:
    """`xo new --url --moves`: game id line, join command, the board, "You won.", exit 0, no file left."""
    fake, _ = threaded
    fake.bot_moves = ["1,0", "1,1"]
    result = runner.invoke(app, ["new", "--url", fake.url, "--moves", "0,0 0,1 0,2", *GRACE])
    assert result.exit_code == 0, result.output
    game_id = next(iter(fake.games))
    assert f"Game id: {game_id}\n" in result.output
    assert f"  xo join {fake.url}#{game_id}\n" in result.output
    assert "         0   1   2" in result.output
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
    assert f"xo join {fake.url}#" in result.output


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
    assert f"xo join {fake.url}#" in result.output


def test_nothing_configured_hosts_a_local_server(
    threaded: tuple[FakeServer, ThreadedFakeServer], monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    """No URL anywhere: `xo new` hosts the server, warns that closing it ends the game for both,
    prints the join line, and stops the server after the game."""
    fake, _ = threaded
    fake.bot_moves = ["1,0", "1,1"]
    stopped: list[bool] = []
    monkeypatch.setattr(app_module, "HOSTING_LINGER_SECONDS", 0.0)
    monkeypatch.setattr(
        app_module, "_start_local_server", lambda host: (fake.url, lambda: stopped.append(True))
    )
    result = runner.invoke(app, ["new", "--moves", "0,0 0,1 0,2"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"Hosting a local game server at {fake.url}\n"
        "Keep this terminal open: closing it ends the game for both players.\n"
    )
    assert f"xo join {fake.url}#" in result.output
    assert stopped == [True]
    assert not isolated.exists() or list(isolated.glob("*.json")) == []  # dies with this process


def test_bad_url_is_a_usage_error() -> None:
    result = runner.invoke(app, ["new", "--url", "http://example.com"])
    assert result.exit_code == 2
    assert "is not a WebSocket URL" in result.output


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["new", "--moves", "1,1 zz"], "--moves: 'zz' is not a cell."),
        (["new", "--url", ""], "--url is empty"),
        (["join", "--id", ""], "Which game?"),
        (["join", "ws://127.0.0.1:9/local"], "has no game id"),
        (["join", "ws://127.0.0.1:9/local#short"], "'short' is not a game id"),
        (["resume", "--id", ""], "--id is empty"),
    ],
)
def test_early_usage_errors_stop_before_anything_starts(
    args: list[str], sentence: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad --moves, an empty --id or --url: exit 2 with a sentence, and no server is started."""
    monkeypatch.setattr(app_module, "_start_local_server", lambda host: pytest.fail("started"))
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert sentence in result.output


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
    assert "No server to join: pass the line `xo new` printed" in result.output


def test_join_and_lose_with_moves_on_stdin(
    threaded: tuple[FakeServer, ThreadedFakeServer], isolated: Path
) -> None:
    """o reads moves from piped stdin; the resume file exists while playing, mode 0600, gone after."""
    fake, holder = threaded
    fake.bot_mark = Mark.X
    fake.bot_moves = ["0,0", "0,1", "0,2"]
    game = holder.run(fake.bot_game)
    seen: list[int] = []

    def hook(g: object, mark: Mark, index: int) -> None:
        path = isolated / f"{game.id}.o.json"
        seen.append(stat.S_IMODE(path.stat().st_mode))
        return

    fake.play_hook = hook  # type: ignore[assignment]
    result = runner.invoke(app, ["join", f"{fake.url}#{game.id}"], input="1,0\n1,1\n")
    assert result.exit_code == ExitCode.LOST, result.output
    assert result.output.rstrip().endswith("You lost: x won.")
    assert seen == [0o600, 0o600]
    assert list(isolated.glob("*.json")) == []


def test_interactive_bad_input_is_asked_again(
    threaded: tuple[FakeServer, ThreadedFakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a terminal, 9,9 / a / a taken tile are explained and asked again; the game goes on."""
    fake, _ = threaded
    fake.bot_moves = ["1,0", "1,1"]
    monkeypatch.setattr(app_module, "stdin_is_terminal", lambda: True)
    result = runner.invoke(
        app, ["new", "--url", fake.url, *GRACE], input="9,9\na\n0,0\n1,0\n0,1\n0,2\nn\n"
    )
    assert result.exit_code == 0, result.output
    assert "'9,9' is off the board: row and column go from 0 to 2. Try again." in result.output
    assert "'a' is not a cell. Type a cell as row,column" in result.output
    assert "Tile 1,0 is already taken by o. Try again." in result.output
    assert [m["tile"] for m in fake.received if m["type"] == "play"] == ["0,0", "0,1", "0,2"]
    assert result.output.rstrip().endswith("You won.\nPlay again? [y/N]")  # "n": no rematch


def test_interactive_end_of_input_leaves_with_130(
    threaded: tuple[FakeServer, ThreadedFakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-D at the prompt leaves the game (130) and says how to resume it."""
    fake, _ = threaded
    monkeypatch.setattr(app_module, "stdin_is_terminal", lambda: True)
    result = runner.invoke(app, ["new", "--url", fake.url], input="")
    assert result.exit_code == 130
    assert "You left the game." in result.output
    assert "To carry on later: " in result.output and " resume --id " in result.output


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


def bot_x_game(threaded: ThreadedFakeServer) -> tuple[str, str]:
    """A game where the bot is x and has played 0,0 and 1,0; o has played 0,1 and 0,2 and is
    away (its connection closed). Returns the game id and o's token."""
    fake = threaded.server
    fake.bot_mark = Mark.X
    game = threaded.run(lambda: fake.bot_game(moves=("0,0", "0,1", "1,0", "0,2"), away=Mark.O))
    return game.id, game.tokens[Mark.O]


def test_resume_latest_saved_game(
    threaded: tuple[FakeServer, ThreadedFakeServer], isolated: Path
) -> None:
    """`xo resume` picks the saved seat, gets the state back and finishes it."""
    fake, holder = threaded
    game_id, token = bot_x_game(holder)
    savefile.save(savefile.SavedGame(fake.url, game_id, token, Mark.O), isolated)
    fake.bot_moves = ["2,0"]
    result = runner.invoke(app, ["resume", "--moves", "1,1"])
    assert result.exit_code == ExitCode.LOST, result.output
    assert f"Resumed game {game_id}: you are o." in result.output
    assert result.output.rstrip().endswith("You lost: x won.")
    assert list(isolated.glob("*.json")) == []


def test_two_seats_of_one_game_are_saved_apart(isolated: Path) -> None:
    """Both players on one machine: x's save and o's save are two files; neither overwrites."""
    game_id = "G" * 22
    savefile.save(savefile.SavedGame("ws://h/x", game_id, "X" * 22, Mark.X), isolated)
    savefile.save(savefile.SavedGame("ws://h/x", game_id, "O" * 22, Mark.O), isolated)
    assert savefile.load(game_id, Mark.X, isolated).token == "X" * 22  # type: ignore[union-attr]
    assert savefile.load(game_id, Mark.O, isolated).token == "O" * 22  # type: ignore[union-attr]


def test_resume_never_guesses_between_two_seats(isolated: Path) -> None:
    """Both seats of a game saved here and free: `xo resume` asks which (exit 2), sends nothing."""
    game_id = "G" * 22
    for mark in Mark:
        savefile.save(savefile.SavedGame("ws://127.0.0.1:9/x", game_id, "T" * 22, mark), isolated)
    result = runner.invoke(app, ["resume"])
    assert result.exit_code == 2
    assert f"Both seats of game {game_id} are saved on this machine" in result.output
    assert "--mark x or --mark o" in result.output


def test_resume_never_takes_a_seat_another_xo_plays(isolated: Path) -> None:
    """A seat claimed by another process (its lock held) is not taken: exit 2, a sentence."""
    import subprocess
    import sys

    game_id = "G" * 22
    savefile.save(savefile.SavedGame("ws://127.0.0.1:9/x", game_id, "T" * 22, Mark.X), isolated)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from client import savefile; from game.rules import Mark; "
            f"s = savefile.Seat({game_id!r}, Mark.X, __import__('pathlib').Path({str(isolated)!r})); "
            "print(s.claim(), flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        result = runner.invoke(app, ["resume"])
        assert result.exit_code == 2
        assert "is being played by another xo on this machine" in result.output
        assert savefile.load(game_id, Mark.X, isolated) is not None
    finally:
        holder.kill()
        holder.wait(5)


def test_games_lists_and_forgets(isolated: Path) -> None:
    """`xo games` lists id, mark, moves, server and status; --forget-finished removes over and
    unreachable-for-good games; --forget removes by id."""
    live = savefile.SavedGame("ws://127.0.0.1:9/local", "A" * 22, "T" * 22, Mark.X)
    over = savefile.SavedGame(
        "ws://127.0.0.1:9/local",
        "B" * 22,
        "T" * 22,
        Mark.O,
        board=Game.from_moves(["0,0", "1,0", "0,1", "1,1", "0,2"]).board,
    )
    for game in (live, over):
        savefile.save(game, isolated)
    listing = runner.invoke(app, ["games"])
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split() == ["GAME", "ID", "MARK", "MOVES", "SERVER", "STATUS"]
    assert any(line.startswith("A" * 22) and "server gone" in line for line in lines)
    assert any(line.startswith("B" * 22) and " 5 " in line and "over" in line for line in lines)
    forgot = runner.invoke(app, ["games", "--forget-finished"])
    assert forgot.exit_code == 0
    assert savefile.saved_games(isolated) == []
    savefile.save(live, isolated)
    assert runner.invoke(app, ["games", "--forget", "A" * 22]).exit_code == 0
    assert savefile.saved_games(isolated) == []
    missing = runner.invoke(app, ["games", "--forget", "A" * 22])
    assert missing.exit_code == 2 and "There is no saved game" in missing.output


def test_resume_with_a_wrong_token_forgets_the_game(
    threaded: tuple[FakeServer, ThreadedFakeServer], isolated: Path
) -> None:
    """The server does not know the token: exit 1 with its sentence; the useless file is removed."""
    fake, holder = threaded
    game = holder.run(fake.bot_game)
    savefile.save(savefile.SavedGame(fake.url, game.id, "W" * 22, Mark.O), isolated)
    result = runner.invoke(app, ["resume", "--id", game.id])
    assert result.exit_code == 1
    assert "That token does not belong to a player of this game." in result.output
    assert list(isolated.glob("*.json")) == []


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


GAME_ID = "G" * 22
GAME_COMMANDS = {
    "new": ["new", "--url", "ws://127.0.0.1:9/x"],
    "join": ["join", f"ws://127.0.0.1:9/x#{GAME_ID}"],
    "play": ["play", "--url", "ws://127.0.0.1:9/x"],
    "resume": ["resume", "--id", GAME_ID],
}


def game_started(
    command: str, given: list[str], state: Path, monkeypatch: pytest.MonkeyPatch
) -> Runner:
    """The game `xo COMMAND GIVEN...` starts (not run), with a seat saved for `xo resume`."""
    savefile.save(savefile.SavedGame("ws://127.0.0.1:9/x", GAME_ID, "T" * 22, Mark.X), state)
    started: list[Runner] = []
    monkeypatch.setattr(app_module, "_play", started.append)
    result = runner.invoke(app, [*GAME_COMMANDS[command], *given])
    assert result.exit_code == 0, result.output
    [game] = started
    return game


@pytest.mark.parametrize("command", GAME_COMMANDS)
def test_every_game_command_hands_its_options_to_the_game(
    command: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """new, join, play and resume take the same options, and the game runs with them."""
    given = ["--moves", "1,1", "--opponent-timeout", "7", "--retries", "2", "--keepalive", "30"]
    game = game_started(
        command, [*given, "--answer-timeout", "4", "--rematch"], isolated, monkeypatch
    )
    options = game.options
    assert (options.opponent_timeout, options.retries, options.keepalive) == (7, 2, 30)
    assert (options.answer_timeout, options.rematch) == (4, True)
    assert asyncio.run(game.moves.next()) == Move("1,1", True)


@pytest.mark.parametrize("command", GAME_COMMANDS)
def test_every_game_command_defaults_to_the_runners_defaults(
    command: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without options, a game runs with `Options()`'s knobs (the one source of defaults)."""
    assert game_started(command, [], isolated, monkeypatch).options == Options()


@pytest.mark.parametrize("then_nothing_listens", [False, True], ids=["410-410", "410-refused"])
def test_a_server_shutting_down_ends_the_game_as_gone(
    then_nothing_listens: bool,
    threaded: tuple[FakeServer, ThreadedFakeServer],
    isolated: Path,
) -> None:
    """The host's server stops mid-game: o's reconnects are answered 410 Gone while it runs its
    `$disconnect` handlers (the local emulator), then nothing listens. Both count as the server
    being gone: exit 4, "cannot continue", no resume line, the save removed."""
    fake, holder = threaded
    fake.bot_mark = Mark.X
    fake.bot_moves = ["0,0", "0,1"]
    fake.on_bot_turn = lambda game: game.game.moves == 0  # x's second move never comes
    game = holder.run(fake.bot_game)

    def server_stops(g: object, mark: Mark, index: int) -> str:
        fake.refuse_with = 410
        fake.close_after_refusing = then_nothing_listens
        return "drop_after"  # o's move is played, then its connection closes

    fake.play_hook = server_stops  # type: ignore[assignment]
    result = runner.invoke(app, ["join", f"{fake.url}#{game.id}", "--retries", "2"], input="1,1\n")
    assert result.exit_code == ExitCode.OPPONENT_GONE, result.output
    assert "the server is shutting down (HTTP 410)" in result.output
    assert "no WebSocket API at that path" not in result.output
    gone = result.output.rstrip().splitlines()[-1]
    assert "is gone (it refused all 2 reconnection attempts), so this game cannot continue" in gone
    assert list(isolated.glob("*.json")) == []
