"""Serve a WebSocket API from the command line: ``python -m emulator``.

    python -m emulator --route '$connect=app.handlers.connect' \\
        --route '$default=app.handlers.default' --two-way '$default' \\
        --selection '$request.body.action' --port 8080 \\
        --env TABLE_NAME=things --table table.json

Prints the ``ws://`` URL alone on the first line of stdout once it listens
(then the management URL on stderr) and serves until Ctrl-C or SIGTERM.
``--credentials-file PATH`` first writes the run's credentials and endpoints there
for other processes (`emulator.credentials_file`), and removes it on stopping. ``--table``
takes a JSON file of boto3 ``create_table`` arguments (the embedded DynamoDB
starts when one is given, or with ``--dynamodb``); ``--dynamodb-endpoint``
points handlers at another DynamoDB instead. ``CONNECTIONS_URL`` is always set
to the management URL, for handlers that need to find it.

``python -m emulator --stack DIR [--stack-name dev]`` serves instead the stack the
Pulumi program in DIR declares (`emulator.stack`), after printing one line per
thing it declares that the emulator does not honour.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import credentials_file
from .authorizer import Authorizer
from .dynamodb import DynamoDB
from .listener import DEFAULT_MAX_CONNECTIONS, default_max_connections
from .server import Emulator


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


LIMITS: dict[str, tuple[type, str]] = {
    "idle_timeout": (float, "seconds a connection may stay silent"),
    "max_connection_duration": (float, "seconds a connection may last"),
    "integration_timeout": (float, "seconds a handler may take"),
    "max_frame_size": (int, "bytes in one WebSocket frame"),
    "max_message_size": (int, "bytes in one message, and in one @connections POST"),
    "client_buffer_limit": (int, "bytes waiting for a slow client before POST answers 429"),
    "close_timeout": (float, "seconds a client has to answer a close frame"),
    "request_timeout": (float, "seconds a connection has to send a request head, then its body"),
    "max_connections": (int, "open connections at once; past it, 503"),
    "max_workers_per_function": (int, "worker processes per function (Lambda concurrency)"),
    "provisioned_concurrency": (int, "worker processes started ahead of time per function"),
}
"""The `Emulator` limits the command line sets, and what each limits (defaults: Emulator's)."""


def _default_shown(option: str) -> object:
    """The default ``--help`` shows for a limit: `Emulator`'s, or for the connection cap the
    one this process gets (`emulator.listener.default_max_connections`)."""
    if option == "max_connections":
        return (
            f"{DEFAULT_MAX_CONNECTIONS}, fewer under a low file descriptor limit: "
            f"{default_max_connections()} here"
        )
    return inspect.signature(Emulator).parameters[option].default


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--route", type=_pair, action="append", default=[], metavar="KEY=MODULE.FUNCTION"
    )
    parser.add_argument(
        "--stack", type=Path, metavar="DIR", help="serve the stack this Pulumi program declares"
    )
    parser.add_argument(
        "--stack-name", default=None, help="read Pulumi.NAME.yaml for the program's settings"
    )
    parser.add_argument(
        "--two-way",
        action="append",
        default=[],
        metavar="KEY",
        help="a route whose returned body is sent back",
    )
    parser.add_argument(
        "--selection", default="$request.body.action", help="route selection expression"
    )
    parser.add_argument("--stage", default="local")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--env", type=_pair, action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument(
        "--table",
        type=Path,
        action="append",
        default=[],
        help="JSON file of create_table arguments",
    )
    parser.add_argument(
        "--ttl",
        type=Path,
        action="append",
        default=[],
        help="JSON file of update_time_to_live arguments",
    )
    parser.add_argument(
        "--dynamodb", action="store_true", help="start the embedded DynamoDB even without tables"
    )
    parser.add_argument("--dynamodb-endpoint", help="use this DynamoDB instead of the embedded one")
    for option, (kind, meaning) in LIMITS.items():
        parser.add_argument(
            "--" + option.replace("_", "-"),
            type=kind,
            default=None,
            metavar=kind.__name__.upper(),
            help=f"{meaning} (default {_default_shown(option)})",
        )
    parser.add_argument(
        "--authorizer",
        metavar="MODULE.FUNCTION",
        help="a Lambda REQUEST authorizer run before $connect",
    )
    parser.add_argument(
        "--identity-source",
        action="append",
        default=[],
        metavar="SOURCE",
        help="route.request.header.NAME or route.request.querystring.NAME the authorizer "
        "needs (missing or empty: 401 without calling it)",
    )
    parser.add_argument(
        "--credentials-file",
        type=Path,
        metavar="PATH",
        help="write this run's credentials and endpoints there for other processes, as "
        "NAME=value lines (load with: set -a; . PATH; set +a); removed on stopping",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log invocations to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.stack is None and not args.route:
        parser().error("give at least one --route, or --stack")
    if args.credentials_file is not None:
        try:
            credentials_file.check_writable(args.credentials_file)
        except (OSError, credentials_file.NotOurs) as error:
            parser().error(f"--credentials-file: {error}")
    dynamodb = None
    if args.table or args.ttl or args.dynamodb or args.dynamodb_endpoint:
        dynamodb = DynamoDB(
            endpoint_url=args.dynamodb_endpoint,
            tables=[json.loads(path.read_text()) for path in args.table],
            time_to_live=[json.loads(path.read_text()) for path in args.ttl],
        )
    variables = dict(args.env)

    def handler_variables(emu: Emulator) -> dict[str, str]:
        return {"CONNECTIONS_URL": emu.management_url, **variables}

    if not args.quiet:
        log = logging.getLogger("emulator")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    if args.stack is not None:
        return _serve_stack(args)
    emulator = Emulator(
        dict(args.route),
        route_selection_expression=args.selection,
        two_way_routes=args.two_way,
        stage=args.stage,
        host=args.host,
        port=args.port,
        environment=handler_variables,
        dynamodb=dynamodb,
        authorizer=_authorizer(args),
        **_limits(args),
    )
    _serve(emulator, args, handler_variables)
    return 0


def _serve(
    emulator: Emulator,
    args: argparse.Namespace,
    variables: Callable[[Emulator], dict[str, str]] = lambda emu: {},
) -> None:
    """Run `emulator` until stopped: once it listens, write the credentials file if
    asked (with the command line's handler `variables`), then print the URLs; remove
    the file on the way out."""
    path: Path | None = args.credentials_file

    def ready(emu: Emulator) -> None:
        if path is not None:
            environment = credentials_file.caller_environment(emu, variables(emu))
            credentials_file.write(path, emu.url, environment)
        sys.stdout.write(emu.url + "\n")
        sys.stdout.flush()
        sys.stderr.write(f"management endpoint: {emu.management_url}\n")
        if path is not None:
            shown = shlex.quote(str(path.absolute()))  # `.` searches PATH for a bare name
            sys.stderr.write(f"credentials for other processes: set -a; . {shown}; set +a\n")

    try:
        emulator.run(ready)
    finally:
        if path is not None:
            credentials_file.remove(path)


def _authorizer(args: argparse.Namespace) -> Authorizer | None:
    if args.authorizer is None:
        if args.identity_source:
            parser().error("--identity-source needs --authorizer")
        return None
    try:
        return Authorizer(args.authorizer, identity_sources=tuple(args.identity_source))
    except ValueError as error:
        parser().error(str(error))


def _limits(args: argparse.Namespace) -> dict[str, Any]:
    """The limits given on the command line (the others keep `Emulator`'s defaults)."""
    return {option: getattr(args, option) for option in LIMITS if getattr(args, option) is not None}


def _serve_stack(args: argparse.Namespace) -> int:
    import tempfile

    from .pulumi_program import PulumiMissing
    from .stack import read_stack, stack_emulator

    try:
        stack = read_stack(args.stack, stack_name=args.stack_name)
    except PulumiMissing as error:
        sys.stderr.write(f"{error}\n")
        return 2
    for line in stack.not_honoured:
        sys.stderr.write(f"not honoured: {line}\n")
    with tempfile.TemporaryDirectory(prefix="emulator-stack-") as workdir:
        emulator = stack_emulator(
            stack,
            Path(workdir),
            host=args.host,
            port=args.port,
            **_limits(args),
        )
        _serve(emulator, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
