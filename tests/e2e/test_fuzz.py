"""Hostile input: arbitrary frames at a live game, through the emulator.

Hypothesis sends random bytes, random text, random JSON (its strings from the whole
Unicode range, lone surrogates included, escaped as JSON allows), valid messages with wrong
fields, huge strings, deep nesting and the live game's own id from a stranger's
connection. Every frame must get exactly one answer (its normal reply or an error
frame), or, for a frame over API Gateway's 32 KB frame limit, a 1009 close; the
emulator keeps serving, and the game in progress then finishes with the right result.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from emulator.server import ThreadedEmulator
from tests.e2e.players import X_WINS
from tests.text import any_text

FRAMES = 800
LIVE_ID = "LIVE_GAME_ID"  # replaced by the live game's id when the frame is sent

json_values = st.recursive(  # text over the whole Unicode range: json.dumps escapes surrogates
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from([LIVE_ID, "A" * 22, "x", ""]) | json_values,
        "tile": st.sampled_from(["1,1", "0,0", "3,3", "a", "1,", ",", "-1,2"]) | json_values,
        "token": any_text(max_size=30) | json_values,
        "ack": st.booleans() | json_values,
    },
)
messages = st.builds(
    lambda kind, extra: {"type": kind, **extra},
    st.sampled_from(["start", "join", "play", "resume", "ping", "dance", ""]) | json_values,
    fields,
)
aimed = st.fixed_dictionaries(  # well-formed requests at the live game, from a non-player
    {
        "type": st.sampled_from(["join", "play", "resume"]),
        "id": st.just(LIVE_ID),
        "tile": st.sampled_from(["0,0", "0,2", "1,1", "2,2", "2,0"]),
        "token": st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789-_", min_size=22, max_size=22
        ),
    }
)
frames = st.one_of(
    aimed.map(json.dumps),
    st.binary(max_size=200),
    st.text(max_size=200),
    json_values.map(json.dumps),
    messages.map(json.dumps),
    st.integers(1, 40_000).map(
        lambda n: json.dumps({"type": "play", "id": LIVE_ID, "tile": "x" * n})
    ),
    st.integers(1, 5_000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 2_000).map(lambda n: '{"type":' * n + '"x"' + "}" * n),
)


class Stranger:
    """The fuzzer's connection; reopened after the emulator closes it for an oversized frame."""

    def __init__(self, url: str, stack: contextlib.ExitStack) -> None:
        self.url = url
        self.stack = stack
        self.connection: ClientConnection = stack.enter_context(connect(url, max_size=None))
        self.sent = self.closed_1009 = 0
        self.answers: dict[str, int] = {}

    def exchange(self, frame: str | bytes) -> None:
        self.sent += 1
        size = len(frame.encode() if isinstance(frame, str) else frame)
        self.connection.send(frame)
        try:
            answer = json.loads(self.connection.recv(timeout=10))
        except ConnectionClosed as closed:
            assert size > 32 * 1024, f"closed on a {size}-byte frame: {closed}"
            assert closed.rcvd is not None and closed.rcvd.code == 1009
            self.closed_1009 += 1
            self.connection = self.stack.enter_context(connect(self.url, max_size=None))
            return
        assert size <= 32 * 1024, f"a {size}-byte frame was answered: {answer}"
        kind = answer.get("type")
        assert kind in {"init", "pong", "error"}, answer  # a stranger can only start, ping or fail
        if kind == "error":
            assert set(answer) == {"type", "code", "message"} and answer["message"], answer
            kind = f"error:{answer['code']}"
        self.answers[kind] = self.answers.get(kind, 0) + 1


def recv(connection: ClientConnection) -> dict[str, Any]:
    return json.loads(connection.recv(timeout=10))


def test_arbitrary_frames_never_hurt_a_live_game(xo_server: ThreadedEmulator) -> None:
    url = xo_server.url
    with connect(url) as x, connect(url) as o, contextlib.ExitStack() as stack:
        x.send(json.dumps({"type": "start"}))
        game_id = recv(x)["id"]
        o.send(json.dumps({"type": "join", "id": game_id}))
        recv(o), recv(x)
        x.send(json.dumps({"type": "play", "id": game_id, "tile": X_WINS[0]}))
        assert recv(o)["tile"] == X_WINS[0]
        stranger = Stranger(url, stack)

        @settings(
            max_examples=FRAMES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(frames)
        def fuzz(frame: str | bytes) -> None:
            if isinstance(frame, str):
                frame = frame.replace(LIVE_ID, game_id)
            stranger.exchange(frame)

        fuzz()
        print(
            f"\nfuzz: {stranger.sent} frames, {stranger.closed_1009} closed with 1009, answers {stranger.answers}"
        )
        assert stranger.sent >= FRAMES * 0.9
        assert (
            stranger.answers.get("error:not_a_player", 0)
            + stranger.answers.get("error:game_full", 0)
            > 0
        )

        for turn, tile in enumerate(X_WINS[1:], start=1):
            mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
            mover.send(json.dumps({"type": "play", "id": game_id, "tile": tile}))
            last = recv(opponent)
            assert last["tile"] == tile, last
        assert last["winner"] == "x"
