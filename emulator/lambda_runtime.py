"""What a packaged function can import: its own code, and what Lambda's Python runtime ships.

On Lambda a function imports from its task root (the extracted deployment
package) and from the runtime, which provides the standard library and the AWS
SDK (boto3 and its dependencies) and nothing else. A `Function` with a
``code_dir`` runs like that here: its worker process starts with ``python -S``
(no site-packages, so neither this repository's editable install nor anything
else installed in the emulator's environment) and imports from ``code_dir``
first, then from a directory this module builds holding only links to the SDK
packages below and to the emulator's worker (the runtime's own bootstrap).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

SDK_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
"""The modules Lambda's Python runtime provides besides the standard library."""

LAMBDA_PATH = "/usr/local/bin:/usr/bin:/bin"
"""`PATH` in a packaged function's environment."""


def build_runtime_dir(directory: Path) -> Path:
    """Fill `directory` with links to `SDK_MODULES` and the `emulator` package; returns it.

    Raises `ModuleNotFoundError` naming an SDK module this environment lacks.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for name in (*SDK_MODULES, "emulator"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"the Lambda runtime needs {name}, which is not installed")
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = directory / source.name
        if not link.exists():
            os.symlink(source, link)
    return directory


def lambda_environment(*, code_dir: str, runtime_dir: str) -> dict[str, str]:
    """The variables Lambda sets for every Python function that are not about the function itself."""
    return {
        "PATH": LAMBDA_PATH,
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": code_dir,
        "LAMBDA_RUNTIME_DIR": runtime_dir,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "PYTHONUNBUFFERED": "1",
    }
