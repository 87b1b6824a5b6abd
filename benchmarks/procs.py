"""The emulator as a user starts it (`xo local`, one command, in a child process), and
what it costs the machine: resident memory and CPU time of that process and every
process it started (handler workers, the embedded DynamoDB), read from /proc.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


def raise_fd_limit() -> int:
    """Raise this process's soft limit on open files to the hard limit; returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 16
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return text[text.rindex(")") + 2 :].split()


def descendants(root: int) -> list[int]:
    """`root` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and its descendants (shared pages counted once per process)."""
    return sum(rss_bytes(pid) for pid in descendants(root))


def tree_rss_by_role(root: int) -> dict[str, Any]:
    """Resident memory of `root`'s tree by role: the emulator itself, the embedded DynamoDB,
    the handler workers (and how many there are), anything else."""
    roles: dict[str, Any] = {
        "emulator": 0,
        "dynamodb": 0,
        "workers": 0,
        "worker_count": 0,
        "other": 0,
    }
    for pid in descendants(root):
        command = " ".join(cmdline(pid))
        rss = rss_bytes(pid)
        if pid == root:
            roles["emulator"] += rss
        elif "emulator.dynamodb_server" in command:
            roles["dynamodb"] += rss
        elif "emulator.worker" in command:
            roles["workers"] += rss
            roles["worker_count"] += 1
        else:
            roles["other"] += rss
    return roles


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU time consumed so far by `root` and its live descendants."""
    total = 0
    for pid in descendants(root):
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    except OSError:
        return {}
    return dict(item.partition("=")[::2] for item in raw.split("\0") if "=" in item)


def xo_local_command() -> list[str]:
    """`xo local --port 0`: the venv's `xo` script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("xo")
    if script.exists():
        return [str(script), "local", "--port", "0"]
    found = shutil.which("xo")
    if found:
        return [found, "local", "--port", "0"]
    return [sys.executable, "-c", "from client.app import main; main()", "local", "--port", "0"]


class LocalServer:
    """`xo local --port 0` in a child process: its URL (first stdout line), memory, CPU, log."""

    def __init__(self, log_path: Path | None = None) -> None:
        self.command = xo_local_command()
        self._log_dir = (
            None if log_path is not None else tempfile.TemporaryDirectory(prefix="xo-bench-")
        )
        self.log_path = log_path or Path(self._log_dir.name) / "xo-local.log"  # type: ignore[union-attr]
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.started_s = 0.0

    def start(self, timeout: float = 60.0) -> str:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop(), it outlives this call
        began = time.perf_counter()
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        os.set_blocking(self.process.stdout.fileno(), False)
        line = b""
        while not line.endswith(b"\n"):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"`{' '.join(self.command)}` exited with {self.process.returncode}; log {self.log_path}"
                )
            if time.perf_counter() - began > timeout:
                self.stop()
                raise RuntimeError(f"`{' '.join(self.command)}` printed no URL in {timeout} s")
            chunk = self.process.stdout.read(4096)
            if chunk:
                line += chunk
            else:
                time.sleep(0.01)
        self.url = line.decode().splitlines()[0].strip()
        self.started_s = time.perf_counter() - began
        return self.url

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_bytes(self) -> int:
        return tree_rss_bytes(self.pid)

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pid)

    def rss_by_role(self) -> dict[str, Any]:
        return tree_rss_by_role(self.pid)

    def processes(self) -> int:
        return len(descendants(self.pid))

    def handler_environment(self) -> dict[str, str]:
        """The environment of a running handler worker (they start on first use)."""
        for pid in descendants(self.pid):
            if "emulator.worker" in cmdline(pid):
                env = environ(pid)
                if env:
                    return env
        return {}

    def wait_idle(
        self, cpu_share: float = 0.05, window: float = 0.5, timeout: float = 60.0
    ) -> float:
        """Wait until the emulator's processes use under `cpu_share` of one core over
        `window` seconds (queued `$disconnect` invocations done, say); returns seconds waited."""
        began = time.perf_counter()
        last = self.cpu_seconds()
        while time.perf_counter() - began < timeout:
            time.sleep(window)
            now = self.cpu_seconds()
            if now - last < cpu_share * window:
                break
            last = now
        return time.perf_counter() - began

    def stop(self) -> int | None:
        """SIGINT (what Ctrl-C sends; the emulator closes connections and workers), then SIGKILL
        to the whole process group if it lingers."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            try:
                process.send_signal(signal.SIGINT)
                process.wait(20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(5)
        try:  # anything of its group left behind (orphaned workers): ours, by group id
            os.killpg(process.pid, 0)
        except (ProcessLookupError, PermissionError):
            pass
        else:
            os.killpg(process.pid, signal.SIGKILL)
        if process.stdout is not None:
            process.stdout.close()
        if self._log is not None:
            self._log.close()
        return process.returncode

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
