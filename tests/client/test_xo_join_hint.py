"""The command another terminal runs is written the same way by `xo new` and `xo web`:
bare `xo` when that is on PATH, else this program's full path (`.venv/bin/xo`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from client import web
from client.app import app
from client.share import this_command


@pytest.fixture
def venv_xo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """xo run as `.venv/bin/xo`, with no xo on PATH (the README's play install)."""
    program = tmp_path / ".venv" / "bin" / "xo"
    monkeypatch.setattr(sys, "argv", [str(program)])
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)
    return program


def test_this_command_is_the_full_path_when_xo_is_not_on_path(venv_xo: Path) -> None:
    assert this_command() == str(venv_xo)


def test_this_command_is_bare_xo_when_that_is_the_one_on_path(
    venv_xo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: str(venv_xo))
    assert this_command() == "xo"


def test_xo_web_prints_the_join_hint_with_the_full_path(
    venv_xo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_web(host: str, port: int, ready: Callable[[str, str], None]) -> None:
        ready("http://127.0.0.1:8000/", "ws://127.0.0.1:9000/local")

    monkeypatch.setattr(web, "run_web", run_web)
    result = CliRunner().invoke(app, ["web"])
    assert result.exit_code == 0, result.output
    assert f"{venv_xo} join ws://127.0.0.1:9000/local#GAME_ID" in result.output
    assert "`xo join" not in result.output
