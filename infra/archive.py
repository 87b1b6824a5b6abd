"""The Lambda deployment archive: the handler code git tracks, and nothing else.

Every xo function runs from the same archive: the `.py` files of `functions/`
and of `game/` (which the handlers import), at their repository-relative paths,
so that a handler named `functions.play.handler` imports as it does locally.
Only files git tracks go in (with their working-tree content), so a scratch or
stray `.py` that was never added is never deployed; outside a git checkout the
archive is refused. Tests, the client, the emulator, this package, virtual
environments and `__pycache__` stay out. boto3 is not packaged: the Lambda Python
runtime has it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

import pulumi

LAMBDA_PACKAGES = ("functions", "game")
"""Top-level packages, relative to the repository root, that Lambda needs."""
GIT_TIMEOUT_SECONDS = 30.0


class ArchiveError(RuntimeError):
    """The archive cannot be built; the message says why and what to do, in a sentence."""


def lambda_source_files(root: Path, packages: tuple[str, ...] = LAMBDA_PACKAGES) -> list[str]:
    """Repository-relative POSIX paths of the `.py` files git tracks under `packages`, sorted.

    Asks git when called (so newly added modules are picked up); leaves out files
    under `__pycache__` and tracked files deleted from the working tree. Raises
    `ArchiveError` when `root` is not a git checkout (or git is missing) and when a
    package has no tracked file, since an archive without it could not run.
    """
    tracked = _git_tracked(root, packages)
    files: list[str] = []
    for package in packages:
        found = [
            name
            for name in tracked
            if PurePosixPath(name).parts[0] == package
            and name.endswith(".py")
            and "__pycache__" not in PurePosixPath(name).parts
            and (root / name).is_file()
        ]
        if not found:
            raise ArchiveError(
                f"No .py file under {package}/ is tracked by git in {root}: the Lambda "
                "archive holds only tracked files, and the handlers need that package."
            )
        files.extend(found)
    return sorted(files)


def _git_tracked(root: Path, packages: tuple[str, ...]) -> list[str]:
    """Paths (relative to `root`, POSIX) of the files git tracks under `packages`."""
    command = ["git", "-C", str(root), "ls-files", "-z", "--cached", "--"]
    try:
        done = subprocess.run(
            [*command, *packages],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise ArchiveError(
            "git is not installed: the Lambda archive is built from the files git tracks, "
            "so that an untracked file is never deployed; install git and deploy from a clone."
        ) from None
    except subprocess.TimeoutExpired:
        raise ArchiveError(
            f"git did not list the tracked files of {root} within {GIT_TIMEOUT_SECONDS:g} s."
        ) from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no reason given"])[0]
        raise ArchiveError(
            f"{root} is not a git checkout ({reason}): the Lambda archive is built from the "
            "files git tracks, so that an untracked file is never deployed; deploy from a "
            "clone of the repository."
        )
    return [name for name in done.stdout.split("\0") if name]  # relative to root, as run there


def lambda_archive(root: Path) -> pulumi.AssetArchive:
    """An archive of `lambda_source_files(root)`, each at its repository-relative path."""
    return pulumi.AssetArchive(
        {name: pulumi.FileAsset(str(root / name)) for name in lambda_source_files(root)}
    )
