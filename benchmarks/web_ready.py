"""The page's time to a playable board, against `xo web` (the local emulator), in headless Chromium.

    python -m benchmarks.web_ready [--loads N]

Each load opens the page in a fresh browser context (empty storage: a new game) and reads
the page's own performance marks, from the start of navigation: `xo-config-loaded`
(config.json read), `xo-connected` (WebSocket open) and `xo-board-ready` (the server's
`init` shown: the board is playable). The first load also pays the `start` function's
worker cold start; it is reported apart. Needs Playwright and Debian's chromium.

It also reports what a browser downloads: each of the page's files, as served and gzipped
(as a CDN that compresses sends it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.report import heading, ms, table
from benchmarks.stats import summary

ROOT = Path(__file__).resolve().parent.parent
MARKS = ("xo-config-loaded", "xo-connected", "xo-board-ready")


def page_bytes() -> dict[str, dict[str, int]]:
    """Each of the page's files (`client.page.page_files`): its bytes, and gzipped (level 9)."""
    from client.page import PAGE_DIR, page_files

    sizes: dict[str, dict[str, int]] = {}
    for name in page_files():
        data = (PAGE_DIR / name).read_bytes()
        sizes[name] = {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, mtime=0))}
    return sizes


def _xo_web() -> tuple[subprocess.Popen[str], str]:
    xo = shutil.which("xo", path=str(Path(sys.executable).parent)) or "xo"
    process = subprocess.Popen(
        [xo, "web"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise SystemExit(f"xo web printed {url!r}")
    return process, url


def measure(loads: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("XO_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Chromium: apt-get install chromium")
    process, url = _xo_web()
    samples: list[dict[str, float]] = []
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=["--disable-quic"])
            for _ in range(loads):
                context = browser.new_context()
                page = context.new_page()
                page.goto(url)
                page.locator("#board[data-phase='playing']").wait_for(timeout=30_000)
                marks = page.evaluate(
                    "(names) => Object.fromEntries(names.map("
                    "(n) => [n, performance.getEntriesByName(n)[0].startTime]))",
                    list(MARKS),
                )
                samples.append({name: float(value) for name, value in marks.items()})
                context.close()
            browser.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    warm = samples[1:]
    return {
        "page_url": url,
        "first_load": samples[0],
        "warm": {name: summary([s[name] for s in warm]) for name in MARKS},
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "page_bytes": page_bytes(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=11, help="page loads (the first is cold)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    started = time.monotonic()
    results = measure(max(2, options.loads))
    print(heading("web page: navigation start -> board ready, against xo web"))
    first = results["first_load"]
    rows = [["first load (cold start worker)", *(ms(first[name]) for name in MARKS)]]
    for stat in ("median_ms", "p90_ms", "max_ms"):
        label = f"warm loads, {stat.removesuffix('_ms')} of {results['warm'][MARKS[0]]['count']}"
        rows.append([label, *(ms(results["warm"][name][stat]) for name in MARKS)])
    print(table(["", "config.json read", "WebSocket open", "board ready"], rows))
    sizes = results["page_bytes"]
    size_rows = [[name, f"{s['bytes']:,}", f"{s['gzip_bytes']:,}"] for name, s in sizes.items()]
    size_rows.append(
        [
            "the page in all",
            f"{sum(s['bytes'] for s in sizes.values()):,}",
            f"{sum(s['gzip_bytes'] for s in sizes.values()):,}",
        ]
    )
    print(table(["file", "bytes", "gzipped"], size_rows))
    print(f"load average {results['load_average']}, {time.monotonic() - started:.0f} s in all")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
