"""`resume`: attach a player, by token, to this connection; it receives `state`.

- If the seat was empty (the player had left), the opponent receives `opponent_back`.
- If another connection held the seat (a token replayed from a second connection), that
  connection receives `seat_taken` and loses the seat; the opponent hears nothing, as it
  never saw the player leave.
- If this connection already held the seat (a client catching up), nobody else hears anything.
"""

from __future__ import annotations

from functions import delivery, notify, seats, store, watch
from functions.handling import route
from functions.notify import Delivery
from game.errors import ErrorCode, GameError
from game.protocol import (
    Resume,
    clock_fields,
    lost_on_time,
    player_presence_message,
    presence_message,
    seat_taken_message,
    state_message,
    watchers_message,
)
from game.rules import Mark

ATTEMPTS = 5


@route(Resume)
def handler(request: Resume, sender: str) -> None:
    game_id = request.game_id
    record, mark = _player(request)
    with seats.claimed(sender, game_id, starting=False):
        before, after = _attach(record, mark, sender, request)
    previous = before.connection_of(mark)
    displaced = previous if previous not in (None, sender) else None
    level = after.computer[1] if after.computer else None
    state = state_message(game_id, mark, after.game, after.opponent_of(mark), computer=level)
    if after.clock is not None:
        state.update(clock_fields(after.clock, store.now()))
    if after.forfeit is not None:
        state = lost_on_time(state, after.forfeit, after.resigned)
    gone = notify.send(sender, state) is Delivery.GONE
    if gone:  # a late resume from a connection already closed must not keep the seat
        delivery.detach(game_id, sender)
        seats.release(sender, game_id)
    if displaced is not None:
        notify.send(displaced, seat_taken_message(game_id))
        seats.release(displaced, game_id)
        if gone:  # the seat is empty now, and the opponent saw nobody leave
            delivery.deliver(after, mark.other, presence_message(game_id, back=False), sender=None)
            watch.tell(after, player_presence_message(game_id, mark, present=False))
    elif previous is None and not gone:
        delivery.deliver(after, mark.other, presence_message(game_id, back=True), sender=sender)
        watch.tell(after, player_presence_message(game_id, mark, present=True))
    if request.watchers and after.watchers and not gone:
        notify.send(sender, watchers_message(game_id, len(after.watchers)))


def _player(request: Resume) -> tuple[store.GameRecord, Mark]:
    """The game and the mark whose token the request carries. Raises the refusal."""
    record = store.load_game(request.game_id)
    if record is None:
        raise store.game_not_found()
    mark = record.mark_for_token(request.token)
    if mark is None:
        raise GameError(
            ErrorCode.NOT_A_PLAYER, "That token does not belong to a player of this game."
        )
    return record, mark


def _attach(
    record: store.GameRecord, mark: Mark, sender: str, request: Resume
) -> tuple[store.GameRecord, store.GameRecord]:
    """Attach `sender` as `mark`, reading the game again if another write landed first.
    Returns the game just before the write that succeeded, and after it."""
    for _ in range(ATTEMPTS):
        try:
            after = store.attach(record, mark, sender, request.ack, watchers=request.watchers)
            return record, after
        except store.Stale:  # a move or another resume landed in between: read again
            fresh = store.load_game(record.game_id)
            if fresh is None:
                raise store.game_not_found() from None
            record = fresh
    raise store.store_unavailable()
