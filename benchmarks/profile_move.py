"""Where one move's time goes: a timeline of a `play`, from the sender's socket to the
opponent's, with timestamps taken in every process on the way.

    python -m benchmarks.profile_move [--moves 108]

An investigation tool, not one of the benchmarks. It starts, in child processes of its
own: the embedded DynamoDB (`emulator.dynamodb_server`'s app, wrapped to time each
request inside the WSGI app), and an emulator serving xo's routes with `play` pointed at
a wrapper (`benchmarks.profile_move.play`) that times the handler and its boto3 calls in
the worker. The emulator's own methods are wrapped (in that child only) to time when
the frame was read, when the invocation started, when the `@connections` POST arrived.
Every process stamps with `time.perf_counter()` (CLOCK_MONOTONIC, shared by the
processes of one machine), so the stamps of one move line up; moves are matched on
(game id, cell).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.procs import ROOT

STAMPS_DIR = "XO_PROFILE_STAMPS"


def _cell(tile: str) -> int:
    row, _, column = tile.partition(",")
    return int(row) * 3 + int(column)


class _Stamps:
    """Stamps of this process, appended to a file of its own in $XO_PROFILE_STAMPS."""

    def __init__(self) -> None:
        directory = os.environ.get(STAMPS_DIR)
        self.path = Path(directory) / f"{os.getpid()}.jsonl" if directory else None
        self.lines: list[str] = []
        self.lock = threading.Lock()

    def add(self, key: tuple[str, int] | None, name: str, at: float | None = None) -> None:
        if key is None or self.path is None:
            return
        line = json.dumps([key[0], key[1], name, time.perf_counter() if at is None else at])
        with self.lock:
            self.lines.append(line)

    def gc_pause(self, role: str, generation: int, began: float, seconds: float) -> None:
        if self.path is None:
            return
        with self.lock:
            self.lines.append(json.dumps(["#gc", role, generation, began, seconds]))

    def watch_gc(self, role: str) -> None:
        """Record every garbage collection of this process (start, generation, pause)."""
        import gc

        began = [0.0]

        def callback(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                began[0] = time.perf_counter()
            else:
                self.gc_pause(
                    role, int(info.get("generation", -1)), began[0], time.perf_counter() - began[0]
                )

        gc.callbacks.append(callback)

    def flush(self) -> None:
        if self.path is None:
            return
        with self.lock:
            lines, self.lines = self.lines, []
        if lines:
            with open(self.path, "a") as out:
                out.write("\n".join(lines) + "\n")


STAMPS = _Stamps()


def _key_of_body(body: Any) -> tuple[str, int] | None:
    try:
        message = json.loads(body)
        if message.get("type") == "play" or "tile" in message:
            return str(message["id"]), _cell(str(message["tile"]))
    except Exception:
        pass
    return None


# ---- in the `play` worker ---------------------------------------------------------------

_current: list[tuple[str, int] | None] = [None]
_hooked = [False]


def _hook_boto3() -> None:
    import boto3
    import botocore.endpoint

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
    for service in ("dynamodb", "apigatewaymanagementapi"):
        short = "ddb" if service == "dynamodb" else "post"
        events.register_first(
            f"before-call.{service}",
            lambda short=short, **_: STAMPS.add(_current[0], f"{short} call"),
        )
        events.register_last(
            f"before-send.{service}",
            lambda short=short, **_: STAMPS.add(_current[0], f"{short} send"),
        )
        events.register_last(
            f"after-call.{service}",
            lambda short=short, **_: STAMPS.add(_current[0], f"{short} parsed"),
        )
    original = botocore.endpoint.Endpoint._send

    def timed_send(self: Any, request: Any) -> Any:
        response = original(self, request)
        service = (
            "ddb"
            if "dynamodb" in str(getattr(request, "url", ""))
            or "DynamoDB" in str(request.headers.get("X-Amz-Target", ""))
            else "post"
        )
        STAMPS.add(_current[0], f"{service} response")
        return response

    botocore.endpoint.Endpoint._send = timed_send  # type: ignore[method-assign]


def play(event: dict[str, Any], context: Any) -> Any:
    """`functions.play.handler`, timed."""
    started = time.perf_counter()
    from functions.play import handler

    if not _hooked[0]:
        _hook_boto3()
        STAMPS.watch_gc("play worker")
        if os.environ.get("XO_PROFILE_WORKER_GC") == "tuned":
            import gc

            gc.collect()
            gc.freeze()
            gc.set_threshold(50_000, 20, 100)
        _hooked[0] = True
    key = _key_of_body(event.get("body"))
    _current[0] = key
    STAMPS.add(key, "handler start", started)
    cpu_began = time.process_time()
    try:
        return handler(event, context)
    finally:
        STAMPS.add(key, "handler end")
        STAMPS.add(key, "handler cpu 0", 0.0)
        STAMPS.add(key, "handler cpu", time.process_time() - cpu_began)
        _current[0] = None
        STAMPS.flush()


def _flush_every_second() -> None:
    while True:
        time.sleep(1)
        STAMPS.flush()


# ---- the embedded DynamoDB, timed inside its WSGI app ----------------------------------


def serve_dynamodb() -> None:
    """`emulator.dynamodb_server.main`, with each request timed inside the server."""
    import io

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from emulator import dynamodb_server, moto_patches

    moto_patches.apply()
    try:
        middleware = dynamodb_server.CapacityMiddleware(
            DomainDispatcherApplication(create_backend_app), create_backend_app("dynamodb")
        )
    except TypeError:  # an older middleware takes one application
        middleware = dynamodb_server.CapacityMiddleware(
            DomainDispatcherApplication(create_backend_app)
        )
    attribute = "dynamodb_app" if hasattr(middleware, "dynamodb_app") else "app"
    inner = getattr(middleware, attribute)

    def moto_only(environ: dict[str, Any], start_response: Any) -> Any:
        began = time.perf_counter()
        body = b"".join(inner(environ, start_response))
        environ["profile.moto_s"] = time.perf_counter() - began
        return [body]

    setattr(middleware, attribute, moto_only)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        began = time.perf_counter()
        cpu_began = time.thread_time()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        body = b"".join(middleware(environ, start_response))
        ended = time.perf_counter()
        cpu = time.thread_time() - cpu_began
        try:
            request = json.loads(raw)
            expression = request.get("UpdateExpression", "")
            if "#board[" in expression:
                cell = int(expression.split("#board[", 1)[1].split("]", 1)[0])
                key = (request["Key"]["GameId"]["S"], cell)
                STAMPS.add(key, "moto start", began)
                if "profile.moto_s" in environ:
                    STAMPS.add(key, "moto inner end", began + environ["profile.moto_s"])
                STAMPS.add(key, "moto end", ended)
                STAMPS.add(key, "moto cpu 0", 0.0)
                STAMPS.add(key, "moto cpu", cpu)
        except Exception:
            pass
        return [body]

    STAMPS.watch_gc("dynamodb")
    threading.Thread(target=_flush_every_second, daemon=True).start()
    if os.environ.get("XO_PROFILE_GC") == "tuned":
        import gc

        gc.collect()
        gc.freeze()  # what is alive after start-up (moto, botocore models) is never scanned again
        gc.set_threshold(50_000, 20, 100)

    def ready(port: int) -> None:
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()

    if hasattr(dynamodb_server, "KeepAliveWSGIServer"):
        asyncio.run(dynamodb_server.KeepAliveWSGIServer(app, "127.0.0.1", 0).serve(ready))
        return
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ready(server.server_address[1])
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


# ---- the emulator, with its steps timed -------------------------------------------------


def serve_emulator(dynamodb_endpoint: str) -> None:
    import client.local as local
    from emulator import runtime
    from emulator.gateway import Gateway
    from emulator.management import ManagementApi
    from functions.routes import ROUTES, Route

    local.ROUTES = tuple(  # type: ignore[attr-defined]
        Route(
            r.key,
            "benchmarks.profile_move.play",
            r.name,
            r.dynamodb_actions,
            r.connections_methods,
            r.two_way,
        )
        if r.key == "play"
        else r
        for r in ROUTES
    )
    on_message = Gateway._on_message
    management = ManagementApi.handle
    invoke = runtime.WorkerPool.invoke

    def timed_on_message(self: Any, conn: Any, opcode: Any, data: bytes) -> None:
        STAMPS.add(_key_of_body(data), "frame read")
        on_message(self, conn, opcode, data)

    def timed_management(self: Any, method: str, connection_id: str, body: bytes) -> Any:
        key = _key_of_body(body)
        STAMPS.add(key, "post received")
        result = management(self, method, connection_id, body)
        STAMPS.add(key, "frame written")
        return result

    async def timed_invoke(
        self: Any, event: dict[str, Any], request_id: str, timeout: float
    ) -> Any:
        key = _key_of_body(event.get("body"))
        STAMPS.add(key, "invoke start")
        try:
            return await invoke(self, event, request_id, timeout)
        finally:
            STAMPS.add(key, "invoke end")
            STAMPS.flush()

    Gateway._on_message = timed_on_message  # type: ignore[method-assign]
    ManagementApi.handle = timed_management  # type: ignore[method-assign]
    runtime.WorkerPool.invoke = timed_invoke  # type: ignore[method-assign]

    STAMPS.watch_gc("emulator")
    threading.Thread(target=_flush_every_second, daemon=True).start()

    def ready(url: str) -> None:
        sys.stdout.write(url + "\n")
        sys.stdout.flush()

    try:
        local.xo_emulator(dynamodb_endpoint=dynamodb_endpoint).run(ready=lambda emu: ready(emu.url))
    finally:
        STAMPS.flush()


# ---- the driver ----------------------------------------------------------------------------

SEGMENTS = [
    ("client send -> emulator reads the frame", "client send", "frame read"),
    ("emulator: frame -> invocation starts", "frame read", "invoke start"),
    ("IPC: invocation -> worker handler starts", "invoke start", "handler start"),
    ("handler: parse, build the UpdateItem", "handler start", "ddb call"),
    ("boto3: serialize + sign UpdateItem", "ddb call", "ddb send"),
    ("HTTP -> DynamoDB server", "ddb send", "moto start"),
    ("DynamoDB server: capacity middleware + moto", "moto start", "moto end"),
    ("  of which moto's DynamoDB app", "moto start", "moto inner end"),
    ("HTTP <- DynamoDB server", "moto end", "ddb response"),
    ("boto3: parse UpdateItem response", "ddb response", "ddb parsed"),
    ("handler: decode item, build play", "ddb parsed", "post call"),
    ("boto3: serialize + sign POST", "post call", "post send"),
    ("HTTP -> emulator @connections", "post send", "post received"),
    ("emulator: frame written", "post received", "frame written"),
    ("emulator -> opponent's client", "frame written", "client received"),
    ("TOTAL: play sent -> opponent receives", "client send", "client received"),
    ("after: POST response -> boto3 done", "frame written", "post parsed"),
    ("after: handler end -> invocation end", "handler end", "invoke end"),
    ("CPU: DynamoDB server thread, per UpdateItem", "moto cpu 0", "moto cpu"),
    ("CPU: play worker, per handler run", "handler cpu 0", "handler cpu"),
]


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.profile_move", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().decode().strip()


Stamp = tuple[str, int, str, float]


async def _one_game(url: str, moves: int, warm: Any = None) -> list[Stamp]:
    from collections import Counter

    from benchmarks.players import DRAW, Player, expect, new_game

    stamps: list[Stamp] = []
    errors: Counter[str] = Counter()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    x = await Player.connect(url, errors, inbox)
    o = await Player.connect(url, errors, inbox)
    games = 0
    while len(stamps) < 2 * (moves + 9):
        game_id = await new_game(x, o, inbox)
        for turn, tile in enumerate(DRAW):
            mover, opponent = (x, o) if turn % 2 == 0 else (o, x)
            sent = await mover.send({"type": "play", "id": game_id, "tile": tile})
            _, arrived, _ = await expect(inbox, "play", opponent)
            if games > 0:
                stamps += [
                    (game_id, _cell(tile), "client send", sent),
                    (game_id, _cell(tile), "client received", arrived),
                ]
        if games == 0 and warm is not None:
            await asyncio.sleep(0.5)
            warm()
        games += 1
        await asyncio.sleep(0.05)
    await x.close()
    await o.close()
    return stamps


class _Tree:
    """What `benchmarks.load.run_step` needs of a server, for the profiling processes."""

    def __init__(self, url: str, pids: list[int]) -> None:
        self.url = url
        self.pids = pids

    def rss_bytes(self) -> int:
        from benchmarks.procs import tree_rss_bytes

        return sum(tree_rss_bytes(pid) for pid in self.pids)

    def processes(self) -> int:
        from benchmarks.procs import descendants

        return sum(len(descendants(pid)) for pid in self.pids)

    def cpu_seconds(self) -> float:
        from benchmarks.procs import tree_cpu_seconds

        return sum(tree_cpu_seconds(pid) for pid in self.pids)

    def wait_idle(self) -> float:
        from benchmarks.procs import LocalServer

        return LocalServer.wait_idle(self)  # type: ignore[arg-type]


async def _paced(
    tree: _Tree, games: int, rate: float, seconds: float, warm: Any = None
) -> tuple[list[Stamp], dict[str, Any]]:
    from benchmarks import load

    stamps: list[Stamp] = []

    def on_move(game_id: str, tile: str, sent: float, arrived: float) -> None:
        stamps.extend(
            [
                (game_id, _cell(tile), "client send", sent),
                (game_id, _cell(tile), "client received", arrived),
            ]
        )

    await load.warm_up(tree.url)
    await asyncio.to_thread(tree.wait_idle)
    if warm is not None:
        warm()
    step = await load.run_step(tree, games, rate, seconds, on_move=on_move)  # type: ignore[arg-type]
    return stamps, step


def profile(moves: int, games: int = 0, rate: float = 0.0, seconds: float = 0.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="xo-profile-") as directory:
        env = dict(os.environ, **{STAMPS_DIR: directory, "PYTHONPATH": str(ROOT)})
        dynamodb, port = _start(["--serve-dynamodb"], env)
        emulator, url = _start(["--serve-emulator", f"http://127.0.0.1:{port}"], env)
        step: dict[str, Any] | None = None
        cpu_before: dict[str, float] = {}

        def warm() -> None:
            cpu_before.update(_cpu_by_role(emulator.pid, dynamodb.pid))

        try:
            if games:
                from benchmarks.procs import raise_fd_limit

                raise_fd_limit()
                client, step = asyncio.run(
                    _paced(_Tree(url, [emulator.pid, dynamodb.pid]), games, rate, seconds, warm)
                )
            else:
                client = asyncio.run(_one_game(url, moves, warm))
            time.sleep(1.5)
            cpu_after = _cpu_by_role(emulator.pid, dynamodb.pid)
        finally:
            emulator.send_signal(signal.SIGINT)
            emulator.wait(60)
            dynamodb.terminate()
            dynamodb.wait(10)
        by_move: dict[tuple[str, int], dict[str, float]] = {}
        for game, cell, name, at in client:
            by_move.setdefault((game, cell), {})[name] = at
        pauses: list[tuple[str, int, float, float]] = []
        for path in Path(directory).glob("*.jsonl"):
            for line in path.read_text().splitlines():
                record = json.loads(line)
                if record[0] == "#gc":
                    pauses.append((record[1], record[2], record[3], record[4]))
                    continue
                game, cell, name, at = record
                if (game, cell) in by_move:
                    by_move[(game, cell)].setdefault(name, at)
    result = analyse(by_move, pauses, step)
    # CPU after the warm-up (start/join and closing included), per move timed.
    result["cpu_ms_per_move"] = {
        role: round(
            (cpu_after.get(role, 0.0) - cpu_before.get(role, 0.0)) * 1000 / max(1, result["moves"]),
            2,
        )
        for role in cpu_after
    }
    return result


def _cpu_by_role(emulator: int, dynamodb: int) -> dict[str, float]:
    from benchmarks.procs import _stat, cmdline, descendants

    roles: dict[str, float] = {}
    for pid in [*descendants(emulator), dynamodb]:
        fields = _stat(pid)
        if fields is None:
            continue
        command = " ".join(cmdline(pid))
        role = (
            "dynamodb server"
            if pid == dynamodb
            else "emulator (event loop)"
            if pid == emulator
            else "worker play"
            if "profile_move.play" in command
            else "worker " + command.rsplit(".", 2)[-2]
            if "emulator.worker" in command
            else "other"
        )
        roles[role] = roles.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf(
            "SC_CLK_TCK"
        )
    return roles


def _segments(moves: list[dict[str, float]], total_median: float) -> list[dict[str, Any]]:
    from benchmarks.stats import percentile

    rows = []
    for label, start, end in SEGMENTS:
        values = sorted((m[end] - m[start]) * 1000 for m in moves if start in m and end in m)
        if values:
            median = statistics.median(values)
            rows.append(
                {
                    "segment": label,
                    "n": len(values),
                    "median_ms": round(median, 2),
                    "mean_ms": round(statistics.fmean(values), 2),
                    "p99_ms": round(percentile(values, 0.99), 2),
                    "share_of_median_total": round(median / total_median, 3)
                    if total_median
                    else None,
                }
            )
    return rows


def analyse(
    by_move: dict[tuple[str, int], dict[str, float]],
    pauses: list[tuple[str, int, float, float]],
    step: dict[str, Any] | None,
) -> dict[str, Any]:
    from benchmarks.stats import percentile

    moves = [m for m in by_move.values() if "client send" in m and "client received" in m]
    totals = sorted((m["client received"] - m["client send"]) * 1000 for m in moves)
    total_median = statistics.median(totals) if totals else 0.0
    slow_limit = percentile(totals, 0.95) if totals else 0.0
    slow = [m for m in moves if (m["client received"] - m["client send"]) * 1000 >= slow_limit]
    # Collections that paused a process while a move was under way.
    gc: dict[str, dict[str, Any]] = {}
    for role, generation, _began, seconds in pauses:
        entry = gc.setdefault(
            role,
            {
                "collections": 0,
                "pause_total_ms": 0.0,
                "pause_max_ms": 0.0,
                "gen2": 0,
                "slow_moves_overlapped": 0,
            },
        )
        entry["collections"] += 1
        entry["gen2"] += generation == 2
        entry["pause_total_ms"] = round(entry["pause_total_ms"] + seconds * 1000, 2)
        entry["pause_max_ms"] = round(max(entry["pause_max_ms"], seconds * 1000), 2)
    for m in slow:
        for role in gc:
            if any(
                began < m["client received"] and began + seconds > m["client send"]
                for r, _, began, seconds in pauses
                if r == role and seconds > 0.005
            ):
                gc[role]["slow_moves_overlapped"] += 1
    return {
        "moves": len(moves),
        "segments": _segments(moves, total_median),
        "slow_limit_ms": round(slow_limit, 2),
        "slow_segments": _segments(
            slow,
            statistics.median([(m["client received"] - m["client send"]) * 1000 for m in slow])
            if slow
            else 0.0,
        ),
        "slow_moves": len(slow),
        "gc": gc,
        "step": step,
    }


def render(result: dict[str, Any]) -> str:
    from benchmarks.report import table

    def rows(segments: list[dict[str, Any]]) -> list[list[Any]]:
        return [
            [
                r["segment"],
                r["n"],
                f"{r['median_ms']:.2f}",
                f"{r['mean_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                f"{100 * (r['share_of_median_total'] or 0):.0f} %",
            ]
            for r in segments
        ]

    headers = ["segment of one move", "n", "median ms", "mean ms", "p99 ms", "of median total"]
    text = table(headers, rows(result["segments"]))
    if result["step"] is not None:
        s = result["step"]
        text = (
            f"paced load: {s['games']} games, {s['target_moves_per_s']:g} moves/s for {s['seconds']:g} s:"
            f" {s['moves_per_s']:g} moves/s, median {s['latency']['median_ms']} ms, p99 {s['latency']['p99_ms']} ms,"
            f" errors {s['errors'] or 0}, emulator CPU {s['emulator_cpu_cores']} cores, driver CPU {s['driver_cpu_cores']}\n\n"
            + text
        )
    text += (
        f"\n\nthe slowest 5 % of moves ({result['slow_moves']}, >= {result['slow_limit_ms']} ms):\n"
    )
    text += table(headers, rows(result["slow_segments"]))
    gc_rows = [
        [
            role,
            g["collections"],
            g["gen2"],
            f"{g['pause_total_ms']:.1f}",
            f"{g['pause_max_ms']:.1f}",
            g["slow_moves_overlapped"],
        ]
        for role, g in sorted(result["gc"].items())
    ]
    text += "\n\ngarbage collections:\n" + table(
        [
            "process",
            "collections",
            "gen 2",
            "pause total ms",
            "pause max ms",
            "slow moves overlapped (pause > 5 ms)",
        ],
        gc_rows,
    )
    text += (
        "\n\nCPU ms per timed move, after the warm-up (start/join and closing included): "
        + ", ".join(
            f"{role} {value}"
            for role, value in sorted(result["cpu_ms_per_move"].items(), key=lambda kv: -kv[1])
        )
    )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description="A timeline of one move through the emulator.")
    parser.add_argument(
        "--moves", type=int, default=108, help="one game, both sides answering at once: moves timed"
    )
    parser.add_argument(
        "--games",
        type=int,
        default=0,
        help="instead: this many paced games (benchmarks.load's step)",
    )
    parser.add_argument("--rate", type=float, default=50.0, help="moves/s in all, with --games")
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="seconds of paced moves, with --games"
    )
    parser.add_argument("--serve-dynamodb", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-emulator", metavar="DYNAMODB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_dynamodb:
        serve_dynamodb()
        return
    if args.serve_emulator:
        serve_emulator(args.serve_emulator)
        return
    print(render(profile(args.moves, args.games, args.rate, args.seconds)))


if __name__ == "__main__":
    main()
