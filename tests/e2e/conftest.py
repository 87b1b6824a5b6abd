"""End-to-end: the real handlers on the emulator (worker processes, embedded DynamoDB),
played by real `websockets` clients. One xo emulator serves the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from client.local import xo_emulator
from emulator.server import ThreadedEmulator


@pytest.fixture(scope="session")
def xo_server() -> Iterator[ThreadedEmulator]:
    server = xo_emulator(provisioned_concurrency=1, close_timeout=1).serve_in_thread()
    try:
        yield server
    finally:
        server.stop()
