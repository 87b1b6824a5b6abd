"""Soak test: concurrent games with random drops and resumes on one `xo local`, for a fixed time.

Not part of the test suite, nor of `python -m benchmarks`: run it with
`python -m benchmarks.soak [--games N] [--seconds S]`.

Each of N game slots plays games back to back until the time is up (a game in progress
then finishes, with no more drops). Players pick random free tiles after a random
think time and ask for acknowledgements (`ack: true`), so every move they send gets a
definite answer while their connection lives: a `state` (accepted) or an `error`.
While a game is on, a dropper aborts one player's TCP connection at random moments
(`transport.abort()`: no close frame, as when a network dies); that player reconnects,
sends `resume` with its token, reads `state` and continues from the board it shows.
`opponent_left` / `opponent_back` are counted.

Every move a player sends is tracked:
- accepted: a `state` acknowledged it (or the opponent received it as `play`);
- refused: an error frame answered it (a refusal changes nothing);
- in flight at a drop: the connection died before any answer. The server may have
  applied it, or refused it to a connection already gone (for example when the
  `resume` from the new connection was applied first): the final board says which.

At the end of each game a fresh connection resumes once more and reads the server's
final board. A move is **lost** if it was sent, not refused, and is missing from that
board: accepted moves must all be there (this must be 0); moves in flight at a drop are
reported apart, with how many landed. Errors are printed by code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.players import Gone, Player
from benchmarks.procs import LocalServer, raise_fd_limit

ANSWER_TIMEOUT_S = 15.0


@dataclass
class Move:
    cell: int
    mark: str
    status: str = "pending"  # accepted | refused | in flight at drop | unanswered
    code: str | None = None


@dataclass
class Tally:
    games_completed: int = 0
    games_unfinished: int = 0
    moves_sent: int = 0
    accepted: int = 0
    refused: int = 0
    in_flight_at_drop: int = 0
    in_flight_landed: int = 0
    lost: int = 0
    lost_examples: list[dict[str, Any]] = field(default_factory=list)
    drops: int = 0
    resumes: int = 0
    opponent_left: int = 0
    opponent_back: int = 0
    board_disagreements: int = 0
    stale_boards: int = 0
    errors: Counter[str] = field(default_factory=Counter)


def _cells(board: list[list[str]]) -> list[str]:
    return [cell for row in board for cell in row]


class Seat:
    """One player of one game: its connection, token and what it knows of the board."""

    def __init__(self, url: str, tally: Tally, mark: str, think_s: float) -> None:
        self.url = url
        self.tally = tally
        self.mark = mark
        self.think_s = think_s
        self.player: Player | None = None
        self.game_id = ""
        self.token = ""
        self.board = [" "] * 9
        self.next: str | None = "x"
        self.winner: str | None = None
        self.moves: list[Move] = []
        self.pending: Move | None = None
        self.dropping = False

    @property
    def over(self) -> bool:
        return self.winner is not None

    async def connect(self) -> None:
        delay = 0.1
        while True:
            try:
                self.player = await Player.connect(self.url, self.tally.errors, timeout=20)
                return
            except Exception as error:  # refused, reset, timed out: try again
                self.tally.errors[f"connect failed: {type(error).__name__}"] += 1
                await asyncio.sleep(delay)
                delay = min(2.0, delay * 2)

    async def next_message(self) -> dict[str, Any] | None:
        """The next message on this seat's connection; None when the connection closed."""
        assert self.player is not None
        _, _, message = await asyncio.wait_for(self.player.inbox.get(), ANSWER_TIMEOUT_S)
        return message

    async def send(self, message: dict[str, Any]) -> bool:
        assert self.player is not None
        try:
            await self.player.send(message)
            return True
        except Gone:
            return False

    def apply(self, message: dict[str, Any]) -> None:
        """Take the board a message shows, unless it is older than the one we have: boards
        only grow, and after a resume the opponent's `play` can overtake our `state`."""
        if "board" not in message:
            return
        board = _cells(message["board"])
        if sum(c != " " for c in board) < sum(c != " " for c in self.board):
            self.tally.stale_boards += 1
            return
        self.board = board
        self.next = message.get("next")
        self.winner = message.get("winner")

    async def resume(self) -> None:
        """(Re)connect if needed, send `resume`, and read `state`; retried until it works."""
        while True:
            if self.player is None or not self.player.open:
                await self.connect()
            self.tally.resumes += 1
            if not await self.send(
                {"type": "resume", "id": self.game_id, "token": self.token, "ack": True}
            ):
                continue
            try:
                while True:
                    message = await self.next_message()
                    if message is None:
                        break  # dropped again: reconnect
                    kind = message.get("type")
                    if kind == "state":
                        self.apply(message)
                        return
                    if kind == "error":
                        if message.get("code") == "unavailable":
                            break
                        raise RuntimeError(f"resume refused: {message}")
                    self.observe(message)
            except TimeoutError:
                self.tally.errors["no state within 15 s of resume"] += 1
                if self.player is not None:
                    await self.player.close()

    def observe(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "opponent_left":
            self.tally.opponent_left += 1
        elif kind == "opponent_back":
            self.tally.opponent_back += 1
        elif kind == "play":
            self.apply(message)

    def settle_pending(self, status: str, code: str | None = None) -> None:
        if self.pending is not None:
            self.pending.status = status
            self.pending.code = code
            self.pending = None

    async def play(self) -> None:
        """Play until the game is over, through any number of drops."""
        while not self.over:
            if self.player is None or not self.player.open:
                self.settle_pending("in flight at drop")
                await self.resume()
                continue
            if self.pending is None and self.next == self.mark:
                await asyncio.sleep(random.uniform(0, 2 * self.think_s))
                if self.player is None or not self.player.open:
                    continue
                free = [i for i, cell in enumerate(self.board) if cell == " "]
                cell = random.choice(free)
                move = Move(cell, self.mark)
                self.moves.append(move)
                self.pending = move
                self.tally.moves_sent += 1
                if not await self.send(
                    {"type": "play", "id": self.game_id, "tile": f"{cell // 3},{cell % 3}"}
                ):
                    continue
            try:
                message = await self.next_message()
            except TimeoutError:
                self.tally.errors["no answer within 15 s"] += 1
                self.settle_pending("unanswered")
                await self.resume()
                continue
            if message is None:
                continue  # dropped: settled and resumed at the top of the loop
            kind = message.get("type")
            if kind == "state":
                self.apply(message)
                if self.pending is not None and self.board[self.pending.cell] == self.mark:
                    self.settle_pending("accepted")
            elif kind == "error":
                self.settle_pending("refused", str(message.get("code")))
                await self.resume()  # whatever we thought, the server's board is the truth
            elif "type" not in message:  # API Gateway's own error frame
                self.settle_pending("refused", str(message.get("message")))
                await self.resume()
            else:
                self.observe(message)


async def _final_board(url: str, game_id: str, token: str, tally: Tally) -> list[str] | None:
    seat = Seat(url, tally, "?", 0)
    seat.game_id, seat.token = game_id, token
    try:
        await asyncio.wait_for(seat.resume(), 60)
    except (TimeoutError, RuntimeError) as error:
        tally.errors[f"final resume: {error}"] += 1
        return None
    finally:
        if seat.player is not None:
            await seat.player.close()
    return seat.board


async def _one_game(
    url: str, tally: Tally, think_s: float, drop_every_s: float, stop_dropping: asyncio.Event
) -> None:
    x, o = Seat(url, tally, "x", think_s), Seat(url, tally, "o", think_s)
    await x.connect()
    await o.connect()
    assert x.player is not None and o.player is not None
    try:
        await x.send({"type": "start", "ack": True})
        init = await _expect(x, "init")
        x.game_id = o.game_id = init["id"]
        x.token = init["token"]
        await o.send({"type": "join", "id": x.game_id, "ack": True})
        joined = await _expect(o, "join")
        o.token = joined["token"]
        await _expect(x, "join")
    except (TimeoutError, RuntimeError, Gone) as error:
        tally.errors[f"setup: {type(error).__name__}"] += 1
        tally.games_unfinished += 1
        for seat in (x, o):
            if seat.player is not None:
                await seat.player.close()
        return

    async def dropper() -> None:
        while True:
            await asyncio.sleep(random.expovariate(1 / drop_every_s))
            if stop_dropping.is_set():
                return
            seat = random.choice((x, o))
            if seat.player is not None and seat.player.open and not seat.over:
                tally.drops += 1
                seat.player.abort()

    dropping = asyncio.create_task(dropper())
    try:
        await asyncio.wait_for(asyncio.gather(x.play(), o.play()), 300)
    except TimeoutError:
        tally.errors["game not over within 300 s"] += 1
        tally.games_unfinished += 1
        return
    except Exception as error:  # a refused resume, say: report it, keep soaking
        tally.errors[f"game aborted: {error}"] += 1
        tally.games_unfinished += 1
        return
    finally:
        dropping.cancel()
        for seat in (x, o):
            if seat.player is not None:
                await seat.player.close()
    final = await _final_board(url, x.game_id, x.token, tally)
    if final is None:
        tally.games_unfinished += 1
        return
    tally.games_completed += 1
    if x.board != final or o.board != final:
        tally.board_disagreements += 1
    for seat in (x, o):
        for move in seat.moves:
            landed = final[move.cell] == move.mark
            if move.status == "accepted":
                tally.accepted += 1
            elif move.status == "refused":
                tally.refused += 1
            elif move.status == "in flight at drop":
                tally.in_flight_at_drop += 1
                tally.in_flight_landed += landed
            if move.status in ("accepted", "pending", "unanswered") and not landed:
                tally.lost += 1
                if len(tally.lost_examples) < 10:
                    tally.lost_examples.append(
                        {
                            "game": x.game_id,
                            "mark": move.mark,
                            "cell": move.cell,
                            "status": move.status,
                            "final": final,
                        }
                    )


async def _expect(seat: Seat, kind: str) -> dict[str, Any]:
    while True:
        message = await seat.next_message()
        if message is None:
            raise Gone()
        if message.get("type") == kind:
            return message
        if message.get("type") == "error" or "type" not in message:
            raise RuntimeError(f"{kind}: {message}")


async def soak(
    url: str, games: int, seconds: float, think_s: float, drop_every_s: float
) -> dict[str, Any]:
    tally = Tally()
    deadline = time.perf_counter() + seconds
    stop_dropping = asyncio.Event()

    async def slot() -> None:
        while time.perf_counter() < deadline:
            await _one_game(url, tally, think_s, drop_every_s, stop_dropping)

    async def stopper() -> None:
        await asyncio.sleep(seconds)
        stop_dropping.set()

    began = time.perf_counter()
    timer = asyncio.create_task(stopper())
    await asyncio.gather(*(slot() for _ in range(games)))
    timer.cancel()
    result = {k: v for k, v in vars(tally).items() if k != "errors"}
    result["errors"] = dict(sorted((k, v) for k, v in tally.errors.items() if v))
    result["elapsed_s"] = round(time.perf_counter() - began, 1)
    return result


def render(result: dict[str, Any], settings: dict[str, Any]) -> str:
    from benchmarks.report import table

    rows = [
        ["games completed", result["games_completed"]],
        ["games unfinished", result["games_unfinished"]],
        ["moves sent", result["moves_sent"]],
        ["  accepted (state ack)", result["accepted"]],
        ["  refused (error frame)", result["refused"]],
        [
            "  in flight at a drop",
            f"{result['in_flight_at_drop']} ({result['in_flight_landed']} landed)",
        ],
        ["MOVES LOST (must be 0)", result["lost"]],
        ["drops (transport.abort)", result["drops"]],
        ["resumes", result["resumes"]],
        ["opponent_left / opponent_back", f"{result['opponent_left']} / {result['opponent_back']}"],
        ["players' boards differing from the server's", result["board_disagreements"]],
        ["older board after a newer one (ignored)", result["stale_boards"]],
    ]
    text = table(["soak", "count"], rows)
    errors = result["errors"]
    text += "\n\n" + (
        table(["errors by code", "count"], sorted(errors.items())) if errors else "errors: none"
    )
    if result["lost_examples"]:
        text += "\nlost moves (first ones): " + json.dumps(result["lost_examples"])
    text += (
        f"\n{settings['games']} concurrent games for {settings['seconds']:g} s ({result['elapsed_s']} s with the last games"
        f" finishing); think time 0-{2 * settings['think_s']:g} s; a drop every {settings['drop_every_s']:g} s per game on"
        f" average; emulator `{settings['command']}`"
    )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Soak: concurrent games with random drops and resumes on `xo local`."
    )
    parser.add_argument("--games", type=int, default=50, help="concurrent games (default 50)")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="how long to start new games (default 60)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.5,
        help="mean think time before a move, seconds (default 0.5)",
    )
    parser.add_argument(
        "--drop-every",
        type=float,
        default=3.0,
        help="mean seconds between drops in a game (default 3)",
    )
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).resolve().parent / "results" / "soak.json",
        help="where to write the result (default benchmarks/results/soak.json)",
    )
    args = parser.parse_args()
    if args.seed is not None:
        random.seed(args.seed)
    raise_fd_limit()
    with LocalServer() as server:
        result = asyncio.run(
            soak(server.url, args.games, args.seconds, args.think, args.drop_every)
        )
        settings = {
            "games": args.games,
            "seconds": args.seconds,
            "think_s": args.think,
            "drop_every_s": args.drop_every,
            "command": " ".join(server.command),
        }
    print(render(result, settings))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"settings": settings, "result": result}, indent=2))


if __name__ == "__main__":
    main()
