"""When the Pulumi stack cannot name the server, `xo` says why in one line before it falls back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from client import urls
from client.app import app


def fake_pulumi(tmp_path: Path, script: str) -> Path:
    """A `pulumi` executable running `script` (sh), and a project directory to run it in."""
    pulumi = tmp_path / "bin" / "pulumi"
    pulumi.parent.mkdir()
    pulumi.write_text(f"#!/bin/sh\n{script}\n")
    pulumi.chmod(0o755)
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: xo\nruntime: python\n")
    return project


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (
            "echo 'error: no stack selected; please use `pulumi stack select`' >&2\n"
            "echo 'second line of detail' >&2\nexit 255",
            "failed: error: no stack selected; please use `pulumi stack select`",
        ),
        ("exit 3", "failed with exit status 3"),
        ("echo 'not a url'", "printed 'not a url', which is not a WebSocket URL"),
        ("sleep 5", "did not answer within 0.5 s"),
    ],
    ids=["no-stack", "silent-failure", "bad-output", "too-slow"],
)
def test_each_pulumi_failure_is_one_line_that_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, reason: str
) -> None:
    project = fake_pulumi(tmp_path, script)
    said: list[str] = []
    url = urls.pulumi_url(
        cwd=project,
        which=lambda name: str(tmp_path / "bin" / "pulumi"),
        timeout=0.5,
        warn=said.append,
    )
    assert url is None
    assert said == [f"Not using the Pulumi stack: `pulumi stack output websocketUrl` {reason}."]


def test_a_pulumi_that_cannot_run_says_so(tmp_path: Path) -> None:
    project = fake_pulumi(tmp_path, "exit 0")
    said: list[str] = []

    def run(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        raise PermissionError("permission denied")

    urls.pulumi_url(cwd=project, which=lambda name: "/bin/pulumi", run=run, warn=said.append)
    assert said == [
        "Not using the Pulumi stack: `pulumi stack output websocketUrl` could not run "
        "(permission denied)."
    ]


def test_no_pulumi_cli_is_not_worth_a_word(tmp_path: Path) -> None:
    said: list[str] = []
    assert urls.pulumi_url(cwd=tmp_path, which=lambda name: None, warn=said.append) is None
    assert said == []


def test_xo_prints_the_reason_before_falling_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`xo join` with no URL: the reason on stderr, then the usage error it always gave."""
    project = fake_pulumi(
        tmp_path, "echo 'error: PULUMI_CONFIG_PASSPHRASE is not set' >&2; exit 255"
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.delenv(urls.ENV_VAR, raising=False)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["join", "--id", "5r0nCk3m3JQJm0bH3wIhVg"])
    assert result.exit_code == 2, result.output
    assert (
        "Not using the Pulumi stack: `pulumi stack output websocketUrl` failed: "
        "error: PULUMI_CONFIG_PASSPHRASE is not set.\n"
    ) in result.stderr
    assert "No server to join" in result.stderr
