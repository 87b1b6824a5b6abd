"""Commands the page's tests run: `xo web` serving the page, and `xo` players beside it."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

START_TIMEOUT_S = 60.0
"""Starting `xo web` (its emulator's DynamoDB first) on a loaded two-core machine."""


def xo_command() -> list[str]:
    """This environment's `xo` console script (or the same entry point through this Python)."""
    script = shutil.which("xo", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "from client.app import main; main()"]


@dataclass
class Command:
    """A running command whose output lines (stdout and stderr merged) are read in a thread."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: Queue[str | None] = field(default_factory=Queue)

    @classmethod
    def start(cls, *args: str, env: dict[str, str] | None = None) -> Command:
        process = subprocess.Popen(
            [*xo_command(), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        command = cls(process)
        threading.Thread(target=command._read, daemon=True).start()
        return command

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def line_matching(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first line (seen or still to come) that matches `pattern`."""
        for line in self.lines:
            if match := re.search(pattern, line):
                return match
        while True:
            try:
                line = self._queue.get(timeout=timeout)
            except Empty:
                raise AssertionError(
                    f"no line matching {pattern!r} within {timeout} s:\n" + self.text
                ) from None
            if line is None:
                raise AssertionError(f"the command ended without {pattern!r}:\n" + self.text)
            self.lines.append(line)
            if match := re.search(pattern, line):
                return match

    def finish(self, timeout: float) -> int:
        """Wait for the command to end by itself; its exit code."""
        code = self.process.wait(timeout)
        while (line := self._queue.get(timeout=timeout)) is not None:
            self.lines.append(line)
        return code

    def stop(self, timeout: float = 20.0) -> int:
        """Ctrl-C, then wait (kill after `timeout`)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self.process.returncode

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class WebServer:
    """A running `xo web`: the page's address and the WebSocket URL its config.json gives."""

    page_url: str
    websocket_url: str
    command: Command


def start_xo_web(*args: str) -> WebServer:
    """Start `xo web`, read the page's URL from its first line and the WebSocket URL from config.json."""
    command = Command.start("web", *args)
    try:
        first = command.line_matching(r".", START_TIMEOUT_S).string
        assert first.startswith("http://"), f"`xo web` printed first: {first!r}"
        with urllib.request.urlopen(first + "config.json", timeout=10) as response:
            config: dict[str, Any] = json.load(response)
    except BaseException:
        command.stop()
        raise
    return WebServer(first, config["websocketUrl"], command)
