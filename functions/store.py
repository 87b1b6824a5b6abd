"""The game item in DynamoDB: every state change is exactly one conditional write.

One item per game, keyed by `GameId`:

    GameId   S   the game id (22 URL-safe characters)
    ttl      N   epoch seconds after which the game is gone (pushed forward by every move)
    board    L   nine S cells, " ", "x" or "o", row by row
    moves    N   how many cells are taken (x moves when it is even)
    players  M   connection id -> "x" | "o", the connections attached right now
    tokens   M   "x" | "o" -> SHA-256 of that player's resume token
    acks     M   "x" | "o" -> true for players who asked for a `state` after their own moves
    v        N   version, +1 on every write (guards read-then-write changes such as resume)
    watchers M   connection id -> true, the spectators (`functions.watch`), at most a cap
    counts   M   "x" | "o" -> true for players who asked to hear how many watch
    quick    BOOL only in a game a quick match created (`functions.match`)
    clock    N   only in a game with a turn clock: seconds per move (`game.clock`)
    deadline N   set by the join and every move to now + clock (now alone without a clock): in
                 a game with a clock, when the player to move runs out of time
    forfeit  S   only once a player lost on time or resigned: that player's mark
    resigned BOOL only when `forfeit` came from a resignation (`resign_game`), not the clock
    bot      M   only in a game against the computer: {"mark": its mark, "level": its level}
                 (its seat holds a token no hash can equal, so nobody joins or resumes it; see `functions.computer`)
    again_{connection id}
             BOOL only once the game is over: that player asked for a rematch (`answer_rematch`)
    declined S   only once the game is over: the connection id of the player who declined one
    previous S   only in a rematch: the id of the game it follows (`create_rematch`)

and one small item per connection, keyed `conn#{connection id}`:

    games    SS  the games this connection holds a seat in (start, join and resume add one;
                 the game's end and a resume from another connection remove it)
    watching SS  the games it watches as a spectator (`functions.watch`)
    s{M}     N   how many games it started in clock minute M (epoch seconds // 60)
    ttl      N   as a game's

so that `$disconnect` (whose event carries only the connection id) finds every game the
connection plays, and so that the per-connection limits (PROTOCOL.md, "Connections and
games") are checked inside the conditional write that records a seat, with no extra read.

Conditions carry the rules: a move is accepted only if the sender's connection is
attached as the mark whose turn it is, the cell is blank, no line is complete and the
game has not expired. When a condition fails, DynamoDB returns the old item
(`ReturnValuesOnConditionCheckFailure=ALL_OLD`) and `game.rules` names the reason.
"""

from __future__ import annotations

import re
import time
from typing import Any, NamedTuple

from functions import aws, budget, log, settings
from functions.table import HASH_KEY, TTL_ATTRIBUTE
from game.bot import Level
from game.clock import Clock
from game.errors import ErrorCode, GameError
from game.rules import BLANK, CELLS, LINES, Game, Mark, game_over

CONNECTION_PREFIX = "conn#"
AGAIN = "again_"
"""`again_{connection id}`: that player wants a rematch (an attribute of the finished game)."""
DECLINED = "declined"
"""The connection id of the player who declined the rematch."""

NAMES = {
    "#ttl": TTL_ATTRIBUTE,
    "#board": "board",
    "#moves": "moves",
    "#players": "players",
    "#tokens": "tokens",
    "#acks": "acks",
    "#v": "v",
    "#bot": "bot",
    "#watchers": "watchers",
    "#counts": "counts",
    "#clock": "clock",
    "#deadline": "deadline",
    "#forfeit": "forfeit",
    "#resigned": "resigned",
}


def game_not_found() -> GameError:
    """A new error each time: a raised exception keeps the traceback of every raise, so one
    shared instance raised in a warm worker grows without bound."""
    return GameError(
        ErrorCode.GAME_NOT_FOUND, "No game has that id (or it has expired): start a new game."
    )


def not_a_player() -> GameError:
    """A new error each time (see `game_not_found`): the refusal for a connection that holds
    no seat in the game it names, whichever request it sent."""
    return GameError(
        ErrorCode.NOT_A_PLAYER,
        "This connection does not play in that game (if you did, resume with your token).",
    )


def store_unavailable() -> GameError:
    """A new error each time (see `game_not_found`)."""
    return GameError(
        ErrorCode.UNAVAILABLE,
        "The game store is busy or out of reach, so nothing was changed: try again in a moment.",
    )


_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
        "TransactionConflictException",
    }
)


def now() -> int:
    """The current time in epoch seconds. Tests replace this to control expiry."""
    return int(time.time())


def token_hash(token: str) -> str:
    """What the item keeps of a resume token: its SHA-256, never the token itself."""
    import hashlib  # here, not at import: only start, join and resume need it

    return hashlib.sha256(token.encode()).hexdigest()


class GameRecord(NamedTuple):
    """A game item, decoded."""

    game_id: str
    game: Game
    players: dict[str, Mark]
    tokens: dict[Mark, str]
    acks: frozenset[Mark] = frozenset()
    expires: int = 0
    version: int = 0
    computer: tuple[Mark, Level] | None = None
    """In a game against the computer: its mark and level (see `functions.computer`)."""
    watchers: frozenset[str] = frozenset()
    """The spectators' connection ids (see `functions.watch`)."""
    counts: frozenset[Mark] = frozenset()
    """Players who asked for `watchers` messages."""
    quick: bool = False
    """Created by a quick match (`functions.match`): offered in the lobby until someone joins."""
    clock: Clock | None = None
    """The turn clock, in a game that has one (its deadline is None until o joins)."""
    forfeit: Mark | None = None
    """The player who lost on time or resigned, once one did."""
    resigned: bool = False
    """`forfeit` is a resignation (`resign_game`), not the clock."""
    again: frozenset[str] = frozenset()
    """The connections that asked for a rematch of this finished game (`answer_rematch`)."""

    @property
    def over(self) -> bool:
        """The game ended: won, drawn, lost on time or resigned."""
        return self.forfeit is not None or self.game.is_over

    def game_over(self) -> GameError:
        """The `game_over` refusal for this game, once it is `over`."""
        return game_over(self.game, self.forfeit, resigned=self.resigned)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> GameRecord:
        return cls(
            game_id=item[HASH_KEY]["S"],
            game=Game(tuple(cell["S"] for cell in item["board"]["L"])),
            players={conn: Mark(mark["S"]) for conn, mark in item["players"]["M"].items()},
            tokens={Mark(mark): digest["S"] for mark, digest in item["tokens"]["M"].items()},
            acks=frozenset(
                Mark(mark)
                for mark, flag in item.get("acks", {}).get("M", {}).items()
                if flag.get("BOOL")
            ),
            expires=int(item[TTL_ATTRIBUTE]["N"]),
            version=int(item["v"]["N"]),
            computer=_computer(item.get("bot")),
            watchers=frozenset(item.get("watchers", {}).get("M", {})),
            counts=frozenset(
                Mark(mark)
                for mark, flag in item.get("counts", {}).get("M", {}).items()
                if flag.get("BOOL")
            ),
            quick="quick" in item,
            clock=Clock(
                int(item["clock"]["N"]),
                int(item["deadline"]["N"]) if "deadline" in item else None,
            )
            if "clock" in item
            else None,
            forfeit=Mark(item["forfeit"]["S"]) if "forfeit" in item else None,
            resigned="resigned" in item,
            again=frozenset(
                name.removeprefix(AGAIN)
                for name, flag in item.items()
                if name.startswith(AGAIN) and flag.get("BOOL")
            ),
        )

    def connection_of(self, mark: Mark) -> str | None:
        """The connection attached as `mark`, or None if that player is away."""
        return next((conn for conn, owner in self.players.items() if owner is mark), None)

    def opponent_of(self, mark: Mark) -> str:
        """Where `mark`'s opponent is, as a `state` frame says it (`OPPONENT_STATES`)."""
        if self.computer is not None:
            return "here"
        if mark.other not in self.tokens:
            return "waiting"
        return "here" if self.connection_of(mark.other) is not None else "away"

    def expired(self, at: int) -> bool:
        return self.expires <= at

    def mark_for_token(self, token: str) -> Mark | None:
        digest = token_hash(token)
        return next((mark for mark, stored in self.tokens.items() if stored == digest), None)


def _computer(attribute: dict[str, Any] | None) -> tuple[Mark, Level] | None:
    if attribute is None:
        return None
    fields = attribute["M"]
    return Mark(fields["mark"]["S"]), Level(fields["level"]["S"])


class _Expression:
    """Builds one DynamoDB request's expressions and placeholder maps."""

    def __init__(self) -> None:
        self.names: dict[str, str] = dict(NAMES)
        self.values: dict[str, Any] = {}

    def value(self, key: str, value: Any) -> str:
        self.values[f":{key}"] = value
        return f":{key}"

    def name(self, key: str, name: str) -> str:
        self.names[f"#{key}"] = name
        return f"#{key}"

    def request(self, key: str, update: str, condition: str) -> dict[str, Any]:
        """An `update_item` request. DynamoDB refuses unused placeholders, so only those
        the two expressions mention are sent."""
        text = f"{update} {condition}"

        def used(placeholder: str) -> bool:
            return re.search(re.escape(placeholder) + r"(?![A-Za-z0-9_])", text) is not None

        return {
            "TableName": settings.table_name(),
            "Key": {HASH_KEY: {"S": key}},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {k: v for k, v in self.names.items() if used(k)},
            "ExpressionAttributeValues": {k: v for k, v in self.values.items() if used(k)},
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }


def _no_line_complete() -> str:
    return " AND ".join(
        f"NOT (#board[{a}] = #board[{b}] AND #board[{b}] = #board[{c}] AND #board[{a}] <> :blank)"
        for a, b, c in LINES
    )


def _live(expr: _Expression, at: int) -> str:
    return f"attribute_exists({HASH_KEY}) AND #ttl > {expr.value('now', {'N': str(at)})}"


def _call(operation: str, **request: Any) -> dict[str, Any] | None:
    """Run one DynamoDB call. Returns None when its condition failed, with the old item
    under `"Item"` of the result of `old_item`; raises `store_unavailable()` on throttling,
    outages and timeouts, and when the call might not end before the Lambda timeout
    (`functions.budget`: then it is not made)."""
    from botocore.exceptions import BotoCoreError, ClientError

    left = budget.too_late("dynamodb")
    if left is not None:  # it might end after the function: then nobody would know
        log.warning(
            "not calling DynamoDB %s: %.1f s left, too little to end in time", operation, left
        )
        raise store_unavailable()
    try:
        answer: dict[str, Any] = getattr(aws.dynamodb(), operation)(**request)
        return answer
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            item: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            raise _ConditionFailed(item) from None
        if (
            code in _RETRYABLE_CODES
            or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
        ):
            raise store_unavailable() from error
        raise
    except BotoCoreError as error:  # endpoint unreachable, timeouts, connection reset
        raise store_unavailable() from error


class _ConditionFailed(Exception):
    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("condition failed")
        self.item = item


def _record_or_none(item: dict[str, Any] | None, at: int) -> GameRecord | None:
    if not item or "board" not in item:
        return None
    record = GameRecord.from_item(item)
    return None if record.expired(at) else record


def _update_game(
    expr: _Expression, game_id: str, update: str, condition: str, at: int
) -> GameRecord:
    """Send one conditional update of a game (`condition` checked at `at`); the game after
    it. Raises `Mismatch` with the live game as it is when the condition failed: nothing
    was written."""
    try:
        result = _call("update_item", **expr.request(game_id, update, condition))
    except _ConditionFailed as failed:
        raise Mismatch(_record_or_none(failed.item, at)) from None
    assert result is not None
    return GameRecord.from_item(result["Attributes"])


# ---- writes -----------------------------------------------------------------------------


def create_game(
    game_id: str,
    creator: str,
    token: str,
    ack: bool,
    extra: dict[str, Any] | None = None,
    *,
    watchers: bool = False,
) -> GameRecord:
    """Put a new game with `creator` attached as x. The id must be new (conditional put).
    `extra`: attributes to set beside (a feature's own, such as `functions.computer`'s)."""
    at = now()
    item = {
        HASH_KEY: {"S": game_id},
        TTL_ATTRIBUTE: {"N": str(at + settings.game_ttl_seconds())},
        "board": {"L": [{"S": BLANK}] * CELLS},
        "moves": {"N": "0"},
        "players": {"M": {creator: {"S": Mark.X.value}}},
        "tokens": {"M": {Mark.X.value: {"S": token_hash(token)}}},
        "acks": {"M": {Mark.X.value: {"BOOL": True}} if ack else {}},
        "v": {"N": "1"},
        "watchers": {"M": {}},
        "counts": {"M": {Mark.X.value: {"BOOL": True}} if watchers else {}},
        **(extra or {}),
    }
    return _put_new(item)


def _put_new(item: dict[str, Any]) -> GameRecord:
    """Put a new game item, on condition that its id is new."""
    try:
        _call(
            "put_item",
            TableName=settings.table_name(),
            Item=item,
            ConditionExpression=f"attribute_not_exists({HASH_KEY})",
        )
    except _ConditionFailed:  # 128 random bits collided: practically never
        raise store_unavailable() from None
    return GameRecord.from_item(item)


# ---- a connection's seats (its games, and the per-connection limits) ------------------------


def claim_seat(connection_id: str, game_id: str, *, starting: bool) -> bool:
    """Record that `connection_id` takes a seat in `game_id`, in one conditional write that
    also enforces the per-connection limits: at most `settings.max_open_games()` games held
    at once (a game already held does not count twice) and, when `starting`, at most
    `settings.starts_per_minute()` starts in this clock minute. Returns True if the
    connection already held that game. Raises `too_many_games`, `too_many_starts`, or
    `unavailable`; a refusal writes nothing.

    Call it before the game write it guards, and `release_seat` if that write is refused."""
    at = now()
    minute = at // 60
    expr = _Expression()
    games, game = expr.name("games", "games"), expr.value("game", {"S": game_id})
    ttl = expr.value("ttl", {"N": str(at + settings.game_ttl_seconds())})
    update = f"ADD {games} {expr.value('gameset', {'SS': [game_id]})} SET #ttl = {ttl}"
    max_games = expr.value("maxgames", {"N": str(settings.max_open_games())})
    condition = (
        f"(attribute_not_exists({games}) OR size({games}) < {max_games}"
        f" OR contains({games}, {game}))"
    )
    if starting:
        starts = expr.name("starts", f"s{minute}")
        one, zero = expr.value("one", {"N": "1"}), expr.value("zero", {"N": "0"})
        update += f", {starts} = if_not_exists({starts}, {zero}) + {one}"
        update += f" REMOVE {expr.name('before', f's{minute - 1}')}"
        limit = expr.value("maxstarts", {"N": str(settings.starts_per_minute())})
        condition += f" AND (attribute_not_exists({starts}) OR {starts} < {limit})"
    request = expr.request(CONNECTION_PREFIX + connection_id, update, condition)
    request["ReturnValues"] = "ALL_OLD"
    try:
        result = _call("update_item", **request)
    except _ConditionFailed as failed:
        raise _over_limit(failed.item or {}, minute, starting) from None
    assert result is not None
    held = result.get("Attributes", {}).get("games", {}).get("SS", [])
    return game_id in held


def _over_limit(item: dict[str, Any], minute: int, starting: bool) -> GameError:
    """Which limit a refused `claim_seat` hit, given the connection's item as it was."""
    started = int(item.get(f"s{minute}", {}).get("N", "0"))
    if starting and started >= settings.starts_per_minute():
        return GameError(
            ErrorCode.TOO_MANY_STARTS,
            f"This connection started {started} games this minute, the most it may:"
            " wait for the next minute to start another.",
        )
    return GameError(
        ErrorCode.TOO_MANY_GAMES,
        f"This connection already plays in {settings.max_open_games()} games that are not"
        " over, the most it may: finish one first.",
    )


def add_seat(connection_id: str, game_id: str) -> None:
    """Record a seat without the limits' condition (for a seat whose own write is bounded
    elsewhere, such as a quick match's). Raises `unavailable`."""
    _add_to_set(connection_id, "games", game_id)


def add_watching(connection_id: str, game_id: str) -> None:
    """Record that `connection_id` watches `game_id` (not a seat: no limit; the game caps
    its spectators). Raises `unavailable`."""
    _add_to_set(connection_id, "watching", game_id)


def _add_to_set(connection_id: str, attribute: str, game_id: str) -> None:
    expr = _Expression()
    ttl = expr.value("ttl", {"N": str(now() + settings.game_ttl_seconds())})
    update = (
        f"ADD {expr.name('set', attribute)} {expr.value('gameset', {'SS': [game_id]})}"
        f" SET #ttl = {ttl}"
    )
    request = expr.request(CONNECTION_PREFIX + connection_id, update, "")
    del request["ConditionExpression"], request["ReturnValuesOnConditionCheckFailure"]
    request["ReturnValues"] = "NONE"
    _call("update_item", **request)


def release_seat(connection_id: str, game_id: str) -> None:
    """Forget that `connection_id` holds a seat in `game_id` (the game ended, another
    connection took the seat, or the write `claim_seat` guarded was refused). Raises
    `unavailable`; does nothing if the connection has no item."""
    expr = _Expression()
    update = f"DELETE {expr.name('games', 'games')} {expr.value('gameset', {'SS': [game_id]})}"
    request = expr.request(
        CONNECTION_PREFIX + connection_id, update, f"attribute_exists({HASH_KEY})"
    )
    request["ReturnValues"] = "NONE"
    try:
        _call("update_item", **request)
    except _ConditionFailed:
        pass


def _seat(expr: _Expression, conn: str, mark: Mark, ack: bool, watchers: bool = False) -> list[str]:
    """SET clauses that attach connection placeholder `conn` as `mark` and bump the version
    (and, if asked, turn on `state` acks for that mark)."""
    sets = [
        f"#players.{conn} = {expr.value('seat', {'S': mark.value})}",
        f"#v = #v + {expr.value('one', {'N': '1'})}",
    ]
    if ack:
        sets.append(
            f"#acks.{expr.name('ackmark', mark.value)} = {expr.value('true', {'BOOL': True})}"
        )
    if watchers:
        sets.append(
            f"#counts.{expr.name('countmark', mark.value)} = {expr.value('true', {'BOOL': True})}"
        )
    return sets


def join_game(
    game_id: str, joiner: str, token: str, ack: bool, *, watchers: bool = False
) -> GameRecord:
    """Attach `joiner` as o. One conditional update: the game is live and has no o yet."""
    at = now()
    expr = _Expression()
    conn = expr.name("conn", joiner)
    sets = _seat(expr, conn, Mark.O, ack, watchers)
    sets.append(
        f"#tokens.{expr.name('omark', Mark.O.value)} = {expr.value('hash', {'S': token_hash(token)})}"
    )
    sets.append(_deadline(expr, at))  # x's clock starts now
    condition = f"{_live(expr, at)} AND attribute_not_exists(#tokens.#omark) AND attribute_not_exists(#players.{conn})"
    try:
        result = _call("update_item", **expr.request(game_id, "SET " + ", ".join(sets), condition))
    except _ConditionFailed as failed:
        record = _record_or_none(failed.item, at)
        if record is None:
            raise game_not_found() from None
        if joiner in record.players:
            raise GameError(
                ErrorCode.GAME_FULL, "You created this game: share its id with your opponent."
            ) from None
        if record.computer is not None:
            raise GameError(
                ErrorCode.GAME_FULL, "This game is played against the computer: start a new one."
            ) from None
        raise GameError(
            ErrorCode.GAME_FULL, "This game already has two players: start a new one."
        ) from None
    assert result is not None
    return GameRecord.from_item(result["Attributes"])


def play_move(game_id: str, player: str, index: int) -> GameRecord:
    """Put the mark of `player`'s connection on cell `index`, in one conditional update that
    checks every rule, and push the game's expiry forward. Returns the game after the move;
    raises the `GameError` the move deserves."""
    at = now()
    expr = _Expression()
    conn = expr.name("conn", player)
    blank = expr.value("blank", {"S": BLANK})
    x, o = expr.value("x", {"S": "x"}), expr.value("o", {"S": "o"})
    even = ", ".join(expr.value(f"m{k}", {"N": str(k)}) for k in range(0, CELLS, 2))
    odd = ", ".join(expr.value(f"m{k}", {"N": str(k)}) for k in range(1, CELLS, 2))
    condition = " AND ".join(
        [
            _live(expr, at),
            f"attribute_exists(#tokens.{expr.name('omark', Mark.O.value)})",
            f"#board[{index}] = {blank}",
            f"((#players.{conn} = {x} AND #moves IN ({even})) OR (#players.{conn} = {o} AND #moves IN ({odd})))",
            _no_line_complete(),
            "attribute_not_exists(#bot)",
            _in_time(expr, at),
        ]
    )
    one = expr.value("one", {"N": "1"})
    ttl = expr.value("ttl", {"N": str(at + settings.game_ttl_seconds())})
    update = f"SET #board[{index}] = #players.{conn}, #moves = #moves + {one}, #v = #v + {one}, #ttl = {ttl}, {_deadline(expr, at)}"
    try:
        result = _call("update_item", **expr.request(game_id, update, condition))
    except _ConditionFailed as failed:
        record = _record_or_none(failed.item, at)
        if record is not None and record.computer is not None:
            raise AgainstComputer(record) from None
        if record is not None and record.clock is not None and record.forfeit is None:
            late = record.clock.loser(record.game, at)
            if late is not None and record.players.get(player) is late:
                raise TimeUp(record, late) from None
        raise diagnose_move(record, player, index) from None
    assert result is not None
    return GameRecord.from_item(result["Attributes"])


def _deadline(expr: _Expression, at: int) -> str:
    """The SET clause that restarts the clock: deadline = clock + now (now alone without one)."""
    return f"#deadline = if_not_exists(#clock, {expr.value('zero', {'N': '0'})}) + {expr.value('now', {'N': str(at)})}"


def _in_time(expr: _Expression, at: int) -> str:
    """The condition that a move beats the clock (always true in a game without one)."""
    return (
        f"((attribute_not_exists(#clock) OR #deadline >= {expr.value('now', {'N': str(at)})})"
        " AND attribute_not_exists(#forfeit))"
    )


class TimeUp(Exception):
    """A move came after its player's deadline (nothing was written): `loser` lost on time,
    which `functions.clock` settles."""

    def __init__(self, record: GameRecord, loser: Mark) -> None:
        super().__init__(record.game_id)
        self.record = record
        self.loser = loser


def settle_timeout(game_id: str, loser: Mark, claimer: str | None = None) -> GameRecord:
    """Record that `loser` lost on time, in one conditional update: the game has a clock whose
    deadline has passed, nobody has forfeited, the game is not over, and `loser` is to move
    (and, for a claim, `claimer`'s connection holds the other seat). Raises `Mismatch` with
    the item as it is when any of that does not hold."""
    at = now()
    expr = _Expression()
    parity = range(0, CELLS, 2) if loser is Mark.X else range(1, CELLS, 2)
    to_move = ", ".join(expr.value(f"m{k}", {"N": str(k)}) for k in parity)
    expr.value("blank", {"S": BLANK})
    conditions = [
        _live(expr, at),
        f"attribute_exists(#clock) AND #deadline < {expr.value('now', {'N': str(at)})}",
        "attribute_not_exists(#forfeit)",
        f"attribute_exists(#tokens.{expr.name('omark', Mark.O.value)})",
        f"#moves IN ({to_move})",
        _no_line_complete(),
    ]
    if claimer is not None:
        conn = expr.name("conn", claimer)
        conditions.append(f"#players.{conn} = {expr.value('winner', {'S': loser.other.value})}")
    update = f"SET #forfeit = {expr.value('loser', {'S': loser.value})}, #v = #v + {expr.value('one', {'N': '1'})}"
    return _update_game(expr, game_id, update, " AND ".join(conditions), at)


def resign_game(game_id: str, player: str) -> GameRecord:
    """Record that `player`'s connection resigned, in one conditional update: it holds a seat
    in this live game, o has joined, nobody has forfeited and the game is not won or drawn.
    Its mark becomes the loser (`forfeit`, with `resigned`). Raises `Mismatch` with the item
    as it is when any of that does not hold."""
    at = now()
    expr = _Expression()
    conn = expr.name("conn", player)
    expr.value("blank", {"S": BLANK})
    conditions = [
        _live(expr, at),
        f"attribute_exists(#players.{conn})",
        f"attribute_exists(#tokens.{expr.name('omark', Mark.O.value)})",
        "attribute_not_exists(#forfeit)",
        f"#moves < {expr.value('cells', {'N': str(CELLS)})}",
        _no_line_complete(),
    ]
    one = expr.value("one", {"N": "1"})
    update = f"SET #forfeit = #players.{conn}, #resigned = {expr.value('true', {'BOOL': True})}, #v = #v + {one}"
    return _update_game(expr, game_id, update, " AND ".join(conditions), at)


def answer_rematch(game_id: str, player: str, accept: bool) -> GameRecord:
    """Record `player`'s answer to a rematch of a finished game, in one conditional update:
    the game is over (won, drawn or forfeited), not against the computer, `player`'s
    connection holds a seat, nobody declined, and `player` has not asked before. An
    acceptance is `again_{connection}`, a refusal `declined`: both keyed so that no read is
    needed. Returns the game after (its `again` says whether the opponent asked too); raises
    `Mismatch` with the item as it is when any of that does not hold."""
    at = now()
    expr = _Expression()
    conn = expr.name("conn", player)
    declined = expr.name("declined", DECLINED)
    again = expr.name("again", AGAIN + player)
    nine = expr.value("nine", {"N": str(CELLS)})
    expr.value("blank", {"S": BLANK})
    finished = f"(#moves = {nine} OR attribute_exists(#forfeit) OR NOT ({_no_line_complete()}))"
    condition = " AND ".join(
        [
            _live(expr, at),
            f"attribute_exists(#players.{conn})",
            finished,
            f"attribute_not_exists({declined})",
            f"attribute_not_exists({again})",
            "attribute_not_exists(#bot)",
        ]
    )
    if accept:
        answer = f"{again} = {expr.value('true', {'BOOL': True})}"
    else:
        answer = f"{declined} = {expr.value('who', {'S': player})}"
    update = f"SET {answer}, #v = #v + {expr.value('one', {'N': '1'})}"
    return _update_game(expr, game_id, update, condition, at)


def create_rematch(previous: GameRecord, game_id: str, tokens: dict[Mark, str]) -> GameRecord:
    """Put the rematch of `previous` as a new game `game_id`: its connections in each other's
    seats (the previous o plays x and moves first) with `tokens` as their resume tokens,
    their `acks` and `watchers` requests following them, its spectators, and its clock (x's
    running from now). The id must be new (conditional put)."""
    at = now()
    item: dict[str, Any] = {
        HASH_KEY: {"S": game_id},
        TTL_ATTRIBUTE: {"N": str(at + settings.game_ttl_seconds())},
        "board": {"L": [{"S": BLANK}] * CELLS},
        "moves": {"N": "0"},
        "players": {
            "M": {conn: {"S": mark.other.value} for conn, mark in previous.players.items()}
        },
        "tokens": {"M": {mark.value: {"S": token_hash(t)} for mark, t in tokens.items()}},
        "acks": {"M": {m.other.value: {"BOOL": True} for m in previous.acks}},
        "v": {"N": "1"},
        "watchers": {"M": {w: {"BOOL": True} for w in previous.watchers}},
        "counts": {"M": {m.other.value: {"BOOL": True} for m in previous.counts}},
        "previous": {"S": previous.game_id},
    }
    if previous.clock is not None:
        item["clock"] = {"N": str(previous.clock.seconds)}
        item["deadline"] = {"N": str(at + previous.clock.seconds)}
    return _put_new(item)


class AgainstComputer(Exception):
    """`play_move` found a game against the computer, which `functions.computer` plays
    (nothing was written). `record` is the game as it is."""

    def __init__(self, record: GameRecord) -> None:
        super().__init__(record.game_id)
        self.record = record


def write_board(
    game_id: str,
    player: str,
    mark: Mark,
    after: Game,
    *,
    condition: str,
    values: dict[str, Any],
    ttl: int,
) -> GameRecord:
    """Set the whole board to `after` (several moves at once, as in a game against the
    computer), if the game is live, `player`'s connection holds `mark`, and `condition`
    (over `#board`, `#bot`, `#v` and the placeholders in `values`) holds. Raises `Mismatch`
    with the item as it is when a condition fails."""
    at = now()
    expr = _Expression()
    conn = expr.name("conn", player)
    for key, value in values.items():
        expr.value(key.lstrip(":"), value)
    expr.name("bmark", "mark")
    expr.name("blevel", "level")
    board = expr.value("board", {"L": [{"S": cell} for cell in after.board]})
    moves = expr.value("moves", {"N": str(after.moves)})
    one = expr.value("one", {"N": "1"})
    update = f"SET #board = {board}, #moves = {moves}, #v = #v + {one}, #ttl = {expr.value('ttl', {'N': str(ttl)})}"
    full = f"{_live(expr, at)} AND #players.{conn} = {expr.value('mark', {'S': mark.value})} AND {condition}"
    return _update_game(expr, game_id, update, full, at)


class Mismatch(Exception):
    """A write's condition failed; `record` is the live game as it is, or None if there is none."""

    def __init__(self, record: GameRecord | None) -> None:
        super().__init__("condition failed")
        self.record = record


def diagnose_move(record: GameRecord | None, player: str, index: int) -> GameError:
    """Why a move's conditional write was refused, given the item as it was."""
    if record is None:
        return game_not_found()
    mark = record.players.get(player)
    if mark is None:
        return not_a_player()
    if record.forfeit is not None:
        return record.game_over()
    if Mark.O not in record.tokens:
        return GameError(ErrorCode.NOT_YOUR_TURN, "Wait for an opponent to join before you play.")
    try:
        record.game.check(mark, index)
    except GameError as error:
        return error
    return store_unavailable()  # the item changed in between: nothing was written; try again


def detach(game_id: str, connection_id: str) -> GameRecord | None:
    """Remove a connection from its game (it closed, or `@connections` answered 410).
    Returns the game after, or None when the connection was no longer attached."""
    left = _detach(game_id, connection_id, unless_over=False)
    return left[1] if left else None


def leave(game_id: str, connection_id: str) -> tuple[Mark, GameRecord] | None:
    """Detach a closed connection from a game that is not over. Returns the mark it held
    and the game after, or None when it no longer held a seat there or the game is over
    (nobody need hear of it)."""
    return _detach(game_id, connection_id, unless_over=True)


def _detach(game_id: str, connection_id: str, unless_over: bool) -> tuple[Mark, GameRecord] | None:
    at = now()
    expr = _Expression()
    conn = expr.name("conn", connection_id)
    update = f"REMOVE #players.{conn} SET #v = #v + {expr.value('one', {'N': '1'})}"
    condition = f"{_live(expr, at)} AND attribute_exists(#players.{conn})"
    if unless_over:
        expr.value("blank", {"S": BLANK})  # `_no_line_complete` names it
        cells = expr.value("cells", {"N": str(CELLS)})
        condition += f" AND #moves < {cells} AND {_no_line_complete()}"
    request = expr.request(game_id, update, condition)
    request["ReturnValues"] = "ALL_OLD"
    try:
        result = _call("update_item", **request)
    except _ConditionFailed:
        return None
    assert result is not None
    before = GameRecord.from_item(result["Attributes"])
    players = {c: m for c, m in before.players.items() if c != connection_id}
    return before.players[connection_id], before._replace(
        players=players, version=before.version + 1
    )


def attach(
    record: GameRecord, mark: Mark, connection_id: str, ack: bool, *, watchers: bool = False
) -> GameRecord:
    """Attach `connection_id` as `mark` in place of whatever connection had it, if the item is
    still at `record.version`. Raises `_Stale` if something else was written first."""
    at = now()
    expr = _Expression()
    new = expr.name("new", connection_id)
    update = "SET " + ", ".join(_seat(expr, new, mark, ack, watchers))
    old = record.connection_of(mark)
    if old is not None and old != connection_id:
        update += f" REMOVE #players.{expr.name('old', old)}"
    condition = f"{_live(expr, at)} AND #v = {expr.value('version', {'N': str(record.version)})}"
    try:
        result = _call("update_item", **expr.request(record.game_id, update, condition))
    except _ConditionFailed as failed:
        if _record_or_none(failed.item, at) is None:
            raise game_not_found() from None
        raise Stale() from None
    assert result is not None
    return GameRecord.from_item(result["Attributes"])


def add_watcher(game_id: str, connection_id: str, cap: int) -> GameRecord:
    """Add a spectator, in one conditional update: the game is live and has fewer than `cap`
    spectators (or already counts this one: watching twice is watching once). Raises
    `Mismatch` with the item as it is when the game is gone or full."""
    at = now()
    expr = _Expression()
    conn = expr.name("conn", connection_id)
    update = f"SET #watchers.{conn} = {expr.value('true', {'BOOL': True})}"
    condition = (
        f"{_live(expr, at)} AND (size(#watchers) < {expr.value('cap', {'N': str(cap)})}"
        f" OR attribute_exists(#watchers.{conn}))"
    )
    return _update_game(expr, game_id, update, condition, at)


def remove_watcher(game_id: str, connection_id: str) -> GameRecord | None:
    """Remove a spectator (it closed, or was found gone). Returns the game after, or None when
    it was not watching (any more)."""
    at = now()
    expr = _Expression()
    conn = expr.name("conn", connection_id)
    condition = f"{_live(expr, at)} AND attribute_exists(#watchers.{conn})"
    try:
        result = _call(
            "update_item", **expr.request(game_id, f"REMOVE #watchers.{conn}", condition)
        )
    except _ConditionFailed:
        return None
    assert result is not None
    return GameRecord.from_item(result["Attributes"])


LOBBY_KEY = "lobby"
"""The one quick-match item: the game of the player waiting to be paired, if any."""


class _Lobby(NamedTuple):
    """The lobby item's attributes, as one request's placeholders."""

    game: str
    conn: str
    until: str

    @classmethod
    def named_in(cls, expr: _Expression) -> _Lobby:
        return cls(
            expr.name("lgame", "game"), expr.name("lconn", "conn"), expr.name("until", "until")
        )

    def emptied(self) -> str:
        """The update that empties the lobby."""
        return f"REMOVE {self.game}, {self.conn}, {self.until}"


def _update_lobby(
    expr: _Expression, update: str, condition: str, *, returning: str = "ALL_NEW"
) -> dict[str, Any] | None:
    """Send one conditional update of the lobby item. Returns its attributes as `returning`
    asks (after, or before the update), or None when the condition failed: nothing changed."""
    request = expr.request(LOBBY_KEY, update, condition)
    request["ReturnValues"] = returning
    try:
        result = _call("update_item", **request)
    except _ConditionFailed:
        return None
    assert result is not None
    attributes: dict[str, Any] = result.get("Attributes", {})
    return attributes


def take_waiting(taker: str) -> str | None:
    """Take the game of the player waiting for a quick match, in one conditional update that
    empties the lobby: it holds a game whose offer has not expired, and not `taker`'s own.
    Returns that game's id, or None when nobody (else) is waiting. Two takers can never take
    the same game: the second finds the lobby empty."""
    expr = _Expression()
    lobby = _Lobby.named_in(expr)
    condition = (
        f"attribute_exists({lobby.game}) AND {lobby.until} > {expr.value('now', {'N': str(now())})}"
        f" AND {lobby.conn} <> {expr.value('me', {'S': taker})}"
    )
    taken = _update_lobby(expr, lobby.emptied(), condition, returning="ALL_OLD")
    return None if taken is None else str(taken["game"]["S"])


def offer_waiting(game_id: str, waiter: str, until: int) -> bool:
    """Put `game_id` in the lobby for `waiter` until `until` (epoch seconds), if the lobby is
    empty or its offer expired: one conditional update. False when another player is waiting."""
    expr = _Expression()
    lobby = _Lobby.named_in(expr)
    update = (
        f"SET {lobby.game} = {expr.value('game', {'S': game_id})},"
        f" {lobby.conn} = {expr.value('conn', {'S': waiter})},"
        f" {lobby.until} = {expr.value('until', {'N': str(until)})},"
        f" #ttl = {expr.value('ttl', {'N': str(until)})}"
    )
    condition = f"attribute_not_exists({lobby.game}) OR {lobby.until} <= {expr.value('now', {'N': str(now())})}"
    return _update_lobby(expr, update, condition) is not None


def withdraw_waiting(game_id: str) -> None:
    """Empty the lobby if it still offers `game_id` (its player left)."""
    expr = _Expression()
    lobby = _Lobby.named_in(expr)
    _update_lobby(expr, lobby.emptied(), f"{lobby.game} = {expr.value('game', {'S': game_id})}")


def delete_unjoined(game_id: str) -> None:
    """Delete a game nobody joined (a quick-match game that was never offered)."""
    expr = _Expression()
    try:
        _call(
            "delete_item",
            TableName=settings.table_name(),
            Key={HASH_KEY: {"S": game_id}},
            ConditionExpression=f"attribute_not_exists(#tokens.{expr.name('omark', Mark.O.value)})",
            ExpressionAttributeNames={"#tokens": "tokens", "#omark": Mark.O.value},
        )
    except _ConditionFailed:
        pass


class Stale(Exception):
    """The item changed between a read and the conditional write that depended on it."""


# ---- reads ------------------------------------------------------------------------------


def load_game(game_id: str) -> GameRecord | None:
    """The live game with that id, or None if there is none or it has expired."""
    result = _call(
        "get_item",
        TableName=settings.table_name(),
        Key={HASH_KEY: {"S": game_id}},
        ConsistentRead=True,
    )
    assert result is not None
    return _record_or_none(result.get("Item"), now())


class Connection(NamedTuple):
    """A connection's item: the games it holds a seat in, and those it watches, sorted."""

    games: list[str]
    watching: list[str]


def connection(connection_id: str) -> Connection:
    """What `connection_id` plays and watches (see `claim_seat`, `add_watching`)."""
    result = _call(
        "get_item",
        TableName=settings.table_name(),
        Key={HASH_KEY: {"S": CONNECTION_PREFIX + connection_id}},
        ConsistentRead=True,
    )
    assert result is not None
    item = result.get("Item") or {}
    return Connection(
        sorted(item.get("games", {}).get("SS", [])),
        sorted(item.get("watching", {}).get("SS", [])),
    )


def seats_of(connection_id: str) -> list[str]:
    """The ids of the games `connection_id` holds a seat in (see `claim_seat`), sorted."""
    return connection(connection_id).games
