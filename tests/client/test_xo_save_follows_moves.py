"""A seat's save (what `xo games` lists) holds our own move once the server confirms it,
even while the opponent has not answered yet."""

from __future__ import annotations

import asyncio
import contextlib

from client.moves import Moves
from client.runner import Options, Runner
from client.session import Session
from client.view import View
from game.rules import BLANK
from tests.client.fake_server import FakeServer
from tests.waiting import eventually

FAST = Options(opponent_timeout=30.0, retries=3, backoff=lambda attempt: 0.05, answer_timeout=5.0)


async def test_the_save_holds_our_first_move_before_the_opponent_answers() -> None:
    server = FakeServer(["0,0"])
    server.on_bot_turn = lambda game: False  # o thinks for ever
    await server.start()
    saved: list[tuple[str, ...]] = []
    run = Runner(
        server.url,
        Session.create(),
        Moves(["1,1"]),
        View(tty=False, echo=lambda *a, **k: None),
        FAST,
        save=lambda session: saved.append(session.confirmed.board),
    )
    task = asyncio.create_task(run.run())
    try:
        await eventually(lambda: saved, what="a first save")
        assert saved[0] == (BLANK,) * 9
        await eventually(
            lambda: saved[-1][4] == "x", what=f"x's move 1,1 in the save (saves: {saved})"
        )
        assert saved[-1].count(BLANK) == 8
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await server.stop()
