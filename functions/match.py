"""`match` (quick match, `xo play`): pair the sender with whoever is waiting, or wait.

One item, `lobby`, holds the game of the one player waiting, and until when the offer
stands. Pairing is the conditional update that empties it (`store.take_waiting`): it
succeeds for exactly one taker, so two racing players never both pair with the same
waiting player, and nobody is paired twice. The taker then joins that game as o (an
ordinary `join`): both players hear `join`, as if an id had been shared by hand.

With nobody waiting, the sender creates a game (it plays x, and hears `init`) and offers
it in the lobby (`store.offer_waiting`, conditional on an empty lobby or an expired
offer). If another player's offer got there first, the sender takes that one instead
and deletes its own unoffered game, after both players have heard `join`, and only as best
effort (a failed delete is logged: the game then just expires on its TTL), so a seating
that worked is never reported as failed.

The waiting record: one small item for the whole table, rewritten by each offer and each
pairing (1 write unit each); it never accumulates. An offer stands for `WAIT_SECONDS`
(its `until`); after that the next `match` overwrites it, so nothing needs deleting on a
schedule (its `ttl` lets DynamoDB remove a last, stale one). A waiting player who leaves
is withdrawn by `$disconnect` (one conditional write, only for a quick-match game nobody
joined). The one item is also a limit: DynamoDB serves about 1,000 writes a second to an
item, so about 500 quick matches a second.
"""

from __future__ import annotations

from functions import delivery, log, notify, store, watch
from functions.handling import route
from functions.ids import new_secret
from game.errors import ErrorCode, GameError
from game.protocol import (
    MATCH_OFFER_SECONDS,
    Match,
    init_message,
    join_message,
    player_presence_message,
)
from game.rules import Mark

WAIT_SECONDS = MATCH_OFFER_SECONDS
"""How long an offer in the lobby stands; `xo play` waits as long, then says nobody came."""
ATTEMPTS = 4
"""Take-or-offer rounds before giving up as busy (each loses only to another player's write)."""
QUICK = {"quick": {"BOOL": True}}
"""The attribute that marks a quick-match game (see `store.GameRecord.quick`)."""


@route(Match)
def handler(request: Match, sender: str) -> None:
    own: str | None = None  # our game, created but not (yet) offered
    token = new_secret()
    for _ in range(ATTEMPTS):
        waiting = store.take_waiting(sender)
        if waiting is not None:
            try:
                record = store.join_game(
                    waiting, sender, token, request.ack, watchers=request.watchers
                )
            except GameError as error:  # that game is gone (expired): look again
                if error.code is ErrorCode.UNAVAILABLE:
                    raise
                continue
            delivery.remember(sender, waiting)
            notify.send(sender, join_message(waiting, Mark.O, token))
            delivery.deliver(record, Mark.X, join_message(waiting, Mark.X), sender=sender)
            watch.tell(record, player_presence_message(waiting, Mark.O, present=True))
            if own is not None:
                _discard(own)
            return
        if own is None:
            own = new_secret()
            store.create_game(own, sender, token, request.ack, QUICK, watchers=request.watchers)
        if store.offer_waiting(own, sender, store.now() + WAIT_SECONDS):
            delivery.remember(sender, own)
            notify.send(sender, init_message(own, token))
            return
    if own is not None:
        _discard(own)
    raise store.store_unavailable()


def _discard(game_id: str) -> None:
    """Delete our unoffered game. Best effort: a failure is logged (the game expires on its
    TTL), never reported, since the request it follows has already worked or failed."""
    try:
        store.delete_unjoined(game_id)
    except GameError as error:
        log.warning("could not delete unjoined game %s: %s", game_id, error.code)


def withdraw(record: store.GameRecord) -> None:
    """Take a quick-match game whose player left out of the lobby (nobody joined it yet)."""
    if record.quick and Mark.O not in record.tokens:
        store.withdraw_waiting(record.game_id)
