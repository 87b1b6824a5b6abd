"""The connection loop: frames between the socket, a `Session`, the player's moves and the `View`.

One `Runner.run()` plays one game to its end and returns the process exit code
(`ExitCode`). It reconnects by itself when the connection drops mid-game: a bounded
number of attempts with exponential backoff, each announced on a "reconnecting" line,
then `resume` with the token; the `state` that answers is the truth, and a move that
had not reached the board is sent again (see `client.session`). It keeps the
connection alive under API Gateway's 10-minute idle timeout with the protocol's own
`{"type":"ping"}` after `keepalive` seconds without sending anything (whether frames
from the server count as activity is not documented, so only our own count); a ping
left unanswered for `pong_timeout` seconds means a dead connection. It sends nothing
the protocol does not define.

The server answers each of our moves with a `state` (we ask for `ack`, see
`client.session`), so a result is shown only once the server has decided it. When no
answer comes within `answer_timeout`, or the server fails while handling the move
("Internal server error"), the outcome is unknown: the runner reconnects and resumes,
and the `state` that answers decides.

When every reconnect attempt is refused, or answered 410 Gone by a server shutting down
(the server that hosted the game is gone, as when the player running `xo new` closed it),
the game cannot continue: the player is told so, not to resume, and the save is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
import signal
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from client.board import outcome_sentence, read_tile
from client.exitcodes import ExitCode
from client.moves import RESIGN_COMMAND, Move, Moves, is_resign
from client.session import (
    Created,
    Failed,
    Ignored,
    Joined,
    Moved,
    NotJoinedYet,
    OpponentBack,
    OpponentLeft,
    Over,
    Resend,
    Resumed,
    Role,
    SeatTaken,
    Session,
    Unsettled,
    Update,
    Watchers,
)
from client.view import View
from game.errors import GameError
from game.protocol import (
    MATCH_OFFER_SECONDS,
    Claim,
    Ping,
    Rematch,
    encode,
    parse_event,
    request_message,
)
from game.rules import Mark

KEEPALIVE_SECONDS = 9 * 60.0
"""API Gateway closes a connection idle for 10 minutes."""
OPEN_TIMEOUT_SECONDS = 10.0
PONG_TIMEOUT_SECONDS = 30.0
"""A ping unanswered this long means the connection is dead (reconnect)."""
ANSWER_TIMEOUT_SECONDS = 10.0
"""After our move, how long to wait for the server's answer (`state` or `error`) before the
outcome counts as unknown and the runner resynchronises."""
REMATCH_WAIT_SECONDS = 60.0
"""How long to wait for the opponent's answer to a rematch before leaving."""
CLAIM_GRACE_SECONDS = 1.0
"""Turn clock: how long after the opponent's time is up (by our clock) we claim the win, so
that a move sent at the last moment arrives first."""
OFFER_GRACE_SECONDS = 3.0
"""`xo play` waits this long past its offer's lifetime before it stops, so that a pairing made
in the offer's last moment reaches it first."""
LEAVE_CONFIRM_SECONDS = 5.0
"""A hosting player confirms leaving with a second Ctrl-C within this time."""
RETRYABLE_CODES = frozenset({"unavailable", "internal"})
OPPONENT_LEFT = "Your opponent left; waiting for them to come back..."
OPPONENT_AWAY = "Your opponent is away; waiting for them to come back..."
"""Said instead of `OPPONENT_LEFT` when the creator had already gone when we joined."""
MOVE_HINT = (
    "Type a cell: row,column (1,1), a1 to c3 (a1 top left), or 1-9 (1 2 3 on top);"
    f" {RESIGN_COMMAND} gives up."
)
BUSY_RETRIES = 5
"""Moves refused as `unavailable` (nothing written) in a row before `xo` gives up (exit 1)."""


def backoff(attempt: int, base: float = 0.25, cap: float = 8.0) -> float:
    """Seconds before reconnect `attempt` (1, 2, ...): exponential with jitter, capped."""
    delay = min(cap, base * 2.0 ** (attempt - 1))
    return delay * random.uniform(0.8, 1.2)


@dataclass
class Options:
    """The knobs of a game; the CLI's defaults are these."""

    opponent_timeout: float = 300.0
    retries: int = 5
    keepalive: float = KEEPALIVE_SECONDS
    answer_timeout: float = ANSWER_TIMEOUT_SECONDS
    backoff: Callable[[int], float] = backoff
    open_timeout: float = OPEN_TIMEOUT_SECONDS
    pong_timeout: float = PONG_TIMEOUT_SECONDS
    rematch: bool = False
    """Ask for one rematch when the game ends, without asking the player (scripts); a person
    at a terminal is asked "Play again? [y/N]" otherwise."""
    rematch_wait: float = REMATCH_WAIT_SECONDS
    offer_wait: float = MATCH_OFFER_SECONDS
    """Quick match: how long the server keeps our offer (PROTOCOL.md); when it lapses with
    nobody paired, the run stops (`ExitCode.NOBODY_CAME`)."""


class _Done(Exception):
    """Ends the run with an exit code (raised from deep inside the loop)."""

    def __init__(self, code: ExitCode) -> None:
        super().__init__(code)
        self.code = code


class _Retry(Exception):
    """Treat this connection as dropped: a ping went unanswered, or a resume failed transiently."""


class Runner:
    """Plays one game. Hooks: `on_created(session)` when our game exists (print its id),
    `save(session)` when we hold a token (and when the board changes), `forget(session)` when
    the game is over or gone. `confirm_leave`: this process hosts the game, so a Ctrl-C while
    it is under way asks for a second one before leaving."""

    def __init__(
        self,
        url: str,
        session: Session,
        moves: Moves,
        view: View,
        options: Options | None = None,
        *,
        on_created: Callable[[Session], None] | None = None,
        save: Callable[[Session], None] | None = None,
        forget: Callable[[Session], None] | None = None,
        resume_hint: bool = True,
        confirm_leave: bool = False,
        resume_command: str = "xo resume",
        play_command: str = "xo play",
    ) -> None:
        self.url = url
        self.session = session
        self.moves = moves
        self.view = view
        self.options = options or Options()
        self._on_created = on_created or (lambda session: None)
        self._save = save or (lambda session: None)
        self._forget = forget or (lambda session: None)
        self.resume_hint = resume_hint
        self.confirm_leave = confirm_leave
        self.resume_command = resume_command
        self.play_command = play_command
        self._leave_asked: float | None = None
        self._leaving = False
        self._input: asyncio.Task[Move | None] | None = None
        self._typed: asyncio.Task[str | None] | None = None
        """Watches for lines typed while it is not our turn (at a terminal)."""
        self._hinted = False
        self._last_sent = time.monotonic()
        self._opponent_deadline: float | None = None
        self._offer_deadline: float | None = None
        """Quick match: when our offer has lapsed (monotonic), while nobody has taken it."""
        self._ping_sent: float | None = None
        self._answer_deadline: float | None = None
        """When our sent move's outcome counts as unknown (no `state` or `error` came)."""
        self._offered = False
        """The opponent asked for a rematch of this game."""
        self._rematched = False
        self._clock_deadline: float | None = None
        """Turn clock: when the player to move runs out of time (monotonic), if the game has one."""
        self._claimed = False
        """Turn clock: we claimed the win since the clock last changed (claim once)."""
        self._gone_text = OPPONENT_LEFT
        """What the wait says while the opponent is gone (left, or away when we joined)."""
        self._drawn: tuple[str, ...] | None = None
        self._saved: tuple[str, ...] | None = None
        """The confirmed board last handed to `save`."""
        self._connections = 0
        self._failures = 0
        self._refused = 0
        """Consecutive reconnect attempts refused outright (nothing listening, or a server
        shutting down: `_server_gone`)."""
        self._announced_turn = False
        self._last_move_scripted = False
        self._last_move: Move | None = None
        self._busy = 0

    # ---- the whole game -----------------------------------------------------------------

    async def run(self) -> ExitCode:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        watching = False
        if self.confirm_leave and task is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGINT, self._on_interrupt, task)
                watching = True
        try:
            return await self._run()
        except _Done as done:
            return done.code
        except asyncio.CancelledError:
            if not self._leaving:
                raise
            self.view.warn(f"You left: the game is over{self._for_both}.")
            return ExitCode.INTERRUPTED
        finally:
            if watching:
                loop.remove_signal_handler(signal.SIGINT)
            self.view.stop()
            if self._input is not None:
                self._input.cancel()
            self._stop_watching()
            self.moves.close()

    def _on_interrupt(self, task: asyncio.Task[ExitCode]) -> None:
        """Ctrl-C in a hosting `xo new`: leave at once unless a game is under way at a terminal;
        then leave on a second Ctrl-C within `LEAVE_CONFIRM_SECONDS`."""
        now = time.monotonic()
        under_way = self.session.opponent_joined and not self.session.over
        asked = self._leave_asked is not None and now - self._leave_asked <= LEAVE_CONFIRM_SECONDS
        if asked or not under_way or not self.moves.stdin_is_terminal:
            self._leaving = True
            task.cancel()
            return
        self._leave_asked = now
        self.view.warn(
            f"Leaving ends the game{self._for_both}: "
            f"Ctrl-C again within {LEAVE_CONFIRM_SECONDS:g} s to leave."
        )
        self._announced_turn = False
        self._render()  # the prompt again, below the warning

    @property
    def _for_both(self) -> str:
        """The words " for both players" when a person plays the other seat (not the computer)."""
        return "" if self.session.computer is not None else " for both players"

    async def _run(self) -> ExitCode:
        while True:
            reason = ""
            try:
                async with (
                    connect(
                        self.url,
                        open_timeout=_open_timeout(self.url, self.options.open_timeout),
                        close_timeout=2,
                        ping_interval=None,  # API Gateway does not answer protocol pings; `{"type":"ping"}` does
                    ) as ws
                ):
                    self._connections += 1
                    return await self._play(ws)
            except InvalidURI as error:
                self._fail(ExitCode.USAGE, f"{self.url!r} is not a WebSocket URL ({error}).")
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, _Retry) as error:
                reason = _describe(error, self.url)
                self._refused = self._refused + 1 if _server_gone(error) else 0
            if self.session.over and self.session.pending is None:
                return self._finish()
            if not self.session.can_resume:
                if self._connections == 0:
                    self._fail(
                        ExitCode.CONNECTION_LOST, f"Could not connect to {self.url}: {reason}."
                    )
                self._fail(
                    ExitCode.CONNECTION_LOST,
                    f"The connection was lost before the game started: {reason}.",
                )
            self._failures += 1
            if self._failures > self.options.retries and self._refused >= max(
                1, self.options.retries
            ):
                self._forget(self.session)
                self._fail(
                    ExitCode.OPPONENT_GONE,
                    f"The game server at {self.url} is gone (it refused all "
                    f"{self.options.retries} reconnection attempts), so this game cannot continue. "
                    "If it was hosted by the other player's `xo new`, they closed it.",
                )
            if self._failures > self.options.retries:
                self._fail(
                    ExitCode.CONNECTION_LOST,
                    f"The connection was lost and could not be resumed after {self.options.retries} attempts: {reason}.",
                    hint=True,
                )
            delay = self.options.backoff(self._failures)
            self.view.warn(
                f"Connection lost ({reason}); reconnecting in {delay:.1f} s "
                f"(attempt {self._failures} of {self.options.retries})..."
            )
            await asyncio.sleep(delay)

    # ---- one connection -------------------------------------------------------------------

    async def _play(self, ws: ClientConnection) -> ExitCode:
        await self._send(ws, self.session.hello())
        receive: asyncio.Task[str | bytes] = asyncio.ensure_future(ws.recv())
        try:
            while True:
                if self.session.over and self.session.pending is None:
                    code = self._finish()
                    again = await self._rematch(ws, receive)
                    if again is None:
                        return code
                    receive = again
                    continue
                self._render()
                waiting: set[asyncio.Future[Any]] = {receive}
                if self.session.wants_move:
                    self._stop_watching()
                    if self._input is None:
                        self._input = asyncio.ensure_future(self.moves.next())
                    waiting.add(self._input)
                elif self._input is None:
                    if self._typed is None and self.moves.watches_turn:
                        self._typed = asyncio.ensure_future(self.moves.typed_out_of_turn())
                    if self._typed is not None:  # may be done already: a frame came with it
                        waiting.add(self._typed)
                done, _ = await asyncio.wait(
                    waiting, timeout=self._timeout(), return_when=asyncio.FIRST_COMPLETED
                )
                if receive in done:
                    raw = receive.result()  # raises ConnectionClosed when the connection dropped
                    receive = asyncio.ensure_future(ws.recv())
                    self._ping_sent = None
                    await self._on_frame(ws, raw)
                elif self._input is not None and self._input in done:
                    move, self._input = self._input.result(), None
                    await self._on_move(ws, move)
                elif self._typed is not None and self._typed in done:
                    line, self._typed = self._typed.result(), None
                    if line is None:  # Ctrl-D while the opponent thinks: leave, as at the prompt
                        await self._on_move(ws, None)
                    if line is not None and is_resign(line):
                        await self._resign(ws)
                    else:
                        self.view.warn("Not your turn yet: that line was dropped.")
                else:
                    await self._on_timeout(ws)
        finally:
            receive.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed, Exception):
                await receive

    # ---- rematch --------------------------------------------------------------------------

    async def _rematch(
        self, ws: ClientConnection, receive: asyncio.Task[str | bytes]
    ) -> asyncio.Task[str | bytes] | None:
        """After a game: ask for a rematch (if the player wants one) and wait for the answer.
        Returns the receive task to go on with in the new game, or None to leave."""
        session = self.session
        if session.game_id is None or session.mark is None or session.computer is not None:
            return None
        if not await self._wants_rematch():
            if self._offered:  # tell the opponent, who is waiting for an answer
                await self._send(ws, request_message(Rematch(session.game_id, accept=False)))
            return None
        await self._send(ws, request_message(Rematch(session.game_id)))
        self.view.wait("Waiting for your opponent to answer the rematch...")
        deadline = time.monotonic() + self.options.rematch_wait
        while (left := deadline - time.monotonic()) > 0:
            done, _ = await asyncio.wait({receive}, timeout=left)
            if not done:
                break
            raw = receive.result()
            receive = asyncio.ensure_future(ws.recv())
            try:
                event = parse_event(raw)
            except ValueError:
                continue
            if event.type == "rematch" and event.id and event.token and event.mark:
                self._start_rematch(event.id, event.token, event.mark)
                return receive
            if event.type == "rematch_declined" or (
                event.type == "error" and event.code == "no_rematch"
            ):
                self.view.say("Your opponent declined the rematch.")
                return None
        self.view.say("Your opponent did not answer the rematch.")
        return None

    async def _wants_rematch(self) -> bool:
        if self.options.rematch and not self._rematched:
            self._rematched = True  # scripted: one rematch, then the script is done
            self.view.say("Asking for a rematch.")
            return True
        if not self.moves.stdin_is_terminal:
            return False
        self._stop_watching()  # the answer is ours, not a line typed out of turn
        text = "Play again? [y/N] "
        if self.moves.shows_prompt:
            self.moves.prompt = text  # the line editor shows it
            self.view.prompt_shown()
        else:
            self.view.prompt(text)
        answer = await self.moves.next()
        self.view.answered()
        return answer is not None and answer.text.strip().lower() in ("y", "yes")

    def _start_rematch(self, game_id: str, token: str, mark: Mark) -> None:
        """The rematch started: a new session on this connection, marks swapped."""
        previous = self.session
        self.session = Session(
            Role.JOIN,
            game_id=game_id,
            token=token,
            mark=mark,
            opponent_joined=True,
            clock=previous.clock,
        )
        self._drawn = None
        self._announced_turn = False
        self._offered = False
        self._clock_deadline = None
        self._claimed = False
        self._answer_deadline = None
        self._save(self.session)
        first = " and move first" if mark is Mark.X else ""
        self.view.say(f"Rematch: game {game_id}, you are {mark}{first}.")

    def _timeout(self) -> float | None:
        now = time.monotonic()
        deadlines = [self._last_sent + self.options.keepalive]
        if self._ping_sent is not None:
            deadlines.append(self._ping_sent + self.options.pong_timeout)
        if self._opponent_deadline is not None and not self.session.wants_move:
            deadlines.append(self._opponent_deadline)
        if self._answer_deadline is not None:
            deadlines.append(self._answer_deadline)
        if self._offer_deadline is not None and not self.session.opponent_joined:
            deadlines.append(self._offer_deadline)
        if self._clock_deadline is not None and self._may_claim():
            deadlines.append(self._clock_deadline + CLAIM_GRACE_SECONDS)
        return max(0.0, min(deadlines) - now)

    def _may_claim(self) -> bool:
        """The opponent is to move in a game with a clock, and we have not claimed yet."""
        session = self.session
        return (
            not self._claimed
            and session.mark is not None
            and not session.over
            and session.game.turn is session.mark.other
            and session.opponent_joined
        )

    async def _on_timeout(self, ws: ClientConnection) -> None:
        now = time.monotonic()
        if self._ping_sent is not None and now >= self._ping_sent + self.options.pong_timeout:
            self._ping_sent = None
            raise _Retry(f"no answer to a ping in {self.options.pong_timeout:g} s")
        if self._answer_deadline is not None and now >= self._answer_deadline:
            self._answer_deadline = None
            if self.session.pending is not None:
                raise _Retry(f"no answer to your move in {self.options.answer_timeout:g} s")
        if (
            self._offer_deadline is not None
            and now >= self._offer_deadline
            and not self.session.opponent_joined  # taken while we were reconnecting
        ):
            self._forget(self.session)  # nobody can take the offer now: nothing to resume
            self._fail(
                ExitCode.NOBODY_CAME,
                f"Nobody came to play within {_duration(self.options.offer_wait)}, so your offer "
                f"lapsed: run `{self.play_command}` again to wait again.",
            )
        if (
            self._opponent_deadline is not None
            and now >= self._opponent_deadline
            and not self.session.wants_move
        ):
            self._fail(
                ExitCode.OPPONENT_GONE,
                f"Your opponent did not come back within {self.options.opponent_timeout:g} seconds.",
                hint=True,
            )
        if (
            self._clock_deadline is not None
            and self._may_claim()
            and now >= self._clock_deadline + CLAIM_GRACE_SECONDS
        ):
            self._claimed = True  # the server answers with `timeout`, or says how long is left
            self.view.say("Your opponent's time is up: claiming the win.")
            await self._send(ws, request_message(Claim(self.session.game_id or "")))
        if now >= self._last_sent + self.options.keepalive and self._ping_sent is None:
            await self._send(ws, request_message(Ping()))
            self._ping_sent = time.monotonic()

    async def _send(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        await ws.send(encode(message))
        self._last_sent = time.monotonic()

    # ---- server frames --------------------------------------------------------------------

    async def _on_frame(self, ws: ClientConnection, raw: str | bytes) -> None:
        try:
            event = parse_event(raw)
        except ValueError as error:  # malformed or self-contradicting: never acted on
            self.view.warn(f"Ignored a frame that is not a valid server message ({error}).")
            return
        resuming = self.session.resuming
        if event.type == "rematch_offer" and event.id == self.session.game_id:
            self._offered = True
            self.view.say("Your opponent asks for a rematch.")
        if event.clock_remaining is not None and event.type in ("play", "state"):
            self._clock_deadline = time.monotonic() + event.clock_remaining
            self._claimed = False
        for update in self.session.handle(event):
            await self._apply(ws, update, resuming)
        if self.session.pending is None:
            self._answer_deadline = None

    async def _apply(self, ws: ClientConnection, update: Update, resuming: bool) -> None:
        session = self.session
        view = self.view
        match update:
            case Created():
                self._save(session)
                if session.role is Role.MATCH:  # we wait, offered to the next `xo play`
                    self._offer_deadline = (
                        time.monotonic() + self.options.offer_wait + OFFER_GRACE_SECONDS
                    )
                self._on_created(session)
            case Joined(us=True):
                self._save(session)
                view.say(f"Joined game {session.game_id}: you are {session.mark}.")
            case Joined(us=False):
                self._offer_deadline = None  # someone took our offer
                view.say(f"Your opponent joined: you are {session.mark}, and you move first.")
            case Moved():
                self._busy = 0
                self._opponent_is_here()
                self._announced_turn = False
            case Resumed(opponent_tiles=tiles):
                self._failures = 0
                if self._connections > 1 or session.role is not Role.RESUME:
                    view.warn("Reconnected: the game goes on.")
                else:
                    view.say(f"Resumed game {session.game_id}: you are {session.mark}.")
                if tiles:
                    other = session.mark.other if session.mark else "?"
                    view.say(f"While you were away, {other} played {', '.join(tiles)}.")
                self._announced_turn = False
                self._drawn = None
                self._answer_deadline = (
                    None  # the resumed state settled the move, or a Resend follows
                )
            case Resend(message=message):
                view.say(
                    f"Your move {message['tile']} did not arrive before the connection dropped: sending it again."
                )
                await self._send(ws, message)
                self._await_answer()
            case OpponentLeft(at_join=at_join):
                if self._opponent_deadline is None:
                    self._opponent_deadline = time.monotonic() + self.options.opponent_timeout
                    self._gone_text = OPPONENT_AWAY if at_join else OPPONENT_LEFT
                    if session.wants_move:  # else the wait (`_render`) says it
                        view.say(self._gone_text)
            case OpponentBack():
                self._opponent_is_here()
                view.say("Your opponent is back.")
            case NotJoinedYet(tile=tile, message=message):
                view.say(message)
                if self._last_move_scripted:
                    self.moves.push_back(Move(tile, True))
                self._announced_turn = False
            case SeatTaken(message=message):
                self._fail(ExitCode.SEAT_TAKEN, message)
            case Unsettled(reason=reason):
                raise _Retry(f"the outcome of your move is unknown ({reason})")
            case Ignored(reason=reason):
                view.warn(f"Ignored {reason}.")
            case Watchers(count=count):
                view.say(f"{count} watching." if count else "Nobody is watching now.")
            case Failed():
                self._on_failed(update, resuming)
            case Over():
                pass

    def _on_failed(self, failed: Failed, resuming: bool) -> None:
        useless = failed.code == "game_not_found" or (resuming and failed.code == "not_a_player")
        if useless:
            self._forget(self.session)
        if failed.code == "unavailable" and not resuming and self._last_move is not None:
            self._busy += 1
            if self._busy <= BUSY_RETRIES:  # nothing was written: the same move may be tried again
                self.view.warn(failed.message)
                if self._last_move.scripted:
                    self.moves.push_back(self._last_move)
                self._announced_turn = False
                return
        if resuming and self._connections > 1:
            if failed.code in RETRYABLE_CODES:
                raise _Retry(failed.message)
            self._fail(
                ExitCode.CONNECTION_LOST,
                f"The connection was lost and the game could not be resumed: {failed.message}",
            )
        self._fail(
            ExitCode.SERVER_ERROR,
            f"The server refused: {failed.message}",
            hint=not useless,
        )

    def _opponent_is_here(self) -> None:
        self._opponent_deadline = None

    # ---- the player's moves ---------------------------------------------------------------

    async def _on_move(self, ws: ClientConnection, move: Move | None) -> None:
        if move is None:
            if self.moves.stdin_is_terminal:
                self._fail(ExitCode.INTERRUPTED, "You left the game.", hint=True)
            self._fail(
                ExitCode.USAGE,
                "There are no more moves: the script ended before the game did.",
                hint=True,
            )
        if is_resign(move.text):
            if move.scripted:
                self.view.answer(move.text)
            else:
                self.view.answered()
            await self._resign(ws)
            return
        self._last_move_scripted = move.scripted
        self._last_move = move
        if move.scripted:
            self.view.answer(move.text)
        else:
            self.view.answered()
        try:
            index = read_tile(move.text)
            message = self.session.play(index)
        except GameError as error:
            if move.scripted:
                self._fail(
                    ExitCode.USAGE,
                    f"The scripted move {move.text!r} cannot be played: {error.message}",
                    hint=True,
                )
            self.view.say(f"{error.message} Try again.")
            self._announced_turn = False
            return
        await self._send(ws, message)
        self._await_answer()
        self._announced_turn = False
        if self.session.opponent_away:  # they get the full timeout to come back and answer
            self._opponent_deadline = time.monotonic() + self.options.opponent_timeout

    async def _resign(self, ws: ClientConnection) -> None:
        """Give up: the server's `resigned` (to both players) ends the game."""
        if not self.session.can_resign:
            self.view.warn("There is no game under way to resign (nobody has joined yet).")
            self._announced_turn = False
            return
        await self._send(ws, self.session.resign())
        self._announced_turn = False

    def _stop_watching(self) -> None:
        if self._typed is not None:
            self._typed.cancel()
            self._typed = None

    def _await_answer(self) -> None:
        """A move is sent: its `state` or `error` is due within `answer_timeout`."""
        self._answer_deadline = time.monotonic() + self.options.answer_timeout

    # ---- drawing --------------------------------------------------------------------------

    def _render(self) -> None:
        session = self.session
        view = self.view
        if session.resuming:
            view.wait("Resuming the game...")
            return
        if session.mark is None:
            return
        if session.opponent_joined:
            self._draw()
        if session.wants_move:
            if not self._announced_turn or self.view.prompt_interrupted:
                self._announced_turn = True
                if not self._hinted and self.moves.stdin_is_terminal:
                    self._hinted = True
                    view.say(MOVE_HINT)
                text = f"Your turn ({session.mark}): "
                if self._clock_deadline is not None:
                    left = max(0, int(self._clock_deadline - time.monotonic()))
                    text = f"Your turn ({session.mark}, {left} s left): "
                if self.moves.shows_prompt and self._input is None:
                    self.moves.prompt = text  # the line editor shows it, and redraws it
                    view.prompt_shown()
                else:
                    view.prompt(text)
        elif not session.opponent_joined:
            view.wait("Waiting for an opponent to join...")
        elif self._opponent_deadline is not None:
            view.wait(self._gone_text)
        elif session.game.turn is session.mark.other:
            view.wait(f"Waiting for {session.mark.other} to play...")

    def _draw(self) -> None:
        """The board, your mark and the opponent's last move, when the board changed."""
        session = self.session
        assert session.mark is not None
        if not session.over and self._saved != session.confirmed.board:
            self._saved = session.confirmed.board  # our own move, once the server confirms it
            self._save(session)
        if self._drawn == session.game.board:
            return
        before, self._drawn = self._drawn, session.game.board
        self.view.board(session.game, _last_move(before, session))
        line = f"You are {session.mark}."
        if session.last_opponent_tile:
            line += f" {session.mark.other}'s last move: {session.last_opponent_tile}."
        self.view.say(line)
        self._announced_turn = False

    # ---- endings ----------------------------------------------------------------------------

    def _finish(self) -> ExitCode:
        session = self.session
        assert session.mark is not None
        self._draw()
        self._forget(session)
        if session.loser is not None:
            won = session.loser is not session.mark
            if session.resigned:
                self.view.say("Your opponent resigned: you won." if won else "You resigned.")
            else:
                self.view.say(
                    "You won on time." if won else "You lost on time: your time to move ran out."
                )
            return ExitCode.WON if won else ExitCode.LOST
        self.view.say(outcome_sentence(session.game, session.mark))
        outcome = session.game.outcome
        if outcome == "draw":
            return ExitCode.DRAW
        return ExitCode.WON if outcome == session.mark.value else ExitCode.LOST

    def _fail(self, code: ExitCode, sentence: str, *, hint: bool = False) -> NoReturn:
        self.view.warn(sentence)
        if hint and self.resume_hint and self.session.can_resume and not self.session.over:
            self.view.warn(f"To carry on later: {self.resume_command} --id {self.session.game_id}")
        raise _Done(code)


def _duration(seconds: float) -> str:
    """`seconds` as a person reads it: "5 minutes", "1 second", "2.5 seconds"."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


def _last_move(before: tuple[str, ...] | None, session: Session) -> int | None:
    """The cell to mark as the last move: the one new cell since the board drawn before,
    else the opponent's last move."""
    board = session.game.board
    if before is not None:
        new = [i for i, (old, cell) in enumerate(zip(before, board, strict=True)) if old != cell]
        if len(new) == 1:
            return new[0]
    if session.last_opponent_tile is not None:
        with contextlib.suppress(GameError):
            return read_tile(session.last_opponent_tile)
    return None


LOOPBACK_OPEN_TIMEOUT_SECONDS = 3.0
"""A server on this machine answers at once: a TLS handshake it leaves unanswered (wss:// to a
plain ws:// server) fails after this, not after the full open timeout."""


def _open_timeout(url: str, timeout: float) -> float:
    parts = urlsplit(url)
    if parts.scheme == "wss" and _is_loopback(parts.hostname or ""):
        return min(timeout, LOOPBACK_OPEN_TIMEOUT_SECONDS)
    return timeout


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


SHUTTING_DOWN_STATUS = 410
"""A handshake answered 410 Gone: the server is stopping (the local emulator answers so while
its `$disconnect` handlers run, before it stops listening)."""


def _server_gone(error: BaseException) -> bool:
    """Whether a failed connection attempt says the server is gone: nothing listens at the
    address, or it answered the handshake 410 Gone (shutting down)."""
    if isinstance(error, InvalidStatus):
        return error.response.status_code == SHUTTING_DOWN_STATUS
    return isinstance(error, ConnectionRefusedError)


def _describe(error: BaseException, url: str = "") -> str:
    """Why a connection failed or ended, in a few words a person can act on."""
    if url.startswith("wss://") and isinstance(error, (TimeoutError, ssl.SSLError)):
        return (
            f"{'timed out' if isinstance(error, TimeoutError) else 'TLS failed'} (is it a plain "
            "ws:// server? The local emulator does not speak TLS: use ws://)"
        )
    if isinstance(error, InvalidStatus):
        status = error.response.status_code
        if status in (403, 404):
            return (
                f"the server has no WebSocket API at that path (HTTP {status}): check the "
                "URL's path, the stage (for example /local or /dev)"
            )
        if status == SHUTTING_DOWN_STATUS:
            return f"the server is shutting down (HTTP {status})"
        return f"the server refused the WebSocket (HTTP {status})"
    if isinstance(error, ConnectionClosed):
        if error.rcvd is not None:
            return f"closed by the server, code {error.rcvd.code}"
        return "the connection closed"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    text = str(error).strip()
    return text or type(error).__name__
