"""`watch`: follow a game as a spectator, and everything spectators hear.

A spectator is a connection id in the game item's `watchers` map, nothing more: it holds no
mark and no token, so watching never gives a seat (its `play` is refused `not_a_player`).
`watch` is one conditional update (the game is live and has fewer than `MAX_WATCHERS`
spectators) and answers the spectator with `watching`: the whole board at once, how many
watch, and which players are connected. Then each move reaches every spectator as the
same `play` the opponent gets, and players connecting or leaving as `presence`.

Players who asked for it (`"watchers": true` at `start`, `join` or `resume`) hear
`watchers` with the new count whenever a spectator comes or goes. Nobody else does: a
game without spectators posts nothing more than before.
"""

from __future__ import annotations

from typing import Any

from functions import delivery, log, notify, store
from functions.handling import route
from functions.notify import Delivery
from game.errors import ErrorCode, GameError
from game.protocol import (
    Watch,
    clock_fields,
    lost_on_time,
    watchers_message,
    watching_message,
)
from game.rules import Mark

MAX_WATCHERS = 10
"""Spectators per game. Every move is posted to each one, so this caps what one move can
cost (1 write and at most 1 + 10 posts) and how long its handler takes."""


@route(Watch)
def handler(request: Watch, sender: str) -> None:
    try:
        record = store.add_watcher(request.game_id, sender, MAX_WATCHERS)
    except store.Mismatch as mismatch:
        if mismatch.record is None:
            raise store.game_not_found() from None
        raise GameError(
            ErrorCode.WATCHERS_FULL,
            f"This game already has {MAX_WATCHERS} spectators, as many as a game can have: "
            "try again when one leaves.",
        ) from None
    delivery.remember_watching(sender, request.game_id)
    present = [mark for mark in (Mark.X, Mark.O) if record.connection_of(mark) is not None]
    message = watching_message(request.game_id, record.game, len(record.watchers), present)
    if record.clock is not None:
        message.update(clock_fields(record.clock, store.now()))
    if record.forfeit is not None:
        message = lost_on_time(message, record.forfeit, record.resigned)
    notify.send(sender, message)
    tell_count(record)


def tell(record: store.GameRecord, message: dict[str, Any]) -> None:
    """Post `message` to every spectator of `record`; spectators found gone are removed (and
    the players who asked are told the new count). No spectators: no request at all."""
    gone = [
        watcher
        for watcher in sorted(record.watchers)
        if notify.send(watcher, message) is Delivery.GONE
    ]
    after: store.GameRecord | None = None
    for watcher in gone:
        try:
            after = store.remove_watcher(record.game_id, watcher) or after
        except GameError:  # out of reach: the next send finds it gone again
            log.warning("could not remove gone spectator %s from %s", watcher, record.game_id)
    if after is not None:
        tell_count(after)


def leave(record: store.GameRecord, connection_id: str) -> None:
    """A spectator's connection closed (`$disconnect`): remove it and tell the count."""
    after = store.remove_watcher(record.game_id, connection_id)
    if after is not None:
        tell_count(after)


def tell_count(record: store.GameRecord) -> None:
    """Tell the players who asked how many spectators watch now."""
    message = watchers_message(record.game_id, len(record.watchers))
    for mark in sorted(record.counts):
        connection = record.connection_of(mark)
        if connection is not None:
            notify.send(connection, message)
