"""`play`: one move, one conditional write; the opponent receives `play` with the game after it
(after the sender's own `state`, if it asked for one; the spectators come last).
In a game against the computer, `functions.computer` writes the move and the reply together."""

from __future__ import annotations

from functions import clock, computer, delivery, notify, seats, store, watch
from functions.handling import route
from game.protocol import Play, clock_fields, play_message, state_message
from game.rules import format_tile


@route(Play)
def handler(request: Play, sender: str) -> None:
    if request.board is not None and computer.play_hinted(request, sender):
        return
    try:
        record = store.play_move(request.game_id, sender, request.cell)
    except store.AgainstComputer as found:
        computer.play_on(found.record, request, sender)
        return
    except store.TimeUp as late:
        clock.late_move(late, sender)
        return
    mark = record.players[sender]
    message = play_message(request.game_id, format_tile(request.cell), mark, record.game)
    if record.clock is not None:
        message.update(clock_fields(record.clock, store.now()))
    if mark in record.acks:  # what matters most first: the sender's answer, the opponent's move
        state = state_message(request.game_id, mark, record.game, record.opponent_of(mark))
        if record.clock is not None:
            state.update(clock_fields(record.clock, store.now()))
        notify.send(sender, state)
    delivery.deliver(record, mark.other, message, sender=sender)
    if record.game.is_over:  # the game no longer counts against its players' limits
        for connection in record.players:
            seats.release(connection, request.game_id)
    watch.tell(record, message)
