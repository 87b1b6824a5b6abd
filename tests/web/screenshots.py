"""Screenshots the browser tests save: under `tests/web/artifacts/` (or `XO_WEB_ARTIFACTS`),
listed at the end of the run by `tests/web/conftest.py`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ARTIFACTS = Path(os.environ.get("XO_WEB_ARTIFACTS", Path(__file__).resolve().parent / "artifacts"))
SAVED: list[Path] = []
"""Screenshots saved in this run, for the summary."""


def save_screenshot(page: Any, name: str) -> Path:
    """Save `page` as ARTIFACTS/name.png (the whole page) and note it for the run's summary."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SAVED.append(path)
    return path
