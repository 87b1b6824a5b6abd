"""`start`: create a game. The sender plays x and receives `init` with the game id and its token.
With `"vs":"computer"` the computer takes the o seat at once (see `functions.computer`)."""

from __future__ import annotations

from functions import computer, notify, seats, store
from functions.handling import route
from functions.ids import new_secret
from game.protocol import Start, init_message


@route(Start)
def handler(request: Start, sender: str) -> None:
    game_id, token = new_secret(), new_secret()
    with seats.claimed(sender, game_id, starting=True):
        if request.computer is None:
            timed = {"clock": {"N": str(request.clock)}} if request.clock is not None else None
            store.create_game(game_id, sender, token, request.ack, timed, watchers=request.watchers)
        else:
            computer.create(
                game_id, sender, token, request.ack, request.computer, watchers=request.watchers
            )
    notify.send(sender, init_message(game_id, token, request.computer, request.clock))
