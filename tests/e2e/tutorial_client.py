"""A client that knows only the tutorial's protocol, and is as strict as the tutorial's.

It behaves as the original tutorial's client does on the wire (this is a re-statement of
that behaviour, not its code): the creator sends `start` and requires `init`, then
requires `join`; the joiner sends `join` and requires `join`; x moves first; on the
opponent's turn it requires a `play` and reads only `tile`. Any other message, in
particular anything xo added to the protocol, fails it with AssertionError.
"""

from __future__ import annotations

import json

from websockets.sync.client import connect

from game.rules import Game, Mark, parse_tile


def play_tutorial_game(
    url: str, moves: list[str], game_id: str | None = None, on_game_id=None
) -> Game:
    """Play one game as the tutorial's client would: create it (game_id None) or join it.
    `moves` are this side's moves in order. Returns the final board as this side saw it."""
    me = Mark.X if game_id is None else Mark.O
    game = Game()
    with connect(url, close_timeout=1) as websocket:
        if game_id is None:
            websocket.send(json.dumps({"type": "start"}))
            event = json.loads(websocket.recv(timeout=10))
            assert event["type"] == "init"
            game_id = event["id"]
            if on_game_id:
                on_game_id(game_id)
            event = json.loads(websocket.recv(timeout=60))
            assert event["type"] == "join"
        else:
            websocket.send(json.dumps({"type": "join", "id": game_id}))
            event = json.loads(websocket.recv(timeout=10))
            assert event["type"] == "join"
        mine = iter(moves)
        while not game.is_over:
            if game.turn is me:
                tile = next(mine)
                game = game.play(me, parse_tile(tile))
                websocket.send(json.dumps({"type": "play", "tile": tile, "id": game_id}))
            else:
                event = json.loads(websocket.recv(timeout=60))
                assert event["type"] == "play", event
                game = game.play(me.other, parse_tile(event["tile"]))
    return game
