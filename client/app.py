"""The `xo` command: play naughts and crosses against someone else, in two terminals.

Start a game with `xo new`, join it from another terminal (or machine) with the
`xo join ws://HOST:PORT/STAGE#GAME_ID` line it prints, take your seat back with
`xo resume`, list or forget saved games with `xo games`, or run the local server
alone with `xo local`. The server URL comes from `--url`, else `WEBSOCKET_URL`, else
`pulumi stack output websocketUrl`, else `xo new` hosts a local server itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import typer

from client import check as check_module
from client import moves as moves_module
from client import savefile, share, urls
from client import watch as watch_module
from client import web as web_page
from client.board import read_tile
from client.exitcodes import DESCRIPTIONS, ExitCode
from client.game_options import GameOptions, game_options
from client.runner import Runner
from client.session import Session
from client.view import View
from game.bot import DEFAULT_LEVEL, Level
from game.clock import MAX_SECONDS, MIN_SECONDS
from game.errors import GameError
from game.rules import Game, Mark

HOSTING_LINGER_SECONDS = 1.0
"""A hosted server outlives its game this long, so the last frames reach the opponent."""

USAGE_EXAMPLES = [
    ("xo new", "host a game here and print the line that joins it"),
    ("xo join ws://HOST:PORT/local#ID", "join it, from a second terminal or machine"),
    ("xo resume", "take your seat back after the connection or the process died"),
    ("xo games", "list saved games, or forget them (see xo games --help)"),
    ('xo new --moves "1,1 0,0 2,2"', "a scripted game (moves may also come on standard input)"),
    ("xo web", "play in a browser: prints the address of a page that plays locally"),
]

HELP = """Naughts and crosses for two players over a WebSocket API (AWS API Gateway or the
local emulator).

The server URL comes from --url, else $WEBSOCKET_URL, else `pulumi stack output
websocketUrl`, else `xo new` hosts the local emulator in its own process.

Moves are row,column (0,0 top left to 2,2 bottom right, as the board's labels show), a1
to c3 (column letter, row number, a1 top left), or a digit 1-9 laid out like a phone's
keypad: 1 2 3 on the top row, 7 8 9 on the bottom. At a terminal a bad move is explained
and asked again; a scripted move (from --moves, or from standard input when it is not a
terminal) that is illegal ends the game with exit code 2. Type /resign instead of a move
(or script it) to give up: you lose and your opponent wins.
"""


class _Help(typer.core.TyperGroup):
    """`xo --help` with its examples and exit codes as definition lists Click wraps to the
    terminal's width."""

    # Click's types: typer vendors its own copy of Click in some versions, so they stay untyped.
    def format_help_text(self, ctx: Any, formatter: Any) -> None:
        super().format_help_text(ctx, formatter)
        with formatter.section("Examples"):
            formatter.write_dl(USAGE_EXAMPLES)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Exit codes"):
            formatter.write_dl([(str(int(code)), text) for code, text in DESCRIPTIONS.items()])


app = typer.Typer(
    cls=_Help,
    help=HELP,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"xo {version('xo')}")
        except PackageNotFoundError:
            typer.echo("xo (not installed)")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print xo's version and exit."
        ),
    ] = False,
) -> None:
    """Naughts and crosses over WebSockets."""


class Opponent(StrEnum):
    """Who `xo new --vs` plays against instead of a person."""

    COMPUTER = "computer"


# ---- shared options ---------------------------------------------------------------------------

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar=urls.ENV_VAR,
        help="The game server, ws:// or wss://. Default: $WEBSOCKET_URL, else the Pulumi "
        "stack's websocketUrl.",
        show_envvar=True,
    ),
]


def stdin_is_terminal() -> bool:
    """True when a person types the moves (tests replace this)."""
    return moves_module.is_terminal(sys.stdin)


def stdout_is_terminal() -> bool:
    """True when the spinner may draw (tests replace this)."""
    return moves_module.is_terminal(sys.stdout)


def _fail(message: str, code: ExitCode) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(int(code))


def _view() -> View:
    return View.for_terminal(tty=stdout_is_terminal())


def _resolve(url: str | None) -> str | None:
    if url is not None and not url.strip():
        raise _fail("--url is empty: give a ws:// or wss:// URL, or leave it out.", ExitCode.USAGE)
    try:
        resolved = urls.resolve_url(url)
    except ValueError as error:
        raise _fail(str(error), ExitCode.USAGE) from None
    return resolved.url if resolved else None


def _check_moves(moves: str | None) -> None:
    """Stop before anything starts when a scripted move cannot be a tile (exit 2)."""
    for tile in moves_module.split_moves(moves or ""):
        if moves_module.is_resign(tile):
            continue
        try:
            read_tile(tile)
        except GameError as error:
            raise _fail(f"--moves: {error.message}", ExitCode.USAGE) from None


class _Seat:
    """This process's save of its seat: written while the game goes on, claimed so that no
    other `xo` on this machine takes it, deleted when the game ends or is gone."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock: savefile.Seat | None = None

    def claim(self, game_id: str, mark: Mark) -> bool:
        self.lock = savefile.Seat(game_id, mark)
        try:
            return self.lock.claim()
        except OSError:
            return True  # no state directory: nothing to protect either

    def save(self, session: Session) -> None:
        if not (session.game_id and session.token and session.mark):
            return
        try:
            if self.lock is None:
                self.claim(session.game_id, session.mark)
            savefile.save(
                savefile.SavedGame(
                    self.url,
                    session.game_id,
                    session.token,
                    session.mark,
                    board=session.confirmed.board,
                )
            )
        except (OSError, ValueError) as error:
            typer.echo(f"Could not save the game for `xo resume` ({error}); playing on.", err=True)

    def forget(self, session: Session) -> None:
        if session.game_id and session.mark:
            savefile.delete(session.game_id, session.mark)
        if self.lock is not None:
            self.lock.release()


def _play(runner: Runner) -> None:
    """Run one game to its end and exit with its code."""
    try:
        code = asyncio.run(runner.run())
    except KeyboardInterrupt:
        runner.view.stop()
        typer.echo("", err=True)
        typer.echo("Interrupted: you left the game.", err=True)
        session = runner.session
        if runner.resume_hint and session.can_resume and not session.over:
            typer.echo(
                f"To carry on later: {share.this_command()} resume --id {session.game_id}", err=True
            )
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except Exception as error:  # a bug: one clear line, not a traceback (XO_DEBUG=1 shows it)
        if os.environ.get("XO_DEBUG"):
            raise
        raise _fail(
            f"xo failed unexpectedly: {type(error).__name__}: {error}", ExitCode.SERVER_ERROR
        ) from None
    raise typer.Exit(int(code))


def _runner(
    server: str,
    session: Session,
    options: GameOptions,
    seat: _Seat | None,
    **hooks: object,
) -> Runner:
    return Runner(
        server,
        session,
        moves_module.from_options(options.moves, stdin_is_terminal=stdin_is_terminal()),
        _view(),
        options.runner_options(),
        save=seat.save if seat else None,
        forget=seat.forget if seat else None,
        resume_command=f"{share.this_command()} resume",
        play_command=f"{share.this_command()} play",
        **hooks,  # type: ignore[arg-type]
    )


# ---- commands ---------------------------------------------------------------------------------


@app.command()
@game_options
def new(
    url: UrlOption = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="When xo hosts the server itself: the address to listen on, for players on "
            "other machines (for example 0.0.0.0, or this machine's LAN address). "
            "Default: 127.0.0.1, this machine only.",
        ),
    ] = None,
    *,
    options: GameOptions,
    vs: Annotated[
        Opponent | None,
        typer.Option(
            "--vs", help="Play against the computer, which the server runs, instead of a person."
        ),
    ] = None,
    level: Annotated[
        Level,
        typer.Option(
            "--level", help="How the computer plays: random moves, or perfectly (it never loses)."
        ),
    ] = DEFAULT_LEVEL,
    clock: Annotated[
        int | None,
        typer.Option(
            "--clock",
            min=MIN_SECONDS,
            max=MAX_SECONDS,
            help="Seconds each player has for each move; who runs out loses on time.",
        ),
    ] = None,
) -> None:
    """Start a game: you play x and move first. Prints the line that joins it.

    With no server configured, hosts the local emulator in this process until the game ends:
    closing this terminal then ends the game for both players.
    """
    _check_moves(options.moves)
    if clock is not None and vs is not None:
        raise _fail(
            "A game against the computer has no clock: drop --clock or --vs.", ExitCode.USAGE
        )
    server = _resolve(url)
    if host is not None and server is not None:
        raise _fail(
            "--host is for a server xo hosts itself; this game is on " + server + ".",
            ExitCode.USAGE,
        )
    stop: Callable[[], None] | None = None
    if server is None:
        server, stop = _start_local_server(host or "127.0.0.1")
        typer.echo(f"Hosting a local game server at {server}")
        for_both = "" if vs is Opponent.COMPUTER else " for both players"
        typer.echo(f"Keep this terminal open: closing it ends the game{for_both}.")
    hosting = stop is not None
    shared_url = share.reachable_url(server, host) if hosting else server

    def announce(session: Session) -> None:
        assert session.game_id is not None
        if session.computer is not None:
            typer.echo(
                f"Game id: {session.game_id}: you play x against the computer ({session.computer})."
            )
            return
        typer.echo(f"Game id: {session.game_id}")
        where = "another terminal or machine" if host else "another terminal"
        typer.echo(f"To join, run this in {where}:")
        typer.echo(
            f"  {share.this_command()} join {share.join_string(shared_url, session.game_id)}"
        )

    runner = _runner(
        server,
        Session.create(level if vs is Opponent.COMPUTER else None, clock),
        options,
        None if hosting else _Seat(server),
        on_created=announce,
        resume_hint=not hosting,
        confirm_leave=hosting,
    )
    try:
        _play(runner)
    finally:
        if stop is not None:
            time.sleep(HOSTING_LINGER_SECONDS)
            stop()


@app.command()
@game_options
def join(
    game: Annotated[
        str | None,
        typer.Argument(
            help="What `xo new` printed: ws://HOST:PORT/STAGE#GAME_ID (or a bare game id with "
            "--url).",
            show_default=False,
        ),
    ] = None,
    game_id: Annotated[
        str | None, typer.Option("--id", help="The game id, when GAME is not given.")
    ] = None,
    url: UrlOption = None,
    *,
    options: GameOptions,
) -> None:
    """Join a game: you play o, and x moves first."""
    _check_moves(options.moves)
    try:
        target = share.parse_join(game, game_id)
    except ValueError as error:
        raise _fail(str(error), ExitCode.USAGE) from None
    server = target.url or _resolve(url)
    if server is None:
        raise _fail(
            "No server to join: pass the line `xo new` printed "
            "(xo join ws://HOST:PORT/STAGE#GAME_ID), or --url (or set WEBSOCKET_URL).",
            ExitCode.USAGE,
        )
    _play(_runner(server, Session.join(target.game_id), options, _Seat(server)))


@app.command()
@game_options
def play(
    url: UrlOption = None,
    *,
    options: GameOptions,
) -> None:
    """Quick match: play whoever else is waiting on this server, or wait to be paired.

    Paired with a waiting player, you play o; waiting, you play x and move first once someone
    comes. Nobody shares an id. Needs a server both players use (--url or WEBSOCKET_URL).
    """
    _check_moves(options.moves)
    server = _resolve(url)
    if server is None:
        raise _fail(
            "Quick match needs a server both players use: pass --url (or set WEBSOCKET_URL).",
            ExitCode.USAGE,
        )

    def waiting(session: Session) -> None:
        typer.echo(f"Nobody else is waiting: you wait in game {session.game_id}, as x.")

    _play(_runner(server, Session.match(), options, _Seat(server), on_created=waiting))


@app.command()
@game_options
def resume(
    game_id: Annotated[
        str | None,
        typer.Option("--id", help="The game to resume. Default: the most recent saved game."),
    ] = None,
    mark: Annotated[
        Mark | None,
        typer.Option(
            "--mark", help="Which seat, when both of a game's seats are saved on this machine."
        ),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Override the server URL saved with the game.")
    ] = None,
    *,
    options: GameOptions,
) -> None:
    """Take your seat back after the connection or the process died (default: the latest save).

    Saves belong to a seat (a game id and a mark) and are kept until the game ends, one file
    per seat (mode 0600), in $XO_STATE_DIR, else $XDG_STATE_HOME/xo or ~/.local/state/xo
    (macOS: ~/Library/Application Support/xo; Windows: %LOCALAPPDATA%\\xo). A seat another
    `xo` on this machine is playing is never taken.
    """
    _check_moves(options.moves)
    if game_id is not None and not game_id.strip():
        raise _fail("--id is empty: give a game id, or leave it out.", ExitCode.USAGE)
    saved = _choose_seat(game_id.strip() if game_id else None, mark)
    server = saved.url
    if url is not None:
        try:
            server = urls.check_url(url)
        except ValueError as error:
            raise _fail(str(error), ExitCode.USAGE) from None
    seat = _Seat(server)
    if not seat.claim(saved.id, saved.mark):
        raise _fail(_playing_elsewhere(saved), ExitCode.USAGE)
    try:
        board = Game(saved.board)
    except ValueError:
        board = Game()
    session = Session.resume(saved.id, saved.token, saved.mark, board)
    _play(_runner(server, session, options, seat))


def _playing_elsewhere(saved: savefile.SavedGame) -> str:
    return (
        f"Your seat {saved.mark} in game {saved.id} is being played by another xo on this "
        "machine: carry on in that terminal (or close it first)."
    )


def _choose_seat(game_id: str | None, mark: Mark | None) -> savefile.SavedGame:
    """The save `xo resume` takes: named by `--id`/`--mark`, else the most recent; never a seat
    another process here plays, never a guess between a game's two seats."""
    directory = savefile.state_dir()
    games = [
        game
        for game in savefile.saved_games(directory)
        if (game_id is None or game.id == game_id) and (mark is None or game.mark is mark)
    ]
    if not games:
        which = f"game {game_id}" if game_id else "game"
        seat = f" as {mark}" if mark else ""
        raise _fail(
            f"There is no saved {which}{seat} to resume (looked in {directory}).", ExitCode.USAGE
        )
    free = [g for g in games if not savefile.Seat(g.id, g.mark, directory).held_elsewhere()]
    if not free:
        raise _fail(_playing_elsewhere(games[0]), ExitCode.USAGE)
    chosen = free[0]
    both = [g for g in free if g.id == chosen.id]
    if mark is None and len(both) > 1:
        raise _fail(
            f"Both seats of game {chosen.id} are saved on this machine: choose yours with "
            f"--id {chosen.id} --mark x or --mark o.",
            ExitCode.USAGE,
        )
    return chosen


@app.command()
def games(
    forget: Annotated[
        list[str] | None,
        typer.Option(
            "--forget",
            help="Forget a saved game: its id (both seats) or ID.x / ID.o. Repeatable.",
        ),
    ] = None,
    forget_finished: Annotated[
        bool,
        typer.Option(
            "--forget-finished",
            help="Forget saves of games that are over, expired, or whose server refuses "
            "connections.",
        ),
    ] = False,
) -> None:
    """List saved games: id, your mark, moves, server, and whether it can still be reached."""
    from client import saves

    directory = savefile.state_dir()
    if forget:
        for name in forget:
            try:
                removed = saves.forget(name, directory)
            except ValueError as error:
                raise _fail(str(error), ExitCode.USAGE) from None
            for game in removed:
                typer.echo(f"Forgot game {game.id} ({game.mark}).")
        return
    listing = saves.survey(directory)
    if forget_finished:
        for entry in listing:
            if entry.finished:
                savefile.delete(entry.game.id, entry.game.mark, directory)
                typer.echo(f"Forgot game {entry.game.id} ({entry.game.mark}): {entry.status}.")
        return
    if not listing:
        typer.echo(f"No saved games (in {directory}).")
        return
    for line in saves.table(listing):
        typer.echo(line)


@app.command()
def local(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="The address to listen on (0.0.0.0 or a LAN address lets other machines in).",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="The port; 0 picks a free one.")
    ] = 0,
    stack: Annotated[
        bool,
        typer.Option(
            "--stack",
            help="Serve the stack the Pulumi program declares (run under mocks, no AWS): "
            "its stage, routes, archive, variables, roles, table and throttling.",
        ),
    ] = False,
) -> None:
    """Run the local API Gateway emulator alone, until Ctrl-C.

    Prints its ws:// URL alone on the first line, at once, for scripts; players pass it as
    --url. On a terminal, what to run next follows it.
    """
    from client.local import run_local
    from emulator.pulumi_program import PulumiMissing

    terminal = stdout_is_terminal()
    log = _hold_log_until_ready()

    def ready(url: str) -> None:
        sys.stdout.write(url + "\n")
        if terminal:
            shared = share.reachable_url(url, host)
            sys.stdout.write(
                f"Players start a game with: {share.this_command()} new --url {shared}\n"
                "Ctrl-C stops the server (and every game on it).\n"
            )
        sys.stdout.flush()
        log.let_through()

    try:
        run_local(host, port, ready=ready, stack=stack)
    except KeyboardInterrupt:
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except PulumiMissing as error:
        raise _fail(str(error), ExitCode.USAGE) from None
    except OSError as error:
        raise _fail(
            f"Could not start the local server on {host}:{port}: {error}", ExitCode.USAGE
        ) from None


app.command(name="web")(web_page.web)
app.command("check")(check_module.check)
app.command("watch")(watch_module.command)


class _HeldLog(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines to stderr, held back until `let_through()`: the URL comes first."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        self._held: list[logging.LogRecord] | None = []

    def emit(self, record: logging.LogRecord) -> None:
        if self._held is not None:
            self._held.append(record)
        else:
            super().emit(record)

    def let_through(self) -> None:
        """Write the held lines, and every later one as it comes."""
        held, self._held = self._held or [], None
        for record in held:
            super().emit(record)


def _hold_log_until_ready() -> _HeldLog:
    """The emulator's log (what `client.local.run_local` would set up), held until ready."""
    handler = _HeldLog()
    log = logging.getLogger("emulator")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return handler


def _start_local_server(host: str) -> tuple[str, Callable[[], None]]:
    """Start the emulator in this process. Ctrl-C is held back while it starts: the processes
    it spawns inherit that, so Ctrl-C cannot interrupt them half-loaded (they ignore it once
    loaded); a Ctrl-C pressed meanwhile reaches xo as soon as the server is up. Held back
    while the server's modules load too: a KeyboardInterrupt inside a module being loaded
    can surface as another error (RuntimeError from a class's `__set_name__`)."""
    hold = hasattr(signal, "pthread_sigmask")
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        from client.local import start_in_background

        url, stop = start_in_background(host)
    except OSError as error:
        raise _fail(
            f"Could not start a local game server on {host}: {error}", ExitCode.CONNECTION_LOST
        ) from None
    else:
        if hold:
            try:  # a Ctrl-C held back arrives here, as KeyboardInterrupt
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            except KeyboardInterrupt:
                stop()
                raise
    finally:
        if hold:  # an error above: let Ctrl-C through again (a no-op when already unblocked)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return url, stop


def main() -> None:
    """The `xo` console script: no traceback on Ctrl-C or a closed output pipe, at any moment.
    From here a Ctrl-C raises KeyboardInterrupt, Python's default, which the commands handle
    where it matters (`asyncio.run` cancels the game with it); `client.cli` guarded start-up."""
    try:
        _ctrl_c_raises()
        app(prog_name="xo")
    except KeyboardInterrupt:  # between Typer's own handling and the interpreter's exit
        _quiet_exit(int(ExitCode.INTERRUPTED))
    except BrokenPipeError:
        _quiet_exit(1)


def _ctrl_c_raises() -> None:
    """SIGINT raises KeyboardInterrupt from now on, unless it is ignored (xo in the background)."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _quiet_exit(code: int) -> None:
    """Leave now, writing nothing more (the output may be a closed pipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(code)
