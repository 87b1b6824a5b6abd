"""`play`: one move, one conditional write; the opponent receives `play` with the game after it."""

from __future__ import annotations

from functions import delivery, notify, store
from functions.handling import route
from game.protocol import Play, play_message, state_message
from game.rules import format_tile


@route(Play)
def handler(request: Play, sender: str) -> None:
    record = store.play_move(request.game_id, sender, request.cell)
    mark = record.players[sender]
    message = play_message(request.game_id, format_tile(request.cell), mark, record.game)
    delivery.deliver(record, mark.other, message, sender=sender)
    if mark in record.acks:
        notify.send(sender, state_message(request.game_id, mark, record.game))
