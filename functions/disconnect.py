"""`$disconnect`: detach the closed connection from every game it holds a seat in that is not
over, and tell each of those games' opponents `opponent_left` (and spectators `presence`);
remove it from the games it watches. API Gateway delivers this event on a best-effort
basis, so every other handler also copes with connections found gone."""

from __future__ import annotations

from typing import Any

from functions import budget, delivery, log, match, store, watch
from functions.handling import OK, connection_id
from game.errors import GameError
from game.protocol import player_presence_message, presence_message


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    with budget.invocation(context):
        _disconnect(connection_id(event))
    return OK


def _disconnect(closed: str) -> None:
    try:
        held = store.connection(closed)
    except GameError as error:
        log.warning("disconnect of %s not recorded: %s", closed, error.code)
        return
    for game_id in held.games:
        try:
            _leave(game_id, closed)
        except GameError as error:
            log.warning("disconnect of %s from %s not recorded: %s", closed, game_id, error.code)
    for game_id in held.watching:
        try:
            record = store.load_game(game_id)
            if record is not None and closed in record.watchers:
                watch.leave(record, closed)
        except GameError as error:
            log.warning("spectator %s not removed from %s: %s", closed, game_id, error.code)


def _leave(game_id: str, closed: str) -> None:
    """Detach `closed` from one game, unless it is over or `closed` no longer holds the seat
    (it was resumed elsewhere, or found gone), and tell who is left."""
    left = store.leave(game_id, closed)
    if left is None:
        return
    mark, after = left
    if after.over:  # lost on time: settled, nobody need hear of it
        return
    match.withdraw(after)
    delivery.deliver(after, mark.other, presence_message(game_id, back=False), sender=None)
    watch.tell(after, player_presence_message(game_id, mark, present=False))
