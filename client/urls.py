"""Where the game server is: `--url`, else `WEBSOCKET_URL`, else the Pulumi stack, else nothing.

"Nothing" means the caller should run the local emulator itself (`xo new` does).
The Pulumi lookup runs `pulumi stack output websocketUrl` with a short timeout. With
no CLI or no project it stays silent; when the command fails (no stack selected, not
logged in, no passphrase, too slow, not a URL) it says why in one line on stderr and
the caller falls back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ENV_VAR = "WEBSOCKET_URL"
PULUMI_OUTPUT = "websocketUrl"
PULUMI_TIMEOUT_SECONDS = 5.0
REPO_ROOT = Path(__file__).resolve().parent.parent
"""The checkout this client runs from; its `Pulumi.yaml` (if any) names the stack."""


@dataclass(frozen=True)
class ResolvedUrl:
    url: str
    source: str
    """Where it came from: `--url`, `WEBSOCKET_URL` or `pulumi`."""


def check_url(url: str) -> str:
    """`url` stripped, if it is a `ws://` or `wss://` URL with a host. Raises ValueError otherwise."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(
            f"{url!r} is not a WebSocket URL: it should look like wss://HOST/STAGE or ws://127.0.0.1:PORT/local."
        )
    return url


def pulumi_project_dir(cwd: Path, repo_root: Path = REPO_ROOT) -> Path | None:
    """The directory to run `pulumi` in: the nearest one with a `Pulumi.yaml` from `cwd` up, else the repo root's."""
    for directory in (cwd, *cwd.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    if (repo_root / "Pulumi.yaml").is_file():
        return repo_root
    return None


def _say_on_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def pulumi_url(
    *,
    cwd: Path | None = None,
    which: Callable[[str], str | None] | None = None,
    run: Callable[..., subprocess.CompletedProcess[str]] | None = None,
    timeout: float = PULUMI_TIMEOUT_SECONDS,
    warn: Callable[[str], None] | None = None,
) -> str | None:
    """The stack's `websocketUrl` output, or None when there is no CLI, project, stack or answer in time.

    When the command runs and fails, `warn` gets one line saying why (nothing without `warn`).
    """
    which = which or shutil.which
    run = run or subprocess.run
    pulumi = which("pulumi")
    if pulumi is None:
        return None
    project = pulumi_project_dir(cwd or Path.cwd())
    if project is None:
        return None

    def failed(reason: str) -> None:
        if warn is not None:
            warn(f"Not using the Pulumi stack: `pulumi stack output {PULUMI_OUTPUT}` {reason}.")

    try:
        done = run(
            [pulumi, "stack", "output", PULUMI_OUTPUT, "--non-interactive"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        failed(f"did not answer within {timeout:g} s")
        return None
    except OSError as error:
        failed(f"could not run ({error.strerror or error})")
        return None
    except subprocess.SubprocessError as error:
        failed(f"could not run ({error})")
        return None
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr or "").splitlines() if line.strip()]
        failed(
            f"failed: {lines[0].rstrip('.')}"
            if lines
            else f"failed with exit status {done.returncode}"
        )
        return None
    try:
        return check_url(done.stdout)
    except ValueError:
        failed(f"printed {done.stdout.strip()[:80]!r}, which is not a WebSocket URL")
        return None


def resolve_url(
    explicit: str | None,
    *,
    environ: Mapping[str, str] | None = None,
    pulumi: Callable[[], str | None] | None = None,
) -> ResolvedUrl | None:
    """The server URL in order of precedence, or None when only the local emulator is left.

    An explicit or environment URL that is not a WebSocket URL raises ValueError (a usage
    error); a failed Pulumi lookup is said in one line on stderr, then ignored.
    """
    if explicit:
        return ResolvedUrl(check_url(explicit), "--url")
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return ResolvedUrl(check_url(env[ENV_VAR]), ENV_VAR)
    url = pulumi() if pulumi is not None else pulumi_url(warn=_say_on_stderr)
    if url:
        return ResolvedUrl(url, "pulumi")
    return None
