"""``python -m emulator`` as a process of its own, for the tests of its command line."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def emulator_process(
    *options: str, handler: str = "tests.emulator.parity_handlers.event"
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``python -m emulator`` on 127.0.0.1, a free port, serving ``handler`` (by default
    `parity_handlers.event`) two-way on `$default`, with ``options`` added: yields the process
    and its ``ws://`` URL; stops it with SIGTERM."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--route",
            f"$default={handler}",
            "--two-way",
            "$default",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--quiet",
            *options,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().decode().strip()
        assert url.startswith("ws://127.0.0.1:"), process.stderr.read().decode()  # type: ignore[union-attr]
        yield process, url
    finally:
        process.terminate()
        process.wait(60)
