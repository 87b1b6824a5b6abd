"""The route table grants each function exactly the DynamoDB actions it calls.

The Pulumi program builds each role from `Route.dynamodb_actions`; here every path of
every handler runs against moto while the DynamoDB calls are recorded, so a handler
that starts calling a new action (or stops calling one) fails this test before it
fails in AWS with AccessDenied (or keeps a permission it no longer needs).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from functions import aws
from functions.routes import ROUTES
from tests.functions.conftest import Players


def test_each_route_calls_exactly_the_dynamodb_actions_it_declares(players: Players) -> None:
    calls: dict[str, set[str]] = defaultdict(set)
    current: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls[current[0]].add(model.name)

    aws.dynamodb().meta.events.register("before-call.dynamodb", record)
    for route in ROUTES:  # wrap every handler so calls are charged to its route
        original = players.handlers[route.key]

        def charged(event: Any, context: Any, key: str = route.key, handler: Any = original) -> Any:
            current.insert(0, key)
            try:
                return handler(event, context)
            finally:
                current.pop(0)

        players.handlers[route.key] = charged

    game_id, x_token, o_token = players.new_game()  # start, join
    players.send("X1", {"type": "play", "id": game_id, "tile": "1,1"})
    players.send("X2", {"type": "resume", "id": game_id, "token": x_token})  # resume
    players.connections.gone.add("O1")
    players.send("X2", {"type": "play", "id": game_id, "tile": "0,0"})  # refused: o's turn
    players.send("O2", {"type": "resume", "id": game_id, "token": o_token})
    players.send("O2", {"type": "play", "id": game_id, "tile": "0,0"})
    players.disconnect("O2")  # $disconnect mid-game
    players.connections.gone.add("X2")
    players.send("O3", {"type": "resume", "id": game_id, "token": o_token})  # opponent found gone
    players.send("Z1", "not json")  # $default
    players.send("W1", {"type": "watch", "id": game_id})  # a spectator
    players.send("W2", {"type": "watch", "id": game_id})
    players.connections.gone.add("W2")
    players.send("O3", {"type": "play", "id": game_id, "tile": "2,2"})  # a spectator found gone
    players.disconnect("W1")  # a spectator leaves
    players.send("M1", {"type": "match"})  # quick match: waits
    players.send("M2", {"type": "match"})  # paired
    players.send("M3", {"type": "match"})  # waits...
    players.disconnect("M3")  # ...and leaves
    players.send("M4", {"type": "match"})
    players.send("M4", {"type": "match"})  # its own offer stands: busy, its extra game deleted
    players.send("T1", {"type": "start", "clock": 5})  # a turn clock
    timed = players.last("T1")["id"]
    players.send("T2", {"type": "join", "id": timed})
    players.send("T2", {"type": "claim", "id": timed})  # refused: its own move
    players.send("T1", {"type": "claim", "id": timed})  # refused: o still has time
    players.send("R1", {"type": "start"})  # a rematch
    finished = players.last("R1")["id"]
    players.send("R2", {"type": "join", "id": finished})
    for turn, tile in enumerate(["0,0", "1,0", "0,1", "1,1", "0,2"]):
        players.send(
            "R1" if turn % 2 == 0 else "R2", {"type": "play", "id": finished, "tile": tile}
        )
    players.send("R1", {"type": "resign", "id": finished})  # refused: the game is over
    players.send("S1", {"type": "start"})  # a resignation
    resigned = players.last("S1")["id"]
    players.send("S2", {"type": "join", "id": resigned})
    players.send("S2", {"type": "resign", "id": resigned})
    players.send("R1", {"type": "rematch", "id": finished})
    players.send("R2", {"type": "rematch", "id": finished})
    players.send("R2", {"type": "rematch", "id": "A" * 22})  # refused: no such game
    players.send("C1", {"type": "start", "vs": "computer"})  # against the computer
    bot_game = players.last("C1")["id"]
    players.send("C1", {"type": "play", "id": bot_game, "tile": "1,1"})  # no hint
    players.send("C1", {"type": "play", "id": bot_game, "tile": "0,0", "board": [[" "] * 3] * 3})

    for route in ROUTES:
        assert calls[route.key] == set(route.dynamodb_actions), (
            f"{route.key}: calls {sorted(calls[route.key])}, route table grants {sorted(route.dynamodb_actions)}"
        )
