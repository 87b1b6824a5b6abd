"""The turn clock's decisions (`game.clock`): nothing runs on a schedule.

A game with a clock is decided by the next request that touches it after a deadline:
- the late player's `play` is refused with `time_up`, and settles the game;
- the waiting player's `claim` (its client sends one when the opponent's time has run
  out) settles it, or is refused with `clock_running` while the opponent still has time.
Settling is one conditional write (`store.settle_timeout`), so a late move and a claim
racing each other settle the game once. Both players and the spectators then hear
`timeout` with the loser and the board.
"""

from __future__ import annotations

from functions import delivery, notify, seats, store, watch
from functions.handling import route
from game.errors import ErrorCode, GameError
from game.protocol import Claim, error_message, timeout_message
from game.rules import Mark


@route(Claim)
def handler(request: Claim, sender: str) -> None:
    loser = Mark.X  # a guess: x moves first, so x's clock runs out first most often
    for _ in range(2):
        try:
            record = store.settle_timeout(request.game_id, loser, claimer=sender)
        except store.Mismatch as mismatch:
            loser = _why_not(mismatch.record, sender, loser)
            continue
        announce(record, loser, first=record.players.get(sender, loser.other))
        return
    raise store.store_unavailable()


def late_move(found: store.TimeUp, sender: str) -> None:
    """`sender` moved after its deadline: refuse the move with `time_up` and settle the game."""
    record, loser = found.record, found.loser
    notify.send(
        sender,
        error_message(
            GameError(
                ErrorCode.TIME_UP,
                f"Your time ran out ({record.clock.seconds if record.clock else '?'} s a move): "
                f"{loser.other} wins on time.",
            )
        ),
    )
    try:
        settled = store.settle_timeout(record.game_id, loser)
    except store.Mismatch:  # settled already (a claim got there first), or gone
        return
    announce(settled, loser, first=loser)


def announce(record: store.GameRecord, loser: Mark, *, first: Mark) -> None:
    """Tell both players (the player of `first`, the one who asked, before the other) and
    then the spectators that `loser` lost on time; the settled game no longer counts
    against its players' limits."""
    message = timeout_message(record.game_id, loser, record.game)
    for mark in (first, first.other):
        delivery.deliver(record, mark, message, sender=None)
    for connection in record.players:
        seats.release(connection, record.game_id)
    watch.tell(record, message)


def _why_not(record: store.GameRecord | None, sender: str, guessed: Mark) -> Mark:
    """The loser to try next after a refused claim, or raise the error the claim deserves."""
    if record is None:
        raise store.game_not_found()
    mark = record.players.get(sender)
    if mark is None:
        raise store.not_a_player()
    if record.clock is None:
        raise GameError(
            ErrorCode.CLOCK_RUNNING, "This game has no clock: there is no time to run out."
        )
    if record.over:
        raise record.game_over()
    if Mark.O not in record.tokens:
        raise GameError(ErrorCode.CLOCK_RUNNING, "The clock starts when o joins.")
    turn = record.game.turn
    if turn is mark:
        raise GameError(ErrorCode.CLOCK_RUNNING, "It is your move: your own clock is running.")
    remaining = record.clock.remaining(store.now())
    if turn is not guessed and remaining == 0 and turn is not None:
        return turn
    raise GameError(
        ErrorCode.CLOCK_RUNNING, f"{turn} still has {remaining} s to move: wait, then claim."
    )
