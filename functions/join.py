"""`join`: the sender becomes o; both players receive `join` (the joiner's copy with its token)."""

from __future__ import annotations

from functions import delivery, notify, seats, store, watch
from functions.handling import route
from functions.ids import new_secret
from game.protocol import Join, join_message, player_presence_message, watchers_message
from game.rules import Mark


@route(Join)
def handler(request: Join, sender: str) -> None:
    token = new_secret()
    with seats.claimed(sender, request.game_id, starting=False):
        record = store.join_game(
            request.game_id, sender, token, request.ack, watchers=request.watchers
        )
    away = record.connection_of(Mark.X) is None  # x left and has not resumed (yet)
    notify.send(sender, join_message(request.game_id, Mark.O, token, "away" if away else "here"))
    delivery.deliver(record, Mark.X, join_message(request.game_id, Mark.X), sender=sender)
    watch.tell(record, player_presence_message(request.game_id, Mark.O, present=True))
    if request.watchers and record.watchers:
        notify.send(sender, watchers_message(request.game_id, len(record.watchers)))
