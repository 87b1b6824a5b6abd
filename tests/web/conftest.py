"""Fixtures for the page's tests: `xo web` serving it, and Debian's Chromium driven by Playwright.

Browser tests need a Chromium executable: `XO_CHROMIUM`, else `chromium` (Debian's package) or
`chromium-browser` on PATH. Where there is none they are skipped with one reason, unless
`XO_REQUIRE_CHROMIUM=1` (set by `.ci/run`) turns that into a failure. Playwright's own browser
download is never used.

Each browser test saves screenshots of its final boards (`tests.web.screenshots`); the run's
summary lists their paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.screenshots import SAVED
from tests.web.servers import WebServer, start_xo_web


@pytest.fixture(scope="session")
def xo_web() -> Iterator[WebServer]:
    """One `xo web` for the page's tests (each game is a new game on it)."""
    server = start_xo_web()
    yield server
    server.command.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SAVED:
        terminalreporter.section("browser screenshots")
        for path in SAVED:
            terminalreporter.write_line(str(path))
