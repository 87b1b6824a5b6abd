"""`rematch`: after a game ends, play again on the same connections with the marks swapped.

Each player answers with `{"type":"rematch","id":GAME_ID}` (or `"accept": false`). An
answer is one conditional write on the finished game (`again_{connection}` / `declined`): the
game is over, the sender holds its seat, nobody declined, and the sender has not answered yet
(so a client's retry is refused with `no_rematch` and never starts a second game). The write that finds both players
willing (DynamoDB applies each atomically, so exactly one does) creates the new game: the
previous o plays x and moves first, each connection gets a fresh token, the spectators
are carried over, and the clock (if any) too. The first answer is passed on to the
opponent as `rematch_offer`; a refusal as `rematch_declined`. An offer nobody answers
costs nothing more: the game simply stays over.
"""

from __future__ import annotations

from typing import Any

from functions import delivery, ids, notify, settings, store, watch
from functions.handling import route
from functions.table import HASH_KEY, TTL_ATTRIBUTE
from game.errors import ErrorCode, GameError
from game.protocol import (
    Rematch,
    rematch_declined_message,
    rematch_message,
    rematch_offer_message,
)
from game.rules import BLANK, CELLS, Mark

AGAIN = "again_"
"""`again_{connection id}`: that player wants a rematch (an attribute of the finished game)."""
DECLINED = "declined"
"""The connection id of the player who declined the rematch."""


@route(Rematch)
def handler(request: Rematch, sender: str) -> None:
    record, item = _answer(request, sender)
    mark = record.players[sender]
    if not request.accept:
        delivery.deliver(record, mark.other, rematch_declined_message(record.game_id), sender=None)
        return
    if not _willing(item, record.connection_of(mark.other)):
        delivery.deliver(record, mark.other, rematch_offer_message(record.game_id), sender=None)
        return
    _start_again(record)


def _answer(request: Rematch, sender: str) -> tuple[store.GameRecord, dict[str, Any]]:
    """Record the sender's answer in one conditional write (the game is over, the sender holds
    a seat, nobody declined, the sender has not answered before); the game after it. An acceptance is `again_{connection}`, a
    refusal `declined`: both are keyed so that no read is needed to know the sender's mark."""
    at = store.now()
    expr = store._Expression()
    conn = expr.name("conn", sender)
    declined = expr.name("declined", DECLINED)
    again = expr.name("again", AGAIN + sender)
    nine = expr.value("nine", {"N": str(CELLS)})
    expr.value("blank", {"S": BLANK})
    finished = (
        f"(#moves = {nine} OR attribute_exists(#forfeit) OR NOT ({store._no_line_complete()}))"
    )
    condition = " AND ".join(
        [
            store._live(expr, at),
            f"attribute_exists(#players.{conn})",
            finished,
            f"attribute_not_exists({declined})",
            f"attribute_not_exists({again})",
            "attribute_not_exists(#bot)",
        ]
    )
    if request.accept:
        answer = f"{again} = {expr.value('true', {'BOOL': True})}"
    else:
        answer = f"{declined} = {expr.value('who', {'S': sender})}"
    update = f"SET {answer}, #v = #v + {expr.value('one', {'N': '1'})}"
    try:
        result = store._call("update_item", **expr.request(request.game_id, update, condition))
    except store._ConditionFailed as failed:
        answered = AGAIN + sender in (failed.item or {})
        raise _refusal(store._record_or_none(failed.item, at), sender, answered) from None
    assert result is not None
    return store.GameRecord.from_item(result["Attributes"]), result["Attributes"]


def _willing(item: dict[str, Any], connection: str | None) -> bool:
    return connection is not None and item.get(AGAIN + connection, {}).get("BOOL") is True


def _refusal(record: store.GameRecord | None, sender: str, answered: bool) -> GameError:
    """The error for an answer the condition refused; `answered`: the sender accepted before."""
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
    if answered:
        return GameError(
            ErrorCode.NO_REMATCH,
            "You already accepted this rematch: it starts when your opponent accepts too.",
        )
    return GameError(ErrorCode.NO_REMATCH, "The rematch was declined: start a new game.")


def _start_again(previous: store.GameRecord) -> None:
    """Create the rematch (marks swapped) and tell both players and the spectators."""
    game_id = ids.new_secret()
    tokens = {Mark.X: ids.new_secret(), Mark.O: ids.new_secret()}
    seats = {conn: mark.other for conn, mark in previous.players.items()}
    at = store.now()
    item: dict[str, Any] = {
        HASH_KEY: {"S": game_id},
        TTL_ATTRIBUTE: {"N": str(at + settings.game_ttl_seconds())},
        "board": {"L": [{"S": BLANK}] * CELLS},
        "moves": {"N": "0"},
        "players": {"M": {conn: {"S": mark.value} for conn, mark in seats.items()}},
        "tokens": {"M": {mark.value: {"S": store.token_hash(t)} for mark, t in tokens.items()}},
        "acks": {"M": {m.other.value: {"BOOL": True} for m in previous.acks}},
        "v": {"N": "1"},
        "watchers": {"M": {w: {"BOOL": True} for w in previous.watchers}},
        "counts": {"M": {m.other.value: {"BOOL": True} for m in previous.counts}},
        "previous": {"S": previous.game_id},
    }
    if previous.clock is not None:
        item["clock"] = {"N": str(previous.clock.seconds)}
        item["deadline"] = {"N": str(at + previous.clock.seconds)}
    try:
        store._call(
            "put_item",
            TableName=settings.table_name(),
            Item=item,
            ConditionExpression=f"attribute_not_exists({HASH_KEY})",
        )
    except store._ConditionFailed:  # 128 random bits collided: practically never
        raise store.store_unavailable() from None
    record = store.GameRecord.from_item(item)
    for conn, mark in seats.items():
        delivery.remember(conn, game_id)
        notify.send(conn, rematch_message(game_id, previous.game_id, mark, tokens[mark]))
    watch.tell(record, rematch_message(game_id, previous.game_id))
