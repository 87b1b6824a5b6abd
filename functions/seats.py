"""Which games a connection holds a seat in: what `$disconnect` detaches, and what the
per-connection limits count (PROTOCOL.md, "Connections and games")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from functions import log, store
from game.errors import GameError


@contextmanager
def claimed(connection_id: str, game_id: str, *, starting: bool) -> Iterator[None]:
    """Claim a seat (`store.claim_seat`, which enforces the limits) around the game write in
    the `with` block; if that write is refused, give the seat back, unless the connection
    held it before. Raises the refusal either way."""
    held_before = store.claim_seat(connection_id, game_id, starting=starting)
    try:
        yield
    except GameError:
        if not held_before:
            release(connection_id, game_id)
        raise


def release(connection_id: str, game_id: str) -> None:
    """Give a seat back (`store.release_seat`), best effort: this runs after a write that
    stands, so if the store is out of reach the seat counts against the connection's limit
    until it closes, and this is logged."""
    try:
        store.release_seat(connection_id, game_id)
    except GameError as error:
        log.warning("could not release seat of %s in %s: %s", connection_id, game_id, error.code)
