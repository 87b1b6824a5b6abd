"""Games against the computer, served by the same handlers and the same item as any game.

The computer plays o; its moves are `game.bot`'s. It has no connection: its seat in the
item is the `bot` attribute and a token that no SHA-256 can equal, so nobody can join
or resume it.

A move costs what a move costs in a two-player game, one conditional write and one post:
the handler computes the computer's reply before writing, and writes the player's move
and the reply together. To do that without reading the item first it needs the board the
move was made on, which the player sends as a hint (`board` and `level` in `play`, see
`game.protocol.Play`). The write's condition checks the hint cell by cell, so a wrong
hint writes nothing: DynamoDB then returns the item as it is
(`ReturnValuesOnConditionCheckFailure`), and the move is played on that, in a second
write. The player hears one message: `play` with the computer's reply (whose board shows
both moves), or `state` when its own move ended the game.
"""

from __future__ import annotations

from typing import Any

from functions import notify, seats, settings, store, watch
from game.bot import Level, reply
from game.errors import GameError
from game.protocol import Play, play_message, state_message
from game.rules import BLANK, CELLS, Game, Mark, format_tile

MARK = Mark.O
"""The computer's mark: the player who starts the game plays x and moves first."""
SEAT_TOKEN = "computer"
"""What the item keeps as the computer's token hash: not 64 hex digits, so no token matches."""
ATTEMPTS = 3
"""Writes a move may take when the item changes under it (the player resuming meanwhile)."""


def create(
    game_id: str, creator: str, token: str, ack: bool, level: Level, *, watchers: bool = False
) -> store.GameRecord:
    """Put a new game against the computer at `level`, `creator` attached as x."""
    return store.create_game(
        game_id,
        creator,
        token,
        ack,
        watchers=watchers,
        extra={
            "bot": {"M": {"mark": {"S": MARK.value}, "level": {"S": level.value}}},
            "tokens": {
                "M": {Mark.X.value: {"S": store.token_hash(token)}, MARK.value: {"S": SEAT_TOKEN}}
            },
        },
    )


def play_hinted(request: Play, sender: str) -> bool:
    """Play `request` in one write if its hint is the game as it is. Returns False, having
    written nothing, when the hint cannot be used (the move is illegal on the hinted board,
    or the game is not against the computer): the caller plays the move the ordinary way."""
    assert request.board is not None and request.level is not None
    before = request.board
    player = before.turn
    if player is None or player is MARK:
        return False
    try:
        before.check(player, request.cell)
    except GameError:
        return False  # the hinted board may be out of date: let the item decide the error
    try:
        _write(
            request, sender, player, before, request.level, _hint_condition(before, request.level)
        )
    except store.Mismatch as mismatch:
        if mismatch.record is None:
            raise store.game_not_found() from None
        if mismatch.record.computer is None:
            return False
        play_on(mismatch.record, request, sender)
    return True


def play_on(record: store.GameRecord, request: Play, sender: str) -> None:
    """Play `request` on the game as `record` shows it (a write conditioned on its version),
    then answer the sender. Raises the `GameError` the move deserves."""
    for _ in range(ATTEMPTS):
        assert record.computer is not None
        player = record.players.get(sender)
        if player is None or player is record.computer[0]:
            raise store.diagnose_move(record, sender, request.cell)
        record.game.check(player, request.cell)
        try:
            _write(
                request, sender, player, record.game, record.computer[1], _version_condition(record)
            )
            return
        except store.Mismatch as mismatch:
            if mismatch.record is None:
                raise store.game_not_found() from None
            record = mismatch.record
    raise store.store_unavailable()


def _hint_condition(before: Game, level: Level) -> tuple[str, dict[str, Any]]:
    values = {":x": {"S": "x"}, ":o": {"S": "o"}, ":blank": {"S": BLANK}}
    names = {Mark.X.value: ":x", Mark.O.value: ":o", BLANK: ":blank"}
    cells = " AND ".join(f"#board[{k}] = {names[before.board[k]]}" for k in range(CELLS))
    values[":botmark"] = {"S": MARK.value}
    values[":level"] = {"S": level.value}
    return f"#bot.#bmark = :botmark AND #bot.#blevel = :level AND {cells}", values


def _version_condition(record: store.GameRecord) -> tuple[str, dict[str, Any]]:
    return "#v = :version", {":version": {"N": str(record.version)}}


def _write(
    request: Play,
    sender: str,
    player: Mark,
    before: Game,
    level: Level,
    condition: tuple[str, dict[str, Any]],
) -> None:
    """The player's move and the computer's reply in one conditional write, then one post."""
    after_player = before.play(player, request.cell)
    after = reply(after_player, player.other, level)
    record = store.write_board(
        request.game_id,
        sender,
        player,
        after,
        condition=condition[0],
        values=condition[1],
        ttl=store.now() + settings.game_ttl_seconds(),
    )
    moves = [play_message(request.game_id, format_tile(request.cell), player, after_player)]
    if after.moves > after_player.moves:
        computer_tile = next(
            format_tile(k) for k in range(CELLS) if after.board[k] != after_player.board[k]
        )
        moves.append(play_message(request.game_id, computer_tile, player.other, record.game))
        notify.send(sender, moves[-1])
    else:
        notify.send(sender, state_message(request.game_id, player, record.game, computer=level))
    if record.game.is_over:  # the game no longer counts against the player's limit
        seats.release(sender, request.game_id)
    for message in moves:  # spectators last; they see both moves, one `play` each
        watch.tell(record, message)
