"""`xo local --stack` and `python -m emulator --stack` after the play install (no pulumi):
one line naming the install that brings it, exit 2, no traceback."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from client.app import app
from emulator.__main__ import main as emulator_main

INSTALL = ".venv/bin/pip install -c constraints.txt -e '.[deploy]'"


@pytest.fixture
def no_pulumi(monkeypatch: pytest.MonkeyPatch) -> None:
    """`import pulumi` fails, as after `pip install -e .` (None in sys.modules blocks it)."""
    for name in [name for name in sys.modules if name == "pulumi" or name.startswith("pulumi.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pulumi", None)


@pytest.mark.usefixtures("no_pulumi")
def test_xo_local_stack_names_the_install() -> None:
    result = CliRunner().invoke(app, ["local", "--stack"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert len(lines) == 1 and INSTALL in lines[0], lines
    assert "pulumi" in lines[0] and "Traceback" not in result.output


@pytest.mark.usefixtures("no_pulumi")
def test_python_m_emulator_stack_names_the_install(capsys: pytest.CaptureFixture[str]) -> None:
    assert emulator_main(["--stack", ".", "--stack-name", "dev", "--quiet"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and INSTALL in lines[0], lines
    assert captured.out == ""
