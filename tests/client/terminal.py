"""`xo` in a pseudo-terminal, driven the way a person types (standard library `pty` only).

`Terminal.start(args, columns=...)` runs the command as the session leader of a new
pseudo-terminal of that width; `expect` waits (bounded) for a pattern in everything it has
written; `type` sends keys (`"\\r"` is Enter, `"\\x03"` Ctrl-C, `"\\x04"` Ctrl-D).

xo starts as its console script starts it (`from client.cli import main`, then `main()`),
and between the two writes one byte to a pipe of the test's: `loaded()` waits for it, the
moment xo's own code is running (before it, Python itself is starting).
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

XO = [sys.executable, "-c", "from client.cli import main; main()"]
REPO = Path(__file__).resolve().parents[2]


class Terminal:
    def __init__(self, process: subprocess.Popen[bytes], master: int, loaded: int) -> None:
        self.process = process
        self.master = master
        self._loaded = loaded
        self.output = ""
        self._seen = 0

    @classmethod
    def start(
        cls, args: list[str], env: dict[str, str], columns: int = 80, rows: int = 40
    ) -> Terminal:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        environ = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
        environ.setdefault("TERM", "xterm")

        def controlling_terminal() -> None:  # runs in the child, after setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        loaded, tell = os.pipe()
        announced = (
            f"from client.cli import main; import os; os.write({tell}, b'.'); os.close({tell}); "
            "main()"
        )
        process = subprocess.Popen(
            [sys.executable, "-c", announced, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environ,
            cwd=REPO,
            start_new_session=True,
            preexec_fn=controlling_terminal,
            pass_fds=(tell,),
        )
        os.close(slave)
        os.close(tell)
        return cls(process, master, loaded)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return False
        if not data:
            return False
        self.output += data.decode(errors="replace")
        return True

    def expect(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Wait for `pattern` in the output written since the last match; fail after `timeout`."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            match = regex.search(self.output, self._seen)
            if match:
                self._seen = match.end()
                return match
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.2)):
                match = regex.search(self.output, self._seen)
                if match:
                    self._seen = match.end()
                    return match
                raise AssertionError(f"no {pattern!r} within {timeout} s:\n{self.output}")

    def loaded(self, timeout: float = 30) -> None:
        """Wait until xo's code runs (`client.cli` is loaded); fail after `timeout`."""
        ready, _, _ = select.select([self._loaded], [], [], timeout)
        if not ready or os.read(self._loaded, 1) != b".":
            raise AssertionError(f"xo did not load within {timeout} s:\n{self.output}")

    def idle(self, seconds: float) -> str:
        """Everything written during the next `seconds`."""
        start = len(self.output)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and self._read(min(left, 0.2)):
            pass
        return self.output[start:]

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait(self, timeout: float = 30) -> int:
        """The exit code, reading the output meanwhile (a full terminal would block the child)."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"xo still running after {timeout} s:\n{self.output}")
            self._read(0.1)
        while self._read(0.05) and select.select([self.master], [], [], 0)[0]:
            pass
        return self.process.returncode

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        os.close(self.master)
        os.close(self._loaded)
