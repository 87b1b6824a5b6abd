"""The connection loop against a scripted fake server: whole games, drops, resume, presence."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from client.moves import Moves
from client.runner import ExitCode, Options, Runner
from client.session import Session
from client.view import View
from game.errors import ErrorCode, GameError
from game.protocol import Resume, encode, play_message, request_message, seat_taken_message
from game.rules import Game, Mark
from tests.client.fake_server import BOT, FakeGame, FakeServer
from tests.waiting import eventually

FAST = Options(opponent_timeout=5.0, retries=3, backoff=lambda attempt: 0.05, answer_timeout=2.0)


class Lines:
    """A `View` echo that records what the player would see."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.err: list[str] = []

    def __call__(self, text: str = "", err: bool = False, nl: bool = True) -> None:
        (self.err if err else self.out).append(text)

    @property
    def text(self) -> str:
        return "\n".join(self.out + self.err)


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    fake = FakeServer()
    await fake.start()
    yield fake
    await fake.stop()
    assert all(m.get("ack") is True for m in fake.received if m.get("type") in HELLOS)


HELLOS = ("start", "join", "resume")


def runner(
    server: FakeServer, session: Session, moves: list[str], options: Options = FAST
) -> tuple[Runner, Lines]:
    lines = Lines()
    created: list[str] = []
    run = Runner(
        server.url,
        session,
        Moves(moves),
        View(tty=False, echo=lines),
        options,
        on_created=lambda s: created.append(s.game_id or ""),
    )
    return run, lines


def sent_types(server: FakeServer) -> set[str]:
    return {message.get("type", "?") for message in server.received}


async def test_creator_wins_against_the_bot(server: FakeServer) -> None:
    """x wins on the top row: exit 0, "You won.", and only protocol messages were sent."""
    server.bot_moves = ["1,0", "1,1"]
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    assert await run.run() is ExitCode.WON
    assert lines.out[-1] == "You won."
    assert sent_types(server) <= {"start", "play"}
    assert "o's last move: 1,1." in lines.text


async def test_creator_loses(server: FakeServer) -> None:
    """The bot's winning move ends the game: "You lost: o won."."""
    server.bot_moves = ["0,0", "0,1", "0,2"]
    run, lines = runner(server, Session.create(), ["1,1", "2,0", "2,2"])
    assert await run.run() is ExitCode.LOST
    assert lines.out[-1] == "You lost: o won."


async def test_draw(server: FakeServer) -> None:
    """A full board with no line: "It's a draw."."""
    server.bot_moves = ["0,0", "2,0", "1,2", "2,1"]
    run, lines = runner(server, Session.create(), ["1,1", "0,2", "1,0", "0,1", "2,2"])
    assert await run.run() is ExitCode.DRAW
    assert lines.out[-1] == "It's a draw."


async def test_joiner_plays_o_against_bot_x(server: FakeServer) -> None:
    """`join` makes us o; the bot (x) moves first; o wins on the middle column."""
    server.bot_mark = Mark.X
    server.bot_moves = ["0,0", "2,0", "2,2"]
    game = server.bot_game()
    run, lines = runner(server, Session.join(game.id), ["0,1", "1,1", "2,1"])
    assert await run.run() is ExitCode.WON
    assert lines.out[-1] == "You won."
    assert any(line.startswith(f"Joined game {game.id}: you are o.") for line in lines.out)
    assert sent_types(server) <= {"join", "play"}


async def test_join_unknown_game_is_a_server_error(server: FakeServer) -> None:
    """A game id the server does not know: exit 1 with the server's sentence."""
    run, lines = runner(server, Session.join("A" * 22), [])
    assert await run.run() is ExitCode.SERVER_ERROR
    assert "No game has that id" in lines.err[-1]


async def test_move_lost_in_a_drop_is_sent_again(server: FakeServer) -> None:
    """The connection drops before the server applies x's move: after resume, x sends it again."""
    server.bot_moves = ["1,0", "1,1"]
    dropped: list[int] = []

    def hook(game: FakeGame, mark: Mark, index: int) -> str | None:
        if index == 1 and not dropped:
            dropped.append(index)
            return "drop_before"
        return None

    server.play_hook = hook
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    assert await run.run() is ExitCode.WON
    assert lines.out[-1] == "You won."
    assert any("reconnecting" in line for line in lines.err)
    assert (
        "Your move 0,1 did not arrive before the connection dropped: sending it again." in lines.out
    )
    plays = [m["tile"] for m in server.received if m["type"] == "play"]
    assert plays == ["0,0", "0,1", "0,1", "0,2"]
    assert [m["type"] for m in server.received].count("resume") == 1


async def test_move_applied_before_a_drop_is_not_sent_twice(server: FakeServer) -> None:
    """The move landed but the connection dropped before o answered: the resumed state shows it; no resend."""
    server.bot_moves = ["1,0", "1,1"]
    dropped: list[int] = []

    def hook(game: FakeGame, mark: Mark, index: int) -> str | None:
        if index == 1 and not dropped:
            dropped.append(index)
            return "drop_after"
        return None

    server.play_hook = hook
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    assert await run.run() is ExitCode.WON
    assert lines.out[-1] == "You won."
    plays = [m["tile"] for m in server.received if m["type"] == "play"]
    assert plays == ["0,0", "0,1", "0,2"]


async def test_winning_move_dropped_before_it_is_applied_is_sent_again(server: FakeServer) -> None:
    """The last move drops before it is applied (within the grace period): resume, resend, then the game ends."""
    server.bot_moves = ["1,0", "1,1"]
    dropped: list[int] = []

    def hook(game: FakeGame, mark: Mark, index: int) -> str | None:
        if index == 2 and not dropped:
            dropped.append(index)
            return "drop_before"
        return None

    server.play_hook = hook
    run, lines = runner(
        server, Session.create(), ["0,0", "0,1", "0,2"], replace(FAST, answer_timeout=5.0)
    )
    assert await run.run() is ExitCode.WON
    assert lines.out[-1] == "You won."
    assert (
        "Your move 0,2 did not arrive before the connection dropped: sending it again." in lines.out
    )
    assert [m["tile"] for m in server.received if m["type"] == "play"] == [
        "0,0",
        "0,1",
        "0,2",
        "0,2",
    ]
    assert server.games[next(iter(server.games))].game.winner is Mark.X


async def test_the_winner_learns_the_result_from_the_servers_answer(server: FakeServer) -> None:
    """x's winning move is answered with a `state` (x asked for `ack`): "You won." follows it at
    once, as the loser hears `play`, with nothing to sit out."""
    server.bot_moves = ["1,0", "1,1"]
    run, lines = runner(
        server, Session.create(), ["0,0", "0,1", "0,2"], replace(FAST, answer_timeout=30.0)
    )
    started = time.monotonic()
    assert await asyncio.wait_for(run.run(), 10) is ExitCode.WON
    assert time.monotonic() - started < 10  # far below the 30 s an unanswered move would wait
    assert lines.out[-1] == "You won."
    assert [m["type"] for m in server.received] == ["start", "play", "play", "play"]


async def test_an_unanswered_move_is_settled_by_resuming(server: FakeServer) -> None:
    """No answer to x's winning move within `answer_timeout`: the outcome is unknown, so x does not
    guess; it reconnects, resumes, and the state shows the win."""
    server.bot_moves = ["1,0", "1,1"]
    server.play_hook = lambda game, mark, index: setattr(server, "answer_acks", index != 2)  # type: ignore[func-returns-value]
    run, lines = runner(
        server, Session.create(), ["0,0", "0,1", "0,2"], replace(FAST, answer_timeout=0.3)
    )
    assert await asyncio.wait_for(run.run(), 10) is ExitCode.WON
    assert lines.out[-1] == "You won."
    assert [m["type"] for m in server.received][-1] == "resume"
    assert "no answer to your move in 0.3 s" in lines.text


async def test_a_move_refused_as_unavailable_is_tried_again(server: FakeServer) -> None:
    """The store was busy and wrote nothing: the move is taken back, the sentence shown, and the
    scripted move sent again; the game goes on to its end."""
    server.bot_moves = ["1,0", "1,1"]
    refused: list[int] = []

    def hook(game: FakeGame, mark: Mark, index: int) -> str | None:
        if index == 2 and not refused:
            refused.append(index)
            raise GameError(
                ErrorCode.UNAVAILABLE, "The game store is busy: nothing was written; try again."
            )
        return None

    server.play_hook = hook
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    assert await asyncio.wait_for(run.run(), 10) is ExitCode.WON
    assert "The game store is busy: nothing was written; try again." in lines.err
    assert [m["tile"] for m in server.received if m["type"] == "play"][-2:] == ["0,2", "0,2"]


async def test_an_opponent_whose_buffer_is_full_does_not_undo_our_moves(
    server: FakeServer,
) -> None:
    """The opponent stops reading: every post to it answers 429. x's moves are stored all the
    same, x is answered with the true board each time and never told its move failed; once the
    opponent reads again it catches up by resuming, and the game ends as the board says."""
    server.bot_moves = ["1,0", "1,1"]
    server.on_bot_turn = lambda game: False  # the bot moves only when told to
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    task = asyncio.create_task(run.run())
    await eventually(lambda: any(m.get("type") == "play" for m in server.received))
    game = next(iter(server.games.values()))
    server.full.add(BOT)
    await server.bot_play(game)  # o plays 1,0; x hears it
    await eventually(lambda: game.game.moves == 3)  # x's second move is stored...
    assert game.game.board[1] == Mark.X  # ...though o's buffer refused to hear of it
    server.full.discard(BOT)
    await server.bot_back(game)  # o catches up by resuming, then plays on
    await server.bot_play(game)
    assert await asyncio.wait_for(task, 30) is ExitCode.WON
    assert lines.out[-1] == "You won."
    assert "Internal server error" not in lines.text
    # Each move was answered as stored: x never had to resynchronise, nor send a move twice.
    assert [m["type"] for m in server.received] == ["start", "play", "play", "play"]


async def test_an_internal_error_after_a_move_resynchronises(server: FakeServer) -> None:
    """API Gateway's "Internal server error" after x's winning move, which the server did store:
    x neither takes it back nor guesses; it resumes and the state shows the win."""
    server.bot_moves = ["1,0", "1,1"]

    def hook(game: FakeGame, mark: Mark, index: int) -> str | None:
        return "internal_after" if index == 2 else None

    server.play_hook = hook
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    assert await asyncio.wait_for(run.run(), 10) is ExitCode.WON
    assert lines.out[-1] == "You won."
    assert [m["type"] for m in server.received][-1] == "resume"
    assert [m["tile"] for m in server.received if m["type"] == "play"] == ["0,0", "0,1", "0,2"]


async def test_drop_right_after_the_winning_move_resumes_and_reads_the_state(
    server: FakeServer,
) -> None:
    """The winning move lands but the connection drops right after: the resumed state shows it."""
    server.bot_moves = ["1,0", "1,1"]

    def hook(game: FakeGame, mark: Mark, index: int) -> str | None:
        return "drop_after" if index == 2 else None

    server.play_hook = hook
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    assert await asyncio.wait_for(run.run(), 10) is ExitCode.WON
    assert lines.out[-1] == "You won."
    assert "Reconnected: the game goes on." in lines.err
    assert [m["tile"] for m in server.received if m["type"] == "play"] == ["0,0", "0,1", "0,2"]


async def test_the_opponents_winning_move_ends_the_run_at_once(server: FakeServer) -> None:
    """When o's move ends the game there is nothing to wait for: exit 5 (lost) at once."""
    server.bot_moves = ["0,0", "0,1", "0,2"]
    run, lines = runner(server, Session.create(), ["1,1", "2,0", "2,2"])
    assert await asyncio.wait_for(run.run(), 10) is ExitCode.LOST
    assert lines.out[-1] == "You lost: o won."


async def test_drop_while_waiting_for_the_opponent(server: FakeServer) -> None:
    """The server closes x's connection while o thinks; x resumes and sees o's move made meanwhile."""
    server.bot_moves = ["1,0", "1,1"]
    holding = asyncio.Event()
    server.on_bot_turn = lambda game: game.game.moves != 3 or holding.is_set()

    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    task = asyncio.create_task(run.run())
    await eventually(lambda: server.games and next(iter(server.games.values())).game.moves == 3)
    await asyncio.sleep(0.05)
    game = next(iter(server.games.values()))
    await server.drop(Mark.X, game)
    holding.set()
    await server.bot_play(game)  # o moves while x is away: nobody hears it
    assert await asyncio.wait_for(task, 5) is ExitCode.WON
    assert "While you were away, o played 1,1." in lines.out
    assert lines.out[-1] == "You won."


async def test_a_server_that_is_gone_ends_the_game_without_a_resume_hint(
    server: FakeServer,
) -> None:
    """The server refuses every reconnect (the host closed the `xo new` that ran it): after the
    retries x is told the game cannot continue (exit 4), not to resume, and the save is removed."""
    server.bot_moves = ["1,0"]
    server.on_bot_turn = lambda game: False
    forgotten: list[bool] = []
    lines = Lines()
    run = Runner(
        server.url,
        Session.create(),
        Moves(["0,0"]),
        View(tty=False, echo=lines),
        FAST,
        forget=lambda session: forgotten.append(True),
    )
    task = asyncio.create_task(run.run())
    await eventually(lambda: server.games and next(iter(server.games.values())).game.moves == 1)
    await server.stop()
    for conn in server.connections:
        await conn.close()
    assert await asyncio.wait_for(task, 10) is ExitCode.OPPONENT_GONE
    assert sum("reconnecting" in line for line in lines.err) == FAST.retries
    assert "(attempt 3 of 3)" in lines.err[-2]
    assert "is gone (it refused all 3 reconnection attempts), so this game cannot" in lines.err[-1]
    assert "resume" not in lines.err[-1]
    assert forgotten == [True]


async def test_reconnect_gives_up_after_the_retries(server: FakeServer) -> None:
    """The server is there but every resume fails: after the retries, exit 3 and how to resume."""
    server.bot_moves = ["1,0"]
    server.on_bot_turn = lambda game: False
    run, lines = runner(server, Session.create(), ["0,0"])
    task = asyncio.create_task(run.run())
    await eventually(lambda: server.games and next(iter(server.games.values())).game.moves == 1)
    server.play_hook = None
    server.answer_pings = False

    async def refuse(ws: object, raw: object) -> None:
        await ws.close(1011, "failing")  # type: ignore[attr-defined]

    server._dispatch = refuse  # type: ignore[method-assign,assignment]
    await server.drop(Mark.X)
    assert await asyncio.wait_for(task, 10) is ExitCode.CONNECTION_LOST
    assert sum("reconnecting" in line for line in lines.err) == FAST.retries
    assert "could not be resumed" in lines.err[-2]
    assert lines.err[-1].startswith("To carry on later: xo resume --id ")


async def test_cannot_connect_at_all() -> None:
    """Nothing listens at the URL: exit 3 at once, no retries (nothing to resume)."""
    lines = Lines()
    run = Runner(
        "ws://127.0.0.1:9/none", Session.create(), Moves([]), View(tty=False, echo=lines), FAST
    )
    assert await run.run() is ExitCode.CONNECTION_LOST
    assert lines.err[-1].startswith("Could not connect to ws://127.0.0.1:9/none")


async def test_opponent_leaves_and_comes_back(server: FakeServer) -> None:
    """`opponent_left` shows the waiting sentence; `opponent_back` carries the game on."""
    server.bot_moves = ["1,0", "1,1"]
    server.on_bot_turn = lambda game: game.game.moves != 3
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    task = asyncio.create_task(run.run())
    await eventually(lambda: server.games and next(iter(server.games.values())).game.moves == 3)
    game = next(iter(server.games.values()))
    await server.bot_leave(game)
    left = "Your opponent left; waiting for them to come back..."
    await eventually(lambda: left in lines.out)
    server.on_bot_turn = None
    await server.bot_back(game)
    assert await asyncio.wait_for(task, 5) is ExitCode.WON
    assert lines.out.count(left) == 1, lines.out  # said once, not also as the wait
    assert "Your opponent is back." in lines.out


async def test_opponent_who_never_comes_back(server: FakeServer) -> None:
    """After `--opponent-timeout` seconds without `opponent_back`: exit 4."""
    server.bot_moves = ["1,0"]
    server.on_bot_turn = lambda game: False
    options = Options(opponent_timeout=0.3, retries=1, backoff=lambda attempt: 0.05)
    run, lines = runner(server, Session.create(), ["0,0"], options)
    task = asyncio.create_task(run.run())
    await eventually(lambda: server.games and next(iter(server.games.values())).game.moves == 1)
    await server.bot_leave(next(iter(server.games.values())))
    assert await asyncio.wait_for(task, 5) is ExitCode.OPPONENT_GONE
    assert "did not come back within 0.3 seconds" in lines.err[-2]


async def test_keepalive_pings_an_idle_connection(server: FakeServer) -> None:
    """With no traffic for `keepalive` seconds, the client sends the protocol's ping."""
    server.bot_moves = ["1,0", "1,1"]
    pause = asyncio.Event()
    server.on_bot_turn = lambda game: game.game.moves != 1 or pause.is_set()
    options = Options(keepalive=0.1, backoff=lambda attempt: 0.05, answer_timeout=2.0)
    run, _ = runner(server, Session.create(), ["0,0", "0,1", "0,2"], options)
    task = asyncio.create_task(run.run())
    await eventually(lambda: server.games and next(iter(server.games.values())).game.moves == 1)
    await asyncio.sleep(0.35)
    pause.set()
    await server.bot_play(next(iter(server.games.values())))
    assert await asyncio.wait_for(task, 5) is ExitCode.WON
    assert [m["type"] for m in server.received].count("ping") >= 2


async def test_unanswered_ping_means_a_dead_connection(server: FakeServer) -> None:
    """A half-open connection (no pong) is replaced: reconnect, resume, finish."""
    server.bot_moves = ["1,0", "1,1"]
    server.answer_pings = False
    pause = asyncio.Event()
    server.on_bot_turn = lambda game: game.game.moves != 1 or pause.is_set()
    options = Options(
        keepalive=0.1, pong_timeout=0.1, backoff=lambda attempt: 0.05, answer_timeout=2.0
    )
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"], options)
    task = asyncio.create_task(run.run())
    await eventually(lambda: any("no answer to a ping" in line for line in lines.err))
    server.answer_pings = True
    pause.set()  # the bot moves when x resumes
    assert await asyncio.wait_for(task, 5) is ExitCode.WON
    assert lines.out[-1] == "You won."


async def test_illegal_scripted_move_exits_2(server: FakeServer) -> None:
    """A scripted move on a taken tile is not sent: the reason, then exit 2."""
    server.bot_moves = ["1,1"]
    run, lines = runner(server, Session.create(), ["0,0", "1,1"])
    assert await run.run() is ExitCode.USAGE
    assert "Tile 1,1 is already taken by o." in lines.err[-2]
    assert [m.get("tile") for m in server.received if m["type"] == "play"] == ["0,0"]


async def test_script_that_runs_out_exits_2(server: FakeServer) -> None:
    """No more scripted moves and no standard input: exit 2 with a sentence."""
    server.bot_moves = ["1,1"]
    run, lines = runner(server, Session.create(), ["0,0"])
    assert await run.run() is ExitCode.USAGE
    assert "no more moves" in lines.err[-2]


async def test_resume_before_anyone_joined_waits_for_the_join(server: FakeServer) -> None:
    """x resumes a game nobody joined yet: it waits for the join (told by the state's
    `opponent: waiting`, or by the refusal of its first move from a server that does not say),
    then plays the game out."""
    server.bot_joins = False
    first, _ = runner(server, Session.create(), [])
    first.options = Options(retries=0)
    task = asyncio.create_task(first.run())
    await eventually(lambda: server.games)
    game = next(iter(server.games.values()))
    await eventually(lambda: Mark.X in game.tokens)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    server.bot_moves = ["1,0", "1,1"]
    run, lines = runner(
        server, Session.resume(game.id, game.tokens[Mark.X], Mark.X), ["0,0", "0,1", "0,2"]
    )
    task = asyncio.create_task(run.run())
    await eventually(lambda: "Waiting for an opponent to join..." in lines.out)
    await server.bot_join(game)
    assert await asyncio.wait_for(task, 10) is ExitCode.WON
    assert lines.out[-1] == "You won."


async def test_a_forged_result_is_ignored_and_the_real_game_goes_on(server: FakeServer) -> None:
    """Issue 10: a frame saying "o won" on a board without x's move is reported, not believed;
    a frame for another game too; the real game is then won."""
    server.bot_moves = ["1,0", "1,1"]
    server.on_bot_turn = lambda game: game.game.moves != 1
    run, lines = runner(server, Session.create(), ["0,0", "0,1", "0,2"])
    task = asyncio.create_task(run.run())
    await eventually(lambda: server.games and next(iter(server.games.values())).game.moves == 1)
    game = next(iter(server.games.values()))
    forged = Game(("o", "o", "o", "x", "x", " ", "x", " ", " "))  # x's 0,0 is not on it
    await server.push(Mark.X, play_message(game.id, "0,2", Mark.O, forged))
    await server.push(
        Mark.X, play_message("F" * 22, "1,0", Mark.O, Game.from_moves(["0,0", "1,0"]))
    )
    await eventually(lambda: sum(line.startswith("Ignored") for line in lines.err) == 2)
    server.on_bot_turn = None
    await server.bot_play(game)
    assert await asyncio.wait_for(task, 10) is ExitCode.WON
    assert lines.out[-1] == "You won."
    assert "You lost" not in lines.text


def test_backoff_grows_and_is_capped() -> None:
    """Reconnect delays double from 0.25 s (±20%) and stop at 8 s."""
    from client.runner import backoff

    assert 0.2 <= backoff(1) <= 0.3
    assert 0.4 <= backoff(2) <= 0.6
    assert 6.4 <= backoff(20) <= 9.6


async def test_news_during_a_prompt_asks_again(server: FakeServer) -> None:
    """The opponent leaves while x is at the prompt: the sentence gets its own line and the prompt returns."""
    import io
    import queue

    typed: queue.Queue[str] = queue.Queue()
    server.bot_moves = ["1,0", "1,1"]
    lines = Lines()
    moves = Moves(
        stdin=io.StringIO(), stdin_is_terminal=True, reader=lambda stream: typed.get(timeout=10)
    )
    run = Runner(server.url, Session.create(), moves, View(tty=False, echo=lines), FAST)
    task = asyncio.create_task(run.run())
    await eventually(lambda: any(line.startswith("Your turn") for line in lines.out))
    await server.bot_leave(next(iter(server.games.values())))
    await eventually(
        lambda: not ("Your opponent left; waiting for them to come back..." not in lines.out)
    )
    await server.bot_back(next(iter(server.games.values())))
    for tile in ["0,0\n", "0,1\n", "0,2\n", "n\n"]:  # the last answers "Play again? [y/N]"
        typed.put(tile)
    assert await asyncio.wait_for(task, 5) is ExitCode.WON
    left = lines.out.index("Your opponent left; waiting for them to come back...")
    assert lines.out[left - 2 : left + 1] == [
        "Your turn (x): ",
        "",
        lines.out[left],
    ]
    prompt = "Your turn (x): "
    assert lines.out[left + 1 : left + 5] == [prompt, "", "Your opponent is back.", prompt]


async def test_a_seat_taken_elsewhere_is_told_at_once_and_deletes_nothing(
    server: FakeServer,
) -> None:
    """Another connection resumes x's seat while x waits for o: x hears `seat_taken` at once,
    exits 7 with a sentence, and never calls `forget` (the save stays)."""
    server.bot_moves = ["1,0"]
    server.on_bot_turn = lambda game: False
    forgotten: list[bool] = []
    lines = Lines()
    run = Runner(
        server.url,
        Session.create(),
        Moves(["0,0"]),
        View(tty=False, echo=lines),
        FAST,
        forget=lambda session: forgotten.append(True),
    )
    task = asyncio.create_task(run.run())
    await eventually(lambda: server.games and next(iter(server.games.values())).game.moves == 1)
    game = next(iter(server.games.values()))
    from websockets.asyncio.client import connect

    async with connect(server.url) as thief:
        resume = Resume(game.id, game.tokens[Mark.X], ack=True)
        await thief.send(encode(request_message(resume)))
        await eventually(lambda: game.connection_of(Mark.X) != "c1")
        await server.push_to("c1", seat_taken_message(game.id))  # PROTOCOL.md's push
        assert await asyncio.wait_for(task, 5) is ExitCode.SEAT_TAKEN
    assert "Your seat in this game was taken by another connection" in lines.err[-1]
    assert forgotten == []


async def _serve_raw(answer: bytes) -> tuple[asyncio.Server, str]:
    """A TCP server that answers every connection with `answer` (b"": says nothing)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if answer:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
            writer.close()
        else:
            await reader.read()  # hold the connection, answer nothing

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_a_wrong_path_is_explained() -> None:
    """HTTP 403 at the handshake (API Gateway's answer to a wrong stage): the sentence names the
    path, not a bare status."""
    server, address = await _serve_raw(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    async with server:
        lines = Lines()
        run = Runner(
            f"ws://{address}/wrong", Session.create(), Moves([]), View(tty=False, echo=lines), FAST
        )
        assert await asyncio.wait_for(run.run(), 10) is ExitCode.CONNECTION_LOST
    assert "no WebSocket API at that path (HTTP 403)" in lines.err[-1]


async def test_wss_to_a_plain_local_server_fails_fast_and_says_why() -> None:
    """wss:// to a local server that does not speak TLS: a few seconds, not 10, and a hint."""
    server, address = await _serve_raw(b"")
    async with server:
        lines = Lines()
        run = Runner(
            f"wss://{address}/local", Session.create(), Moves([]), View(tty=False, echo=lines), FAST
        )
        started = time.monotonic()
        assert await asyncio.wait_for(run.run(), 15) is ExitCode.CONNECTION_LOST
        assert time.monotonic() - started < 9
    assert "The local emulator does not speak TLS: use ws://" in lines.err[-1]


class CtrlDWhileTheOpponentThinks(Moves):
    """A terminal at which the player plays `first`, then presses Ctrl-D (`press()`) while the
    opponent thinks."""

    def __init__(self, first: str) -> None:
        super().__init__([first], stdin_is_terminal=True)
        self.pressed = asyncio.Event()
        self.watching: asyncio.Future[str | None] | None = None
        self._ended = False

    @property
    def watches_turn(self) -> bool:
        return not self._ended

    async def typed_out_of_turn(self) -> str | None:
        self.watching = asyncio.current_task()
        await self.pressed.wait()
        self._ended = True  # end of input, as `Moves.typed_out_of_turn` records it
        return None


Futures = set[asyncio.Future[Any]]


class SameWakeUp:
    """`asyncio` as the runner sees it, but a `wait` that returns the Ctrl-D and the next frame
    together, as when both reach a busy process before it looks (a loaded machine)."""

    def __init__(self, moves: CtrlDWhileTheOpponentThinks) -> None:
        self.moves = moves

    def __getattr__(self, name: str) -> object:
        return getattr(asyncio, name)

    async def wait(self, fs: set[asyncio.Future[Any]], **kw: Any) -> tuple[Futures, Futures]:
        done, pending = await asyncio.wait(fs, **kw)
        if self.moves.watching in done and self.moves.pressed.is_set() and pending:
            more, pending = await asyncio.wait(pending, **kw)
            done |= more
        return done, pending


async def test_ctrl_d_that_arrives_with_a_frame_still_leaves(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-D while the opponent thinks, reaching xo in the same wake-up as a server frame that
    keeps it the opponent's turn (here: the opponent left): xo still leaves (exit 130, "You
    left the game."), where it lost the Ctrl-D and waited on."""
    import client.runner as runner_module

    server.bot_moves = ["1,0"]
    server.on_bot_turn = lambda game: False
    moves = CtrlDWhileTheOpponentThinks("0,0")
    monkeypatch.setattr(runner_module, "asyncio", SameWakeUp(moves))
    lines = Lines()
    run = Runner(server.url, Session.create(), moves, View(tty=False, echo=lines), FAST)
    task = asyncio.create_task(run.run())
    await eventually(lambda: server.games and next(iter(server.games.values())).game.moves == 1)
    await eventually(lambda: moves.watching is not None)
    moves.pressed.set()
    await server.bot_leave(next(iter(server.games.values())))  # x hears `opponent_left`
    assert await asyncio.wait_for(task, 10) is ExitCode.INTERRUPTED, lines.text
    assert "You left the game." in lines.err
