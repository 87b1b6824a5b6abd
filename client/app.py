"""The `xo` command: play naughts and crosses against someone else, in two terminals.

Start a game with `xo new`, join it from another terminal with `xo join --id GAME_ID`,
pick a dropped game up again with `xo resume`, or run the local server alone with
`xo local`. The server URL comes from `--url`, else `WEBSOCKET_URL`, else
`pulumi stack output websocketUrl`, else `xo new` hosts a local server itself.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from typing import Annotated

import typer

from client import moves as moves_module
from client import savefile, urls
from client.runner import FINAL_MOVE_GRACE_SECONDS, ExitCode, Options, Runner
from client.session import Session
from client.view import View
from game.rules import Mark

EXIT_CODES = """\
Exit codes:
  0    the game ended: you won, lost or drew (the last line says which)
  1    the server refused a request (unknown game id, game full, server failure)
  2    usage: bad options, nothing to resume, or a scripted move that is illegal or missing
  3    could not connect, or the connection dropped and could not be resumed
  4    the opponent left and did not come back within --opponent-timeout
  130  interrupted (Ctrl-C, or end of input at the prompt): `xo resume` continues the game
"""

HELP = f"""Naughts and crosses for two players over a WebSocket API (AWS API Gateway or the local emulator).

\b
Play locally:  xo new                      (hosts a local server and prints the join command)
Join:          xo join --url URL --id ID   (in a second terminal)
Resume:        xo resume                   (after the connection or the process died)
Script:        xo new --moves "1,1 0,0 2,2"   (or moves on standard input, one or more per line)

\b
The server URL comes from --url, else $WEBSOCKET_URL, else `pulumi stack output
websocketUrl`, else `xo new` hosts the local emulator in its own process.

\b
Moves are row,column with 0,0 at the top left and 2,2 at the bottom right. At a
terminal a bad move is explained and asked again; a scripted move (from --moves,
or from standard input when it is not a terminal) that is illegal ends the game
with exit code 2, since a script cannot be asked again.

\b
{EXIT_CODES}"""

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# ---- shared options ---------------------------------------------------------------------------

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar=urls.ENV_VAR,
        help="The game server, ws:// or wss://. Default: $WEBSOCKET_URL, else the Pulumi stack's websocketUrl.",
        show_envvar=True,
    ),
]
MovesOption = Annotated[
    str | None,
    typer.Option(
        "--moves",
        help='Your moves in order, for scripts: "1,1 0,0 2,2". When they run out, moves are read from standard input.',
    ),
]
OpponentTimeoutOption = Annotated[
    float,
    typer.Option(
        "--opponent-timeout",
        min=0,
        help="Seconds to wait for an opponent who left to come back before giving up (exit 4).",
    ),
]
RetriesOption = Annotated[
    int,
    typer.Option(
        "--retries",
        min=0,
        help="Reconnect attempts after the connection drops (exit 3 when they run out).",
    ),
]
KeepaliveOption = Annotated[
    float,
    typer.Option(
        "--keepalive",
        min=0.05,
        hidden=True,
        help="Seconds without sending before a ping (API Gateway drops connections idle for 10 minutes).",
    ),
]
GraceOption = Annotated[
    float,
    typer.Option(
        "--final-move-grace",
        min=0,
        hidden=True,
        help="Seconds to wait after your game-ending move for the server to refuse it before declaring the result.",
    ),
]


def stdin_is_terminal() -> bool:
    """True when a person types the moves (tests replace this)."""
    return moves_module._isatty(sys.stdin)


def stdout_is_terminal() -> bool:
    """True when the spinner may draw (tests replace this)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _fail(message: str, code: ExitCode) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(int(code))


def _view() -> View:
    return View(tty=stdout_is_terminal())


def _options(
    opponent_timeout: float, retries: int, keepalive: float, final_move_grace: float
) -> Options:
    return Options(
        opponent_timeout=opponent_timeout,
        retries=retries,
        keepalive=keepalive,
        final_move_grace=final_move_grace,
    )


def _resolve(url: str | None) -> str | None:
    try:
        resolved = urls.resolve_url(url)
    except ValueError as error:
        raise _fail(str(error), ExitCode.USAGE) from None
    return resolved.url if resolved else None


def _save(url: str) -> Callable[[Session], None]:
    def save(session: Session) -> None:
        if session.game_id and session.token and session.mark:
            try:
                savefile.save(savefile.SavedGame(url, session.game_id, session.token, session.mark))
            except (OSError, ValueError) as error:
                typer.echo(
                    f"Could not save the game for `xo resume` ({error}); playing on.", err=True
                )

    return save


def _forget(session: Session) -> None:
    if session.game_id:
        savefile.delete(session.game_id)


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
            typer.echo(f"To carry on later: xo resume --id {session.game_id}", err=True)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except Exception as error:  # a bug: one clear line, not a traceback (XO_DEBUG=1 shows it)
        if os.environ.get("XO_DEBUG"):
            raise
        raise _fail(
            f"xo failed unexpectedly: {type(error).__name__}: {error}", ExitCode.SERVER_ERROR
        ) from None
    raise typer.Exit(int(code))


# ---- commands ---------------------------------------------------------------------------------


@app.command()
def new(
    url: UrlOption = None,
    moves: MovesOption = None,
    opponent_timeout: OpponentTimeoutOption = 300.0,
    retries: RetriesOption = 5,
    keepalive: KeepaliveOption = 540.0,
    final_move_grace: GraceOption = FINAL_MOVE_GRACE_SECONDS,
) -> None:
    """Start a game: you play x and move first. Prints the game id and the command that joins it.

    With no server configured, hosts the local emulator in this process until the game ends.
    """
    server = _resolve(url)
    stop: Callable[[], None] | None = None
    if server is None:
        server, stop = _start_local_server()
        typer.echo(
            f"Hosting a local game server at {server}: keep this terminal open, it hosts the game."
        )
    hosting = stop is not None

    def announce(session: Session) -> None:
        typer.echo(f"Game id: {session.game_id}")
        typer.echo("To join, run this in another terminal:")
        typer.echo(f"  {_this_command()} join --url {server} --id {session.game_id}")

    runner = Runner(
        server,
        Session.create(),
        moves_module.from_options(moves, stdin_is_terminal=stdin_is_terminal()),
        _view(),
        _options(opponent_timeout, retries, keepalive, final_move_grace),
        on_created=announce,
        save=None if hosting else _save(server),
        forget=_forget,
        resume_hint=not hosting,
    )
    try:
        _play(runner)
    finally:
        if stop is not None:
            time.sleep(_hosting_linger(runner.session))
            stop()


def _this_command() -> str:
    """How the other terminal runs xo: `xo` when that is on PATH, else this program's own path
    (for example `.venv/bin/xo` from the README, where the venv is not activated)."""
    import shutil
    from pathlib import Path

    program = Path(sys.argv[0])
    found = shutil.which("xo")
    if program.name != "xo" or (found and Path(found).resolve() == program.resolve()):
        return "xo"
    try:
        return str(program.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(program.resolve())


def _hosting_linger(session: Session) -> float:
    """Seconds the hosted server outlives our game: the last frames must reach the opponent, and when
    their move ended the game, their `xo` waits its final-move grace period before it leaves (a server
    gone meanwhile would look like a dropped connection to it)."""
    game = session.game
    last_mover = Mark.X if game.moves % 2 else Mark.O
    if game.is_over and last_mover is not session.mark:
        return FINAL_MOVE_GRACE_SECONDS + 0.5
    return 0.5


@app.command()
def join(
    game_id: Annotated[str, typer.Option("--id", help="The game id that `xo new` printed.")],
    url: UrlOption = None,
    moves: MovesOption = None,
    opponent_timeout: OpponentTimeoutOption = 300.0,
    retries: RetriesOption = 5,
    keepalive: KeepaliveOption = 540.0,
    final_move_grace: GraceOption = FINAL_MOVE_GRACE_SECONDS,
) -> None:
    """Join a game by its id: you play o, and x moves first."""
    server = _resolve(url)
    if server is None:
        raise _fail(
            "No server to join: pass the --url that `xo new` printed (or set WEBSOCKET_URL).",
            ExitCode.USAGE,
        )
    _play_saved(
        server,
        Session.join(game_id.strip()),
        moves,
        _options(opponent_timeout, retries, keepalive, final_move_grace),
    )


def _play_saved(server: str, session: Session, moves: str | None, options: Options) -> None:
    """Play `session` against `server`, keeping what `xo resume` needs until the game ends."""
    runner = Runner(
        server,
        session,
        moves_module.from_options(moves, stdin_is_terminal=stdin_is_terminal()),
        _view(),
        options,
        save=_save(server),
        forget=_forget,
    )
    _play(runner)


@app.command()
def resume(
    game_id: Annotated[
        str | None,
        typer.Option("--id", help="The game to resume. Default: the most recent saved game."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Override the server URL saved with the game.")
    ] = None,
    moves: MovesOption = None,
    opponent_timeout: OpponentTimeoutOption = 300.0,
    retries: RetriesOption = 5,
    keepalive: KeepaliveOption = 540.0,
    final_move_grace: GraceOption = FINAL_MOVE_GRACE_SECONDS,
) -> None:
    """Resume a saved game after the connection or the process died (default: the latest).

    Each game's id, token, mark and server URL are kept until it ends, one file per game
    (mode 0600), in $XO_STATE_DIR, else $XDG_STATE_HOME/xo or ~/.local/state/xo
    (macOS: ~/Library/Application Support/xo; Windows: %LOCALAPPDATA%\\xo).
    """
    directory = savefile.state_dir()
    saved = savefile.load(game_id.strip(), directory) if game_id else savefile.latest(directory)
    if saved is None:
        which = f"game {game_id}" if game_id else "game"
        raise _fail(f"There is no saved {which} to resume (looked in {directory}).", ExitCode.USAGE)
    server = saved.url
    if url:
        try:
            server = urls.check_url(url)
        except ValueError as error:
            raise _fail(str(error), ExitCode.USAGE) from None
    session = Session.resume(saved.id, saved.token, saved.mark)
    _play_saved(
        server, session, moves, _options(opponent_timeout, retries, keepalive, final_move_grace)
    )


@app.command()
def local(
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
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

    Prints its ws:// URL alone on the first line, at once, for scripts; players pass it as --url.
    """
    from client.local import run_local

    def ready(url: str) -> None:
        sys.stdout.write(url + "\n")
        sys.stdout.flush()

    try:
        run_local(host, port, ready=ready, stack=stack)
    except KeyboardInterrupt:
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except OSError as error:
        raise _fail(
            f"Could not start the local server on {host}:{port}: {error}", ExitCode.USAGE
        ) from None


def _start_local_server() -> tuple[str, Callable[[], None]]:
    from client.local import start_in_background

    try:
        return start_in_background()
    except OSError as error:
        raise _fail(
            f"Could not start a local game server: {error}", ExitCode.CONNECTION_LOST
        ) from None


def main() -> None:
    """The `xo` console script."""
    app(prog_name="xo")
