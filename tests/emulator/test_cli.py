"""``python -m emulator`` as a user runs it from a shell: its help, and what it gives
other processes."""

from __future__ import annotations

import inspect
import re
import resource
import subprocess
import sys
from pathlib import Path

from emulator import Emulator
from emulator.__main__ import LIMITS
from emulator.listener import DEFAULT_MAX_CONNECTIONS, default_max_connections

ROOT = Path(__file__).resolve().parents[2]


def help_text(descriptors: int | None = None) -> str:
    """What ``python -m emulator --help`` prints (in a process allowed ``descriptors`` files)."""

    def limit() -> None:
        if descriptors is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

    run = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        preexec_fn=limit,
    )
    return run.stdout


def flag_line(text: str, option: str) -> str:
    """The help of ``option``'s flag (however argparse wrapped it), on one line."""
    flag = "--" + option.replace("_", "-")
    entries = re.split(r"\n(?=  -)", text)
    found = [" ".join(e.split()) for e in entries if e.strip().startswith(flag + " ")]
    assert len(found) == 1, f"{flag} not in --help:\n{text}"
    return found[0]


def test_help_shows_each_limit_with_the_emulators_default() -> None:
    text = help_text()
    defaults = inspect.signature(Emulator).parameters
    for option in LIMITS:
        if option == "max_connections":
            continue
        assert f"(default {defaults[option].default})" in flag_line(text, option)


def test_help_shows_the_connection_cap_this_machine_gets() -> None:
    line = flag_line(help_text(), "max_connections")
    assert f"(default {DEFAULT_MAX_CONNECTIONS}, fewer under a low file descriptor limit" in line
    here = re.search(r"(\d+) here\)", line)
    assert here is not None, line
    assert int(here.group(1)) == default_max_connections()


def test_help_shows_a_lower_cap_under_a_low_file_descriptor_limit() -> None:
    line = flag_line(help_text(descriptors=512), "max_connections")
    assert line.endswith(": 384 here)"), line


def test_help_has_a_flag_for_lambda_concurrency() -> None:
    text = help_text()
    assert "(default 8)" in flag_line(text, "max_workers_per_function")
    assert "(default 0)" in flag_line(text, "provisioned_concurrency")
