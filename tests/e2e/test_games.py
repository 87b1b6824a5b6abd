"""Whole games through the emulator, and malformed frames in the middle of one."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from emulator.server import ThreadedEmulator
from tests.e2e.players import DRAW, O_WINS, X_WINS, Player, new_game, play_out


@pytest.mark.parametrize(("tiles", "winner"), [(X_WINS, "x"), (O_WINS, "o"), (DRAW, "draw")])
async def test_two_players_play_a_whole_game(
    xo_server: ThreadedEmulator, tiles: list[str], winner: str
) -> None:
    """Two clients play to a win for x, a win for o, or a draw; the last play says so."""
    x, o, init, _ = await new_game(xo_server.url)
    last = await play_out(x, o, init["id"], tiles)
    assert (last["winner"], last["next"]) == (winner, None)
    assert await x.silent() and await o.silent()  # a valid move gets no other message
    await x.close()
    await o.close()


async def test_malformed_frames_get_answers_and_the_game_carries_on(
    xo_server: ThreadedEmulator,
) -> None:
    """Bad frames from a player mid-game each get their error; the game then finishes."""
    x, o, init, _ = await new_game(xo_server.url)
    game_id = init["id"]
    await play_out(x, o, game_id, X_WINS[:2])
    for frame, code in [
        ("not json", "bad_request"),
        ("{}", "bad_request"),
        ('{"type": "dance"}', "unknown_type"),
        (json.dumps({"type": "play", "id": game_id}), "bad_request"),
        (json.dumps({"type": "play", "id": game_id, "tile": "7,7"}), "invalid_tile"),
        (json.dumps({"type": "play", "id": game_id, "tile": "1,0"}), "tile_taken"),
        (b"\x00\xff binary", "bad_request"),
    ]:
        await x.send_raw(frame)
        answer = await x.recv()
        assert (answer["type"], answer["code"]) == ("error", code), (frame, answer)
    await o.send(type="play", id=game_id, tile="2,2")
    assert (await o.recv())["code"] == "not_your_turn"
    last = await play_out(x, o, game_id, X_WINS[2:])
    assert last["winner"] == "x"


async def test_a_message_over_128_kb_closes_that_connection_only(
    xo_server: ThreadedEmulator,
) -> None:
    """API Gateway closes a connection with 1009 for an oversized frame; other games go on."""
    x, o, init, _ = await new_game(xo_server.url)
    stranger = await Player.connect(xo_server.url)
    await stranger.send_raw(
        json.dumps({"type": "play", "id": init["id"], "tile": "x" * (129 * 1024)})
    )
    with pytest.raises(ConnectionClosed) as closed:
        await stranger.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert (await play_out(x, o, init["id"], DRAW))["winner"] == "draw"


async def test_a_third_player_and_a_stranger_are_refused(xo_server: ThreadedEmulator) -> None:
    _, o, init, _ = await new_game(xo_server.url)
    stranger = await Player.connect(xo_server.url)
    await stranger.send(type="join", id=init["id"])
    assert (await stranger.recv())["code"] == "game_full"
    await stranger.send(type="play", id=init["id"], tile="1,1")
    assert (await stranger.recv())["code"] == "not_a_player"
    await stranger.send(type="resume", id=init["id"], token="A" * 22)
    assert (await stranger.recv())["code"] == "not_a_player"
    assert await o.silent(0.1)
    await stranger.send(type="ping")
    assert await stranger.recv() == {"type": "pong"}
