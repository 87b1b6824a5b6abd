"""Cold start: each handler module's import time in a fresh interpreter, with and without
boto3, and the size of the Lambda deployment archive."""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from functions.routes import ROUTES

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7

_PROBE = """
import time
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
if {with_boto3}:
    import boto3
    boto3.client("dynamodb", region_name="us-east-1")
    boto3.client("apigatewaymanagementapi", region_name="us-east-1", endpoint_url="https://example.com/x")
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t0) * 1000)
"""


def _import_ms(module: str, with_boto3: bool) -> float:
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE.format(module=module, with_boto3=with_boto3)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout.split()
        samples.append(float(out[1] if with_boto3 else out[0]))
    return statistics.median(samples)


def archive_bytes() -> tuple[int, int]:
    """(zip size in bytes, file count) of the archive the Pulumi program deploys."""
    from infra.archive import lambda_source_files

    files = lambda_source_files(ROOT)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            archive.write(ROOT / name, name)
    return len(buffer.getvalue()), len(files)


def run() -> dict[str, Any]:
    handlers = {}
    for route in ROUTES:
        module = route.handler.rpartition(".")[0]
        handlers[route.key] = {
            "module": module,
            "import_ms_without_boto3": round(_import_ms(module, False), 1),
            "import_ms_with_boto3_and_clients": round(_import_ms(module, True), 1),
        }
    size, count = archive_bytes()
    return {"handlers": handlers, "archive_bytes": size, "archive_files": count}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
