"""The Lambda deployment archive: the handler code and nothing else.

Every xo function runs from the same archive: the `.py` files of `functions/`
and of `game/` (which the handlers import), at their repository-relative paths,
so that a handler named `functions.play.handler` imports as it does locally.
Tests, the client, the emulator, this package, virtual environments and
`__pycache__` stay out. boto3 is not packaged: the Lambda Python runtime has it.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

LAMBDA_PACKAGES = ("functions", "game")
"""Top-level packages, relative to the repository root, that Lambda needs."""


def lambda_source_files(root: Path, packages: tuple[str, ...] = LAMBDA_PACKAGES) -> list[str]:
    """Repository-relative POSIX paths of the `.py` files under `packages`, sorted.

    Looks at the files on disk when called (so new modules are picked up) and
    skips anything under a `__pycache__` directory. Raises `FileNotFoundError`
    if a package directory is missing, since an archive without it could not run.
    """
    files: list[str] = []
    for package in packages:
        directory = root / package
        if not directory.is_dir():
            raise FileNotFoundError(f"Lambda package directory {directory} does not exist")
        for path in directory.rglob("*.py"):
            relative = path.relative_to(root)
            if "__pycache__" not in relative.parts and path.is_file():
                files.append(relative.as_posix())
    return sorted(files)


def lambda_archive(root: Path) -> pulumi.AssetArchive:
    """An archive of `lambda_source_files(root)`, each at its repository-relative path."""
    return pulumi.AssetArchive(
        {name: pulumi.FileAsset(str(root / name)) for name in lambda_source_files(root)}
    )
