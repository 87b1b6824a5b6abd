"""The README's worked example runs as the README shows it: ``python -m examples.chat``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_chat_example_with_an_authorizer() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "examples.chat"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("chat API on ws://127.0.0.1:")
    assert lines[1:] == [
        "Bob reads: ann: hello, Bob",
        "Ann reads: ann: hello, Bob",
        "a wrong token: 403",
        "no token: 401",
    ]
