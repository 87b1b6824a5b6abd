"""`resume`: re-attach a player, by token, from a new connection; it receives `state`, the
opponent `opponent_back`."""

from __future__ import annotations

from functions import delivery, notify, store, watch
from functions.handling import route
from game.errors import ErrorCode, GameError
from game.protocol import (
    Resume,
    clock_fields,
    lost_on_time,
    player_presence_message,
    presence_message,
    state_message,
    watchers_message,
)

ATTEMPTS = 5


@route(Resume)
def handler(request: Resume, sender: str) -> None:
    for _ in range(ATTEMPTS):
        record = store.load_game(request.game_id)
        if record is None:
            raise store.GAME_NOT_FOUND
        mark = record.mark_for_token(request.token)
        if mark is None:
            raise GameError(
                ErrorCode.NOT_A_PLAYER, "That token does not belong to a player of this game."
            )
        try:
            record = store.attach(record, mark, sender, request.ack, watchers=request.watchers)
            break
        except store.Stale:  # a move or another resume landed in between: read again
            continue
    else:
        raise store.STORE_UNAVAILABLE
    level = record.computer[1] if record.computer else None
    state = state_message(request.game_id, mark, record.game, computer=level)
    if record.clock is not None:
        state.update(clock_fields(record.clock, store.now()))
    if record.forfeit is not None:
        state = lost_on_time(state, record.forfeit)
    if not notify.send(sender, state):
        # The sender closed before its resume was served (a late resume from a dropped
        # connection): it must not keep the seat a newer connection may need.
        store.detach(request.game_id, sender)
        return
    delivery.remember(sender, request.game_id)
    delivery.deliver(
        record, mark.other, presence_message(request.game_id, back=True), sender=sender
    )
    watch.tell(record, player_presence_message(request.game_id, mark, present=True))
    if request.watchers and record.watchers:
        notify.send(sender, watchers_message(request.game_id, len(record.watchers)))
