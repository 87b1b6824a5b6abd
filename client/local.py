"""xo's wiring of the emulator: our route table, our DynamoDB table, our handlers' settings.

- `xo_emulator(...)` builds an `emulator.Emulator` serving `functions.routes.ROUTES`
  (one Lambda function per route, run in warm worker processes), routed on
  `ROUTE_SELECTION_EXPRESSION`, with the embedded DynamoDB holding the game table
  (`functions.table`, TTL on) unless `dynamodb_endpoint` names another one.
  Handlers get `TABLE_NAME`, `CONNECTIONS_URL` (the emulator's own `@connections`
  endpoint, known once the port is bound) and, if given, `GAME_TTL_SECONDS`.
- `stack_emulator(...)` builds one serving the stack the Pulumi program declares
  instead (`emulator.stack`): `__main__.py` run under Pulumi mocks in this process,
  each function from its extracted archive with its declared variables, memory,
  timeout and role, the declared table and stage. `xo local --stack`.
- `run_local(host, port, ready)` serves until Ctrl-C: the `xo local` command.
- `start_in_background()` serves from a thread of this process: `xo new` with
  nothing configured.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator import DynamoDB, Emulator, Function
from functions import settings
from functions.routes import ROUTE_SELECTION_EXPRESSION, ROUTES
from functions.table import create_table_request, ttl_request

if TYPE_CHECKING:
    from emulator.stack import Stack

STAGE = "local"
REPO_ROOT = Path(__file__).resolve().parent.parent
"""Where `functions` and `game` are imported from, whatever the current directory."""
TABLE_NAME = "xo-games"
LAMBDA_MEMORY_MB = 256
"""Each function's memory, as deployed (`infra.websocket_game`'s ``lambda_memory_mb``):
the context reports it and the metrics bill GB-seconds with it."""
MAX_WORKERS_PER_FUNCTION = 4
"""Worker processes per function at most (~48 MB each, 6 functions): xo's handlers wait
mostly on DynamoDB, which serves one request at a time, so more workers add memory, not
throughput (benchmarks.load holds 500 games at 75 moves/s with 4)."""


def xo_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    dynamodb_endpoint: str | None = None,
    table_name: str = TABLE_NAME,
    game_ttl_seconds: int | None = None,
    **options: Any,
) -> Emulator:
    """An emulator for xo's API; ``options`` go to `Emulator` (timeouts, workers, ...)."""
    routes = {
        route.key: Function(route.handler, name=f"xo-{route.name}", memory_mb=LAMBDA_MEMORY_MB)
        for route in ROUTES
    }
    two_way = [route.key for route in ROUTES if route.two_way]
    dynamodb = DynamoDB(
        endpoint_url=dynamodb_endpoint,
        tables=[create_table_request(table_name)],
        time_to_live=[ttl_request(table_name)],
    )

    def environment(emulator: Emulator) -> dict[str, str]:
        env = {settings.TABLE_NAME: table_name, settings.CONNECTIONS_URL: emulator.management_url}
        if game_ttl_seconds is not None:
            env[settings.GAME_TTL_SECONDS] = str(game_ttl_seconds)
        return env

    options.setdefault("python_path", [str(REPO_ROOT)])
    options.setdefault("max_workers_per_function", MAX_WORKERS_PER_FUNCTION)
    return Emulator(
        routes,
        route_selection_expression=ROUTE_SELECTION_EXPRESSION,
        two_way_routes=two_way,
        stage=STAGE,
        host=host,
        port=port,
        environment=environment,
        dynamodb=dynamodb,
        **options,
    )


STACK_NAME = "dev"
"""The Pulumi stack whose settings (`Pulumi.dev.yaml`) `--stack` serves."""


@contextlib.contextmanager
def stack_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    program_dir: Path = REPO_ROOT,
    config: dict[str, str] | None = None,
    stack: Stack | None = None,
    report: Callable[[str], None] | None = None,
    **options: Any,
) -> Iterator[Emulator]:
    """An emulator serving the stack the Pulumi program in `program_dir` declares.

    The program runs under mocks with `Pulumi.dev.yaml`'s settings and `config`
    on top (or `stack` is served as given, already read). ``report`` gets one line
    per thing declared that the emulator does not honour, before it starts.
    The functions' archives live in a temporary directory until the block ends.
    """
    from emulator.stack import read_stack
    from emulator.stack import stack_emulator as serve_stack

    if stack is None:
        stack = read_stack(program_dir, config, stack_name=STACK_NAME)
    for line in stack.not_honoured:
        (report or _warn)(f"not honoured: {line}")
    options.setdefault("max_workers_per_function", MAX_WORKERS_PER_FUNCTION)
    with tempfile.TemporaryDirectory(prefix="xo-stack-") as workdir:
        yield serve_stack(stack, Path(workdir), host=host, port=port, **options)


def _warn(line: str) -> None:
    sys.stderr.write(line + "\n")


def run_local(
    host: str = "127.0.0.1",
    port: int = 0,
    ready: Callable[[str], None] | None = None,
    *,
    stack: bool = False,
    **options: Any,
) -> None:
    """Serve xo's API until SIGINT or SIGTERM; ``ready(url)`` is called once, as soon as the URL is known.

    ``stack``: serve the stack the Pulumi program declares (`stack_emulator`)
    rather than the route table. Invocations and handler output are logged to
    stderr (stdout is left to ``ready``). Raises OSError when the port cannot be bound.
    """
    log = logging.getLogger("emulator")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    def on_ready(emulator: Emulator) -> None:
        if ready is not None:
            ready(emulator.url)

    if stack:
        with stack_emulator(host, port, **options) as emulator:
            emulator.run(ready=on_ready)
    else:
        xo_emulator(host, port, **options).run(ready=on_ready)


def start_in_background(
    host: str = "127.0.0.1", port: int = 0, **options: Any
) -> tuple[str, Callable[[], None]]:
    """Serve xo's API from a daemon thread of this process; returns its ``ws://`` URL and a stop function."""
    threaded = xo_emulator(host, port, **options).serve_in_thread()
    return threaded.url, threaded.stop
