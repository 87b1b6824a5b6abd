"""Telling a game's players what happened, and noticing players who are gone. Everything
here runs after the write that changed the game, so nothing here raises: a failure is
logged with the connection id and the error, and the request that caused it still succeeds."""

from __future__ import annotations

from typing import Any

from functions import log, notify, store
from functions.notify import Delivery
from game.errors import GameError
from game.protocol import presence_message
from game.rules import Mark


def deliver(
    record: store.GameRecord, to: Mark, message: dict[str, Any], *, sender: str | None
) -> Delivery | None:
    """Send `message` to the player of `to`, if attached (None if not). A connection found
    gone (410) is detached from the game and `sender` (if any) is told `opponent_left`."""
    connection = record.connection_of(to)
    if connection is None:
        return None
    delivery = notify.send(connection, message)
    if delivery is Delivery.GONE:
        detach(record.game_id, connection)
        if sender is not None:
            notify.send(sender, presence_message(record.game_id, back=False))
    return delivery


def detach(game_id: str, connection_id: str) -> None:
    """Detach a connection found gone, best effort: if the store is out of reach, the next
    send finds it gone again."""
    try:
        store.detach(game_id, connection_id)
    except GameError as error:
        log.warning(
            "could not detach gone connection %s from %s: %s", connection_id, game_id, error.code
        )


def remember(connection_id: str, game_id: str) -> None:
    """Record a seat taken outside `seats.claimed` (a quick match, which the one lobby item
    bounds), so that `$disconnect` finds the game. Best effort: a failure is logged."""
    try:
        store.add_seat(connection_id, game_id)
    except GameError as error:
        log.warning("could not record game %s for %s: %s", game_id, connection_id, error.code)


def remember_watching(connection_id: str, game_id: str) -> None:
    """Record that a connection watches a game, so that `$disconnect` removes the spectator.
    Best effort: a failure is logged."""
    try:
        store.add_watching(connection_id, game_id)
    except GameError as error:
        log.warning("could not record watching %s for %s: %s", game_id, connection_id, error.code)
