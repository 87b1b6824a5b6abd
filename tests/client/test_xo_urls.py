"""Server URL resolution and the resume file."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from client import savefile, urls
from game.rules import Mark

WS = "wss://abc.execute-api.eu-west-1.amazonaws.com/prod"


def never() -> str | None:
    raise AssertionError("pulumi should not be asked")


def test_explicit_url_wins() -> None:
    """--url beats the environment and Pulumi."""
    resolved = urls.resolve_url(
        "ws://127.0.0.1:1/local", environ={"WEBSOCKET_URL": WS}, pulumi=never
    )
    assert resolved == urls.ResolvedUrl("ws://127.0.0.1:1/local", "--url")


def test_environment_beats_pulumi() -> None:
    assert urls.resolve_url(None, environ={"WEBSOCKET_URL": WS}, pulumi=never) == urls.ResolvedUrl(
        WS, "WEBSOCKET_URL"
    )


def test_pulumi_then_nothing() -> None:
    """Pulumi's answer when there is one; None (run the emulator) when not."""
    assert urls.resolve_url(None, environ={}, pulumi=lambda: WS) == urls.ResolvedUrl(WS, "pulumi")
    assert urls.resolve_url(None, environ={}, pulumi=lambda: None) is None


def test_bad_urls_are_refused() -> None:
    """http:// or junk is a usage error, not a connection attempt."""
    for bad in ["http://x", "x", "ws://"]:
        with pytest.raises(ValueError, match="is not a WebSocket URL"):
            urls.check_url(bad)


def test_pulumi_runs_with_a_timeout_in_the_project(tmp_path: Path) -> None:
    """`pulumi stack output websocketUrl` runs in the project dir, with a timeout and no stdin."""
    (tmp_path / "Pulumi.yaml").write_text("name: xo\n")
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    calls: list[tuple[list[str], dict]] = []

    def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append((args, kwargs))
        return subprocess.CompletedProcess(args, 0, stdout=WS + "\n", stderr="")

    assert urls.pulumi_url(cwd=inner, which=lambda name: "/bin/pulumi", run=run) == WS
    args, kwargs = calls[0]
    assert args[:4] == ["/bin/pulumi", "stack", "output", "websocketUrl"]
    assert kwargs["cwd"] == tmp_path and kwargs["timeout"] == urls.PULUMI_TIMEOUT_SECONDS


@pytest.mark.parametrize(
    "outcome",
    [
        subprocess.TimeoutExpired(["pulumi"], 5),
        OSError("exec format error"),
        subprocess.CompletedProcess(["pulumi"], 255, stdout="", stderr="error: no stack selected"),
        subprocess.CompletedProcess(["pulumi"], 0, stdout="not a url\n", stderr=""),
    ],
)
def test_pulumi_failures_are_silent(tmp_path: Path, outcome: object) -> None:
    """A slow, broken or stackless Pulumi means "no URL", never an error."""
    (tmp_path / "Pulumi.yaml").write_text("name: xo\n")

    def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome  # type: ignore[return-value]

    assert urls.pulumi_url(cwd=tmp_path, which=lambda name: "/bin/pulumi", run=run) is None


def test_no_pulumi_cli_or_project_means_no_call(tmp_path: Path) -> None:
    """Without the CLI, or without a Pulumi.yaml anywhere, nothing runs."""
    assert urls.pulumi_url(cwd=tmp_path, which=lambda name: None, run=never) is None  # type: ignore[arg-type]
    assert urls.pulumi_project_dir(tmp_path, repo_root=tmp_path / "nowhere") is None


# ---- the resume file -----------------------------------------------------------------------

GAME = savefile.SavedGame("ws://127.0.0.1:1/local", "G" * 22, "T" * 22, Mark.O, saved_at=10.0)


def test_state_dir_by_platform() -> None:
    """XO_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state; macOS and Windows equivalents."""
    assert savefile.state_dir({"XO_STATE_DIR": "/s", "HOME": "/h"}, "linux") == Path("/s")
    assert savefile.state_dir({"XDG_STATE_HOME": "/x", "HOME": "/h"}, "linux") == Path("/x/xo")
    assert savefile.state_dir({"XDG_STATE_HOME": "rel", "HOME": "/h"}, "linux") == Path(
        "/h/.local/state/xo"
    )
    assert savefile.state_dir({"HOME": "/h"}, "darwin") == Path("/h/Library/Application Support/xo")
    assert savefile.state_dir({"HOME": "/h", "LOCALAPPDATA": "C:/L"}, "win32") == Path("C:/L/xo")


def test_save_load_delete(tmp_path: Path) -> None:
    """One JSON file per seat (game id and mark), owner-only, gone after delete."""
    path = savefile.save(GAME, tmp_path)
    assert path == tmp_path / f"{GAME.id}.o.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "url": GAME.url,
        "id": GAME.id,
        "token": GAME.token,
        "mark": "o",
        "saved_at": 10.0,
        "board": [" "] * 9,
    }
    assert savefile.load(GAME.id, Mark.O, tmp_path) == GAME
    assert savefile.load(GAME.id, Mark.X, tmp_path) is None
    savefile.delete(GAME.id, Mark.O, tmp_path)
    assert savefile.load(GAME.id, Mark.O, tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_saved_games_most_recent_first_skipping_junk(tmp_path: Path) -> None:
    """Saves, most recent first; unreadable files are ignored."""
    savefile.save(GAME, tmp_path)
    newer = savefile.SavedGame(GAME.url, "H" * 22, "T" * 22, Mark.X, saved_at=20.0)
    savefile.save(newer, tmp_path)
    (tmp_path / "junk.json").write_text("{")
    assert savefile.saved_games(tmp_path) == [newer, GAME]
    assert savefile.saved_games(tmp_path / "none") == []


def test_a_seat_is_claimed_by_one_process(tmp_path: Path) -> None:
    """The seat lock: claimed once; released, it can be claimed again."""
    seat = savefile.Seat(GAME.id, Mark.O, tmp_path)
    assert seat.claim()
    assert not seat.held_elsewhere()
    seat.release()
    assert not savefile.Seat(GAME.id, Mark.O, tmp_path).held_elsewhere()


def test_ids_are_checked(tmp_path: Path) -> None:
    """A game id that is not one cannot name a path."""
    assert savefile.load("../../etc/passwd", Mark.X, tmp_path) is None
    with pytest.raises(ValueError):
        savefile.save(savefile.SavedGame("ws://h/x", "../x", "t", Mark.X), tmp_path)
