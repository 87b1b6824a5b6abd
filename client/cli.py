"""The `xo` console script's entry point: loads the app, and leaves quietly when Ctrl-C
comes while it loads (the app handles Ctrl-C itself once loaded)."""

from __future__ import annotations

import sys


def main() -> None:
    """Run `xo`; Ctrl-C during start-up exits 130 with no traceback."""
    try:
        from client.app import main as run
    except KeyboardInterrupt:
        sys.exit(130)
    run()
