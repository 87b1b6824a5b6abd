"""`ThreadedEmulator`: an emulator serving from a thread of its own, for code that blocks."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from .metering import Metrics
from .sigv4 import Credentials

if TYPE_CHECKING:
    from .server import Emulator


class ThreadedEmulator:
    """An emulator serving from a daemon thread: ``url``, ``management_url``,
    ``connection_ids``, ``metrics``, ``stop()``. Test code may block freely (boto3 calls,
    sleeps): the emulator's event loop runs on its own thread."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._main, name="emulator", daemon=True)

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            await self.emulator.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self.emulator.serve_forever()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    @property
    def url(self) -> str:
        return self.emulator.url

    @property
    def management_url(self) -> str:
        return self.emulator.management_url

    @property
    def credentials(self) -> Credentials:
        """See `Emulator.credentials`."""
        return self.emulator.credentials

    @property
    def connection_ids(self) -> list[str]:
        """Ids of the connections open now (read on the emulator's thread)."""
        assert self._loop is not None

        async def ids() -> list[str]:
            return self.emulator.connection_ids

        return asyncio.run_coroutine_threadsafe(ids(), self._loop).result()

    @property
    def metrics(self) -> Metrics:
        assert self._loop is not None

        async def snapshot() -> Metrics:
            return self.emulator.metrics

        return asyncio.run_coroutine_threadsafe(snapshot(), self._loop).result()

    def stop(self) -> None:
        """Stop serving (closing connections and workers) and wait for the thread."""
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.emulator.request_stop)
        self._thread.join()

    def __enter__(self) -> ThreadedEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
