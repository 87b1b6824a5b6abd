"""The `xo` console script's entry point.

From the moment this module is loaded, a Ctrl-C ends xo quietly with exit 130
(`ExitCode.INTERRUPTED`), until `client.app.main` takes Ctrl-C over and handles it where
it matters. Loading it is the first thing xo does: a Ctrl-C before that lands while Python
itself starts (before a SIGINT handler exists the process is killed by the signal; while
the `site` module runs, CPython reports "Fatal Python error: init_import_site" with a
traceback), where no code of xo's can run.
"""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import NoReturn

INTERRUPTED = 130
"""`ExitCode.INTERRUPTED`, spelled here so that nothing is imported before the guard is on
(tests/client/test_xo_terminal.py checks that they agree)."""


def _leave_quietly(signum: int, frame: FrameType | None) -> NoReturn:
    """Exit at once. Not by raising (SystemExit, KeyboardInterrupt): a handler can run inside
    a callback whose exceptions Python only prints ("Exception ignored in", as importlib's
    module-lock callbacks do while modules load), and xo would carry on, its Ctrl-C lost.
    Nothing is lost by not unwinding: xo has written nothing and started nothing yet."""
    os._exit(INTERRUPTED)


def _guard_start_up() -> None:
    """Ctrl-C ends xo quietly while it starts, unless SIGINT is ignored (xo run in the
    background) or this is not the main thread (an import from elsewhere: left alone)."""
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _leave_quietly)
    except ValueError:  # not the main thread
        pass


_guard_start_up()


def main() -> None:
    """Run `xo`."""
    from client.app import main as run  # a Ctrl-C meanwhile: `_leave_quietly`

    run()
