"""The floor's relay: a bare `websockets` server that forwards each frame from one client
to the other, with no handler and no database. Run as `python -m benchmarks.relay`
(in a process of its own, like the emulator); it prints its port on its first line."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from websockets.asyncio.server import serve


async def main() -> None:
    peers: list[Any] = []

    async def relay(connection: Any) -> None:
        peers.append(connection)
        try:
            async for frame in connection:
                for other in peers:
                    if other is not connection:
                        await other.send(frame)
        finally:
            peers.remove(connection)

    async with serve(relay, "127.0.0.1", 0, ping_interval=None) as server:
        sys.stdout.write(f"{server.sockets[0].getsockname()[1]}\n")
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until stdin closes


if __name__ == "__main__":
    asyncio.run(main())
