"""The emulator as a server on a shared machine: silent and slow connections are closed,
open connections are capped with a clear refusal, running out of file descriptors stays
quiet, malformed lengths get a status, and binding beyond loopback says what is exposed.

Not AWS behaviour (API Gateway's front end is not ours to copy): the emulator's own
safety, from issue 10 item 7.
"""

from __future__ import annotations

import asyncio
import logging
import re
import resource
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from emulator import Emulator
from emulator.listener import Listener, is_loopback
from tests.emulator.test_emulator_parity import Recorder

EmulatorFactory = Callable[..., Awaitable[Emulator]]
ROOT = Path(__file__).resolve().parents[2]


async def _open(emu: Emulator) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", emu.port)


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sends until it closes; fails if it is still open after `seconds`."""
    return await asyncio.wait_for(reader.read(), seconds)


async def test_a_connection_that_sends_nothing_is_closed(apigw_emulator: EmulatorFactory) -> None:
    emu = await apigw_emulator({"$default": Recorder()}, request_timeout=1.0)
    reader, writer = await _open(emu)
    assert await _closed_within(reader, 30) == b""
    writer.close()


async def test_half_a_request_head_is_closed(apigw_emulator: EmulatorFactory) -> None:
    emu = await apigw_emulator({"$default": Recorder()}, request_timeout=1.0)
    reader, writer = await _open(emu)
    writer.write(b"GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs")
    assert await _closed_within(reader, 30) == b""
    writer.close()


async def test_a_promised_body_never_sent_gets_408_and_is_closed(
    apigw_emulator: EmulatorFactory,
) -> None:
    emu = await apigw_emulator({"$default": Recorder()}, request_timeout=1.0)
    reader, writer = await _open(emu)
    writer.write(
        b"POST /local/@connections/abc HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"
    )
    answer = await _closed_within(reader, 30)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    writer.close()


async def test_a_keep_alive_connection_serves_requests_sent_in_time(
    apigw_emulator: EmulatorFactory,
) -> None:
    emu = await apigw_emulator({"$default": Recorder()}, request_timeout=1.0)
    reader, writer = await _open(emu)
    for _ in range(2):
        writer.write(b"GET /local HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)).startswith(
            b"HTTP/1.1 426 Upgrade Required\r\n"
        )
        assert await asyncio.wait_for(reader.readexactly(16), 30) == b"Upgrade Required"
    writer.close()


@pytest.mark.parametrize("length", [b"-1", b"+5", b"1e3", b"5, 5", b"\xd9\xa3"])
async def test_a_malformed_content_length_gets_400(
    apigw_emulator: EmulatorFactory, length: bytes
) -> None:
    emu = await apigw_emulator({"$default": Recorder()})
    reader, writer = await _open(emu)
    writer.write(
        b"POST /local/@connections/abc HTTP/1.1\r\nHost: x\r\nContent-Length: "
        + length
        + b"\r\n\r\nhello"
    )
    answer = await _closed_within(reader, 30)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Content-Length" in answer.partition(b"\r\n\r\n")[2]
    writer.close()


async def test_connections_past_the_cap_are_refused_with_503(
    apigw_emulator: EmulatorFactory,
) -> None:
    emu = await apigw_emulator({"$default": Recorder()}, max_connections=2)
    first = await connect(emu.url)
    second = await connect(emu.url)
    with pytest.raises(InvalidStatus) as refused:
        await connect(emu.url, open_timeout=30)
    assert refused.value.response.status_code == 503
    assert b"at most 2 at once (max_connections)" in refused.value.response.body
    await first.close()
    deadline = time.monotonic() + 30
    while True:  # the slot frees once the server has seen the close
        try:
            third = await connect(emu.url, open_timeout=30)
            break
        except InvalidStatus:
            assert time.monotonic() < deadline, "a closed connection never freed its slot"
            await asyncio.sleep(0.05)
    await third.close()
    await second.close()


def test_running_out_of_file_descriptors_logs_at_most_a_line_a_second() -> None:
    """An emulator limited to 64 descriptors, with a cap it cannot reach, gets 100
    silent connections for 3 s: a few lines, no traceback; it serves again after."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    command = [
        sys.executable,
        "-m",
        "emulator",
        "--route",
        "$default=tests.emulator.parity_handlers.echo",
        "--two-way",
        "$default",
        "--max-connections",
        "1000",
        "--request-timeout",
        "60",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=limit,
    )
    sockets: list[Any] = []
    try:
        assert process.stdout is not None
        url = process.stdout.readline().decode().strip()
        port = int(re.search(r":(\d+)/", url).group(1))  # type: ignore[union-attr]
        import socket

        for _ in range(100):
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        time.sleep(3)
        for sock in sockets:
            sock.close()
        sockets.clear()

        async def echo() -> str:
            deadline = time.monotonic() + 30
            while True:  # accepting resumes within a retry delay
                try:
                    async with connect(url, open_timeout=10) as ws:
                        await ws.send("still here")
                        return str(await asyncio.wait_for(ws.recv(), 30))
                except (OSError, InvalidStatus, TimeoutError):
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.1)

        assert asyncio.run(echo()) == "still here"
    finally:
        for sock in sockets:
            sock.close()
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    lines = [line for line in stderr.decode().splitlines() if "cannot accept" in line]
    assert 1 <= len(lines) <= 5, lines
    assert "Traceback" not in stderr.decode()
    assert "Too many open files" in lines[0]


def test_loopback_addresses() -> None:
    assert all(is_loopback(a) for a in ("127.0.0.1", "127.8.9.10", "::1"))
    assert not any(is_loopback(a) for a in ("0.0.0.0", "::", "192.168.1.20", "fe80::1%eth0"))


async def test_binding_beyond_loopback_warns_once_of_what_is_exposed(
    apigw_emulator: EmulatorFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tests bind loopback only: the listener reports the address 0.0.0.0 would bind."""
    monkeypatch.setattr(Listener, "addresses", property(lambda self: [("0.0.0.0", 8080)]))
    with caplog.at_level(logging.WARNING, logger="emulator"):
        await apigw_emulator({"$default": Recorder()})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "emulator: listening on 0.0.0.0:8080, not loopback: every host that can reach it can "
        "open WebSockets and run your handlers (@connections still needs this run's "
        "credentials)"
    ]


async def test_loopback_binds_without_warning(
    apigw_emulator: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="emulator"):
        await apigw_emulator({"$default": Recorder()})
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
