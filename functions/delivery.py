"""Telling a game's players what happened, and noticing players who are gone."""

from __future__ import annotations

from typing import Any

from functions import log, notify, store
from game.errors import GameError
from game.protocol import presence_message
from game.rules import Mark


def deliver(
    record: store.GameRecord, to: Mark, message: dict[str, Any], *, sender: str | None
) -> bool:
    """Send `message` to the player of `to`, if attached. A connection found gone (410) is
    detached from the game and `sender` (if any) is told `opponent_left`; the request that
    caused the send still succeeds. Returns True if the message was delivered."""
    connection = record.connection_of(to)
    if connection is None:
        return False
    if notify.send(connection, message):
        return True
    try:
        store.detach(record.game_id, connection)
    except GameError:  # the store is out of reach: the next send finds it gone again
        log.warning("could not detach gone connection %s from %s", connection, record.game_id)
    if sender is not None:
        notify.send(sender, presence_message(record.game_id, back=False))
    return False


def remember(connection_id: str, game_id: str) -> None:
    """Record which game a connection plays, for `$disconnect`. Best effort, like
    `$disconnect` itself: a failure here must not undo the write that preceded it."""
    try:
        store.remember_connection(connection_id, game_id)
    except GameError:
        log.warning("could not record game %s for connection %s", game_id, connection_id)
