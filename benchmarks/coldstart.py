"""Cold start: each handler module's import time in a fresh interpreter, with and without
boto3, and the size of the Lambda deployment archive.

Each probe is a new `python -c` that times, from inside the interpreter (its own start-up
left out, as Lambda's runtime is started before the init phase it bills): importing the
handler module (the handlers import boto3 only on first use), then `import boto3`, then
creating the two clients the handlers use (DynamoDB and `apigatewaymanagementapi`). The
figure is the median over several probes, after one untimed probe that warms the file
cache and writes the `.pyc` files.

`python -m benchmarks.coldstart [--quick]` runs this section alone.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import zipfile
from typing import Any

from benchmarks.procs import ROOT
from functions.routes import ROUTES

RUNS = 9
QUICK_RUNS = 3
SMOKE_RUNS = 1

_PROBE = """
import time
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
import boto3
t2 = time.perf_counter()
boto3.client("dynamodb", region_name="us-east-1")
boto3.client("apigatewaymanagementapi", region_name="us-east-1", endpoint_url="https://example.com/x")
t3 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t0) * 1000, (t3 - t0) * 1000)
"""


def _probe(module: str) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    return [float(value) for value in out]


def import_ms(module: str, runs: int, warm_up: bool = True) -> dict[str, float]:
    if warm_up:  # the first interpreter pages the files in
        _probe(module)
    samples = [_probe(module) for _ in range(runs)]
    return {
        "without_boto3_ms": round(statistics.median(s[0] for s in samples), 1),
        "with_boto3_import_ms": round(statistics.median(s[1] for s in samples), 1),
        "with_boto3_and_clients_ms": round(statistics.median(s[2] for s in samples), 1),
        "without_boto3_max_ms": round(max(s[0] for s in samples), 1),
    }


def archive_bytes() -> tuple[int, int]:
    """(zip size in bytes, file count) of the archive the Pulumi program deploys."""
    from infra.archive import lambda_source_files

    files = lambda_source_files(ROOT)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            archive.write(ROOT / name, name)
    return len(buffer.getvalue()), len(files)


def measure(quick: bool = False, smoke: bool = False) -> dict[str, Any]:
    runs = SMOKE_RUNS if smoke else QUICK_RUNS if quick else RUNS
    handlers = {}
    for route in ROUTES:
        module = route.handler.rpartition(".")[0]
        handlers[route.key] = {"module": module, **import_ms(module, runs, warm_up=not smoke)}
    size, count = archive_bytes()
    return {
        "runs_per_module": runs,
        "handlers": handlers,
        "archive_bytes": size,
        "archive_files": count,
    }


def render(result: dict[str, Any]) -> str:
    from benchmarks.report import ms, table

    rows = [
        [
            route,
            h["module"],
            ms(h["without_boto3_ms"]),
            ms(h["without_boto3_max_ms"]),
            ms(h["with_boto3_import_ms"]),
            ms(h["with_boto3_and_clients_ms"]),
        ]
        for route, h in result["handlers"].items()
    ]
    text = table(
        ["route", "module", "import (no boto3)", "max", "+ import boto3", "+ 2 clients"], rows
    )
    text += (
        f"\nmedian of {result['runs_per_module']} fresh interpreters per module (`python -c`, start-up excluded)"
        f"\ndeployment archive (functions/ + game/, zip deflate): {result['archive_bytes']:,} bytes"
        f" ({result['archive_bytes'] / 1024:.1f} KB), {result['archive_files']} files"
    )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Handler import times and the deployment archive's size."
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(render(measure(args.quick)))


if __name__ == "__main__":
    main()
