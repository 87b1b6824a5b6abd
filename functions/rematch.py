"""`rematch`: after a game ends, play again on the same connections with the marks swapped.

Each player answers with `{"type":"rematch","id":GAME_ID}` (or `"accept": false`). An
answer is one conditional write on the finished game (`store.answer_rematch`): the game is
over, the sender holds its seat, nobody declined, and the sender has not answered yet (so a
client's retry is refused with `no_rematch` and never starts a second game). The write that
finds both players willing (DynamoDB applies each atomically, so exactly one does) creates
the new game (`store.create_rematch`): the previous o plays x and moves first, each
connection gets a fresh token, the spectators are carried over, and the clock (if any) too. The first answer is passed on to the
opponent as `rematch_offer`; a refusal as `rematch_declined`. An offer nobody answers
costs nothing more: the game simply stays over.
"""

from __future__ import annotations

from functions import delivery, ids, notify, store, watch
from functions.handling import route
from game.errors import ErrorCode, GameError
from game.protocol import (
    Rematch,
    rematch_declined_message,
    rematch_message,
    rematch_offer_message,
)
from game.rules import Mark


@route(Rematch)
def handler(request: Rematch, sender: str) -> None:
    try:
        record = store.answer_rematch(request.game_id, sender, request.accept)
    except store.Mismatch as mismatch:
        raise _refusal(mismatch.record, sender) from None
    mark = record.players[sender]
    if not request.accept:
        delivery.deliver(record, mark.other, rematch_declined_message(record.game_id), sender=None)
        return
    if record.connection_of(mark.other) not in record.again:
        delivery.deliver(record, mark.other, rematch_offer_message(record.game_id), sender=None)
        return
    _start_again(record, sender)


def _refusal(record: store.GameRecord | None, sender: str) -> GameError:
    """The error for an answer the condition refused, given the game as it was."""
    if record is None:
        return store.game_not_found()
    if sender not in record.players:
        return store.not_a_player()
    if record.computer is not None:
        return GameError(
            ErrorCode.NO_REMATCH, "A game against the computer has no rematch: start a new one."
        )
    if not record.over:
        return GameError(ErrorCode.NO_REMATCH, "The game is not over yet: finish it first.")
    if sender in record.again:
        return GameError(
            ErrorCode.NO_REMATCH,
            "You already accepted this rematch: it starts when your opponent accepts too.",
        )
    return GameError(ErrorCode.NO_REMATCH, "The rematch was declined: start a new game.")


def _start_again(previous: store.GameRecord, sender: str) -> None:
    """Create the rematch (marks swapped) and tell the sender, its opponent, then the
    spectators."""
    tokens = {Mark.X: ids.new_secret(), Mark.O: ids.new_secret()}
    record = store.create_rematch(previous, ids.new_secret(), tokens)
    for conn, mark in sorted(record.players.items(), key=lambda seat: seat[0] != sender):
        delivery.remember(conn, record.game_id)
        notify.send(conn, rematch_message(record.game_id, previous.game_id, mark, tokens[mark]))
    watch.tell(record, rematch_message(record.game_id, previous.game_id))
