"""`resign`: the sender gives up; one conditional write records its mark as the loser, and
both players and the spectators hear `resigned` (a `timeout` in all but its type), and the
game stops counting against its players' open-games limit."""

from __future__ import annotations

from functions import delivery, seats, store, watch
from functions.handling import route
from game.errors import ErrorCode, GameError
from game.protocol import Resign, resigned_message
from game.rules import Mark


@route(Resign)
def handler(request: Resign, sender: str) -> None:
    try:
        record = store.resign_game(request.game_id, sender)
    except store.Mismatch as mismatch:
        raise refusal(mismatch.record, sender) from None
    assert record.forfeit is not None
    message = resigned_message(request.game_id, record.forfeit, record.game)
    mark = record.players[sender]
    for to in (mark, mark.other):  # the sender first, then its opponent, spectators last
        delivery.deliver(record, to, message, sender=None)
    for connection in record.players:  # the game is over: it no longer counts against limits
        seats.release(connection, record.game_id)
    watch.tell(record, message)


def refusal(record: store.GameRecord | None, sender: str) -> GameError:
    """Why a resignation was refused, given the game as it was."""
    if record is None:
        return store.game_not_found()
    if sender not in record.players:
        return store.not_a_player()
    if record.over:
        return record.game_over()
    if Mark.O not in record.tokens:
        return GameError(
            ErrorCode.NOT_YOUR_TURN,
            "Nobody has joined yet, so there is nobody to resign to: just leave.",
        )
    return store.store_unavailable()  # the item changed in between: nothing was written
