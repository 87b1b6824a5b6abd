"""Dropped connections: a player's socket dies mid-game (sometimes with its move in
flight), the opponent is told, the player resumes with its token from a new
connection, and the game finishes with the right result and no move lost."""

from __future__ import annotations

import random

import pytest

from emulator.server import ThreadedEmulator
from game.rules import Game
from tests.e2e.players import DRAW, O_WINS, X_WINS, Player, new_game

GAMES = [(X_WINS, "x"), (O_WINS, "o"), (DRAW, "draw")]
ROUNDS = 12


async def until(player: Player, kind: str) -> list[dict]:
    """Messages up to and including the first of type `kind`."""
    seen = [await player.recv()]
    while seen[-1]["type"] != kind:
        seen.append(await player.recv())
    return seen


@pytest.mark.parametrize("seed", range(ROUNDS))
async def test_a_killed_player_resumes_and_the_game_finishes(
    xo_server: ThreadedEmulator, seed: int
) -> None:
    rng = random.Random(seed)
    tiles, winner = GAMES[seed % len(GAMES)]
    x, o, init, joined = await new_game(xo_server.url)
    game_id = init["id"]
    seats = {"x": x, "o": o}
    tokens = {"x": init["token"], "o": joined["token"]}
    drop_at = rng.randrange(0, len(tiles) - 1)  # moves made before the drop; never the final move
    victim = rng.choice("xo")
    in_flight = rng.random() < 0.5

    turn = 0
    while turn < drop_at:
        mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
        await mover.send(type="play", id=game_id, tile=tiles[turn])
        assert (await opponent.recv())["tile"] == tiles[turn]
        turn += 1

    survivor_mark = "o" if victim == "x" else "x"
    victims_turn = (turn % 2 == 0) == (victim == "x")
    sent_before_death = in_flight and victims_turn
    if sent_before_death:
        await seats[victim].send(type="play", id=game_id, tile=tiles[turn])
    seats[victim].kill()

    told = await until(seats[survivor_mark], "opponent_left")
    assert told[-1] == {"type": "opponent_left", "id": game_id}

    back = await Player.connect(xo_server.url)
    await back.send(type="resume", id=game_id, token=tokens[victim])
    state = await back.recv()
    assert (state["type"], state["mark"]) == ("state", victim)
    assert (await seats[survivor_mark].recv()) == {"type": "opponent_back", "id": game_id}
    seats[victim] = back
    x, o = seats["x"], seats["o"]

    board = Game(tuple(cell for row in state["board"] for cell in row))
    if sent_before_death:
        landed = board.moves == turn + 1
        assert board.moves in (turn, turn + 1)
        assert (
            any(m.get("tile") == tiles[turn] for m in told) == landed
        )  # the survivor saw it iff it landed
        if landed:
            turn += 1
    assert board == Game.from_moves(tiles[:turn])  # nothing lost, nothing extra

    last: dict = {}
    while turn < len(tiles):
        mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
        await mover.send(type="play", id=game_id, tile=tiles[turn])
        last = await opponent.recv()
        assert (last["type"], last["tile"]) == ("play", tiles[turn]), last
        turn += 1
    assert last["winner"] == winner
    await x.close()
    await o.close()
