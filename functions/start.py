"""`start`: create a game. The sender plays x and receives `init` with the game id and its token."""

from __future__ import annotations

from functions import delivery, notify, store
from functions.handling import route
from functions.ids import new_secret
from game.protocol import Start, init_message


@route(Start)
def handler(request: Start, sender: str) -> None:
    game_id, token = new_secret(), new_secret()
    store.create_game(game_id, sender, token, request.ack)
    delivery.remember(sender, game_id)
    notify.send(sender, init_message(game_id, token))
