"""A run's credentials and endpoints for other processes: an env file.

`@connections` and the embedded DynamoDB accept only requests signed with
credentials the run issued (`Emulator.credentials`). A process of its own (a web
backend, a script) gets them from the file ``python -m emulator --credentials-file
PATH`` writes once it listens: ``NAME=value`` lines, quoted only where the shell
needs it, that ``set -a; . PATH; set +a`` and python-dotenv both load, giving boto3
what it reads (the keys, ``AWS_REGION``, ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``,
``AWS_ENDPOINT_URL_DYNAMODB``, ``AWS_CA_BUNDLE``). The file is readable by its owner
alone and is removed when the emulator stops.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import Emulator

HEADER = "# python -m emulator: credentials and endpoints of the run serving "
"""The first line of every file written here (then the run's URL); a file without it is
not overwritten."""


class NotOurs(Exception):
    """The path holds a file this module did not write (it is left alone)."""


def caller_environment(
    emulator: Emulator, variables: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`Emulator.caller_environment` of the started ``emulator``, then ``variables``."""
    return {**emulator.caller_environment(), **(variables or {})}


def check_writable(path: Path) -> None:
    """Raise `NotOurs` or `OSError` now if `write` would fail at `path` later."""
    if not path.parent.is_dir():
        raise FileNotFoundError(f"no directory {path.parent}")
    if path.exists() and not _is_ours(path):
        raise NotOurs(f"{path} exists and was not written by python -m emulator")


def write(path: Path, url: str, variables: Mapping[str, str]) -> None:
    """Write `variables` to `path` (mode 0600, replacing a file written here before)."""
    check_writable(path)
    lines = [HEADER + url] + [f"{name}={shlex.quote(value)}" for name, value in variables.items()]
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write("\n".join(lines) + "\n")
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def remove(path: Path) -> None:
    """Remove the file `write` wrote at `path`, if it is still there."""
    if path.exists() and _is_ours(path):
        path.unlink(missing_ok=True)


def _is_ours(path: Path) -> bool:
    try:
        with path.open() as file:
            return file.readline().startswith(HEADER)
    except (OSError, UnicodeDecodeError):
        return False
