"""`$disconnect`: detach the closed connection from its game and tell the opponent
`opponent_left`, unless the game is already over. API Gateway delivers this event on a
best-effort basis, so every other handler also copes with connections found gone."""

from __future__ import annotations

from typing import Any

from functions import delivery, log, match, store, watch
from functions.handling import OK, connection_id
from game.errors import GameError
from game.protocol import player_presence_message, presence_message


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    closed = connection_id(event)
    try:
        game_id = store.game_of_connection(closed)
        record = store.load_game(game_id) if game_id else None
        if record is not None and closed in record.watchers:
            watch.leave(record, closed)
            return OK
        if record is None or closed not in record.players or record.over:
            return OK
        mark = record.players[closed]
        match.withdraw(record)
        after = store.detach(record.game_id, closed)
        if after is not None:
            delivery.deliver(
                after, mark.other, presence_message(record.game_id, back=False), sender=None
            )
            watch.tell(after, player_presence_message(record.game_id, mark, present=False))
    except GameError as error:
        log.warning("disconnect of %s not recorded: %s", closed, error.message)
    return OK
