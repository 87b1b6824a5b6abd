"""Running handlers the way Lambda runs them.

Two kinds of handler, two places to run them:

- ``"module.function"`` strings (as Lambda names handlers) run in **worker
  processes** (`emulator.worker`), a small pool per function: started lazily
  (or ahead of time with ``provisioned_concurrency``), each imports the module
  once and stays warm, one invocation at a time, with the function's
  environment variables. An invocation that outlives its timeout gets its
  worker killed and replaced, as Lambda does. This is what lets one emulator
  serve many connections: handlers, boto3 and DynamoDB use other cores.
- **Callables** run in the emulator's own process on a thread pool
  (``async def`` handlers run on the event loop). They share the process
  environment: the emulator sets the configured variables in ``os.environ``
  while it runs. A callable that overruns its timeout is reported as timed out
  but cannot be stopped.

Either way every invocation gets a fresh `emulator.context.LambdaContext`, its
result goes through JSON as Lambda's would, and the DynamoDB calls it made are
returned with it for metering.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import json
import logging
import os
import secrets
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import scoped_environ
from .context import FunctionInfo, LambdaContext
from .iam import Role
from .metering import DynamoDBCall, recording
from .worker import INFO_VARIABLE, Fault, error_payload, round_trip

logger = logging.getLogger("emulator")

Handler = Callable[[dict[str, Any], Any], Any]
"""A Lambda handler: ``handler(event, context)`` returning a JSON-able value (or a coroutine function)."""


@dataclass(frozen=True)
class Function:
    """A Lambda function behind one or more routes.

    ``handler``: a callable, or ``"module.function"`` (run in worker processes).
    ``name``: the function name (context, logs); by default derived from the handler.
    ``environment``: variables for this function on top of the emulator's.
    ``memory_mb``: reported by the context (``memory_limit_in_mb``).
    ``timeout``: the function's own timeout in seconds; the integration timeout
    still applies (the shorter wins).
    ``code_dir``: the function's extracted deployment package (``"module.function"``
    handlers only). Its workers then run as on Lambda (`emulator.lambda_runtime`):
    they import from this directory and the runtime's SDK alone, start in it, and
    get only their own and Lambda's environment variables, not the emulator's.
    ``role``: the function's IAM role (`emulator.iam.Role`). Its calls to
    ``@connections`` and the embedded DynamoDB, signed with the credentials the
    emulator issues it, may do only what the role's policies allow; without a
    role, anything (once signed with credentials the emulator issued).
    """

    handler: Handler | str
    name: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_mb: int = 128
    timeout: float | None = None
    code_dir: str | None = None
    role: Role | None = None

    @property
    def function_name(self) -> str:
        if self.name:
            return self.name
        if isinstance(self.handler, str):
            return self.handler.replace(".", "-").replace("/", "-")
        return getattr(
            self.handler, "__qualname__", getattr(self.handler, "__name__", "handler")
        ).replace(".", "-")


RouteTarget = Handler | str | Function


@dataclass
class Invocation:
    """The outcome of one invocation."""

    result: Any = None
    error: dict[str, Any] | None = None
    dynamodb: list[DynamoDBCall] = field(default_factory=list)
    duration_ms: float = 0.0
    """Wall time as API Gateway sees it: queueing, cold start and the handler."""
    handler_ms: float = 0.0
    """Time in the handler itself, as Lambda bills it (before rounding up to 1 ms)."""
    timed_out: bool = False


def _log_stream_name() -> str:
    return time.strftime("%Y/%m/%d", time.gmtime()) + "/[$LATEST]" + secrets.token_hex(16)


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.next_id = 0
        self.stderr_task: asyncio.Task[None] | None = None
        self.killed = False

    @property
    def alive(self) -> bool:
        return not self.killed and self.process.returncode is None

    def kill(self) -> None:
        self.killed = True
        if self.process.returncode is None:
            try:
                self.process.kill()
            except ProcessLookupError:  # pragma: no cover - raced with exit
                pass


class WorkerPool:
    """Warm worker processes for one ``module.function`` handler (one Lambda function)."""

    def __init__(
        self,
        function: Function,
        *,
        environment: Callable[[], dict[str, str]],
        info: Callable[[], FunctionInfo],
        max_workers: int,
        python_path: list[str],
    ) -> None:
        assert isinstance(function.handler, str)
        self.function = function
        self._environment = environment
        self._info = info
        self._max = max_workers
        self._python_path = python_path
        self._idle: collections.deque[_Worker] = collections.deque()
        self._waiters: collections.deque[asyncio.Future[_Worker | _InitError | None]] = (
            collections.deque()
        )
        self._size = 0
        self._all: set[_Worker] = set()
        self._closed = False
        self._log = logging.getLogger(f"emulator.function.{function.function_name}")

    @property
    def size(self) -> int:
        return self._size

    async def _start(self) -> _Worker:
        assert isinstance(self.function.handler, str)
        packaged = self.function.code_dir is not None
        env = {} if packaged else dict(os.environ)
        env.update(self._environment())
        env[INFO_VARIABLE] = json.dumps(vars(self._info()))
        env["PYTHONPATH"] = os.pathsep.join(self._python_path)
        env.setdefault("PYTHONUNBUFFERED", "1")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *(["-S"] if packaged else []),  # no site-packages: the package and the SDK alone
            "-m",
            "emulator.worker",
            self.function.handler,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=self.function.code_dir,
            limit=2**24,
        )
        worker = _Worker(process, self.function.function_name)
        self._all.add(worker)
        worker.stderr_task = asyncio.create_task(self._forward_stderr(worker))
        assert process.stdout is not None
        line = await process.stdout.readline()
        ready = json.loads(line) if line else {"ready": False, "error": None}
        if not ready.get("ready"):
            worker.kill()
            await process.wait()
            self._all.discard(worker)
            reported = ready.get("error")
            error: dict[str, Any] = (
                reported
                if isinstance(reported, dict)
                else {"errorType": "Runtime.ExitError", "errorMessage": "worker exited during init"}
            )
            raise _InitError(error)
        return worker

    async def _forward_stderr(self, worker: _Worker) -> None:
        stream = worker.process.stderr
        assert stream is not None
        while True:
            line = await stream.readline()
            if not line:
                return
            self._log.info("%s", line.decode(errors="replace").rstrip("\n"))

    async def start_workers(self, count: int) -> None:
        """Start ``count`` workers ahead of time (provisioned concurrency)."""
        count = min(count, self._max - self._size)
        self._size += count
        results = await asyncio.gather(
            *(self._start() for _ in range(count)), return_exceptions=True
        )
        for result in results:
            if isinstance(result, _Worker):
                self._release(result)
            else:
                self._size -= 1
                logger.error("function %s failed to start: %s", self.function.function_name, result)

    async def _acquire(self) -> _Worker:
        """A warm worker: an idle one, else the first to become free or ready.

        When every worker is busy and the pool may grow, a new worker starts (a cold
        start, as Lambda scales out), and the invocation takes whichever worker is
        ready first: the new one or one finishing its invocation.
        """
        while True:
            if self._closed:
                raise RuntimeError("emulator stopped")
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                self._size -= 1
                self._all.discard(worker)
            if self._size < self._max:
                self._size += 1
                asyncio.ensure_future(self._start()).add_done_callback(self._adopt)
            waiter: asyncio.Future[_Worker | _InitError | None] = (
                asyncio.get_running_loop().create_future()
            )
            self._waiters.append(waiter)
            try:
                outcome = await waiter
            except asyncio.CancelledError:
                if (
                    waiter.done()
                    and not waiter.cancelled()
                    and isinstance(waiter.result(), _Worker)
                ):
                    self._release(waiter.result())  # type: ignore[arg-type]
                raise
            if isinstance(outcome, _Worker):
                return outcome
            if isinstance(outcome, _InitError):
                raise outcome
            # None: a place in the pool was freed (a worker died); try again.

    def _adopt(self, start: asyncio.Future[_Worker]) -> None:
        """A worker finished starting (or failed to): give it to a waiting invocation."""
        if start.cancelled():
            self._size -= 1
            self._deliver(None)
            return
        error = start.exception()
        if error is not None:
            self._size -= 1
            if not isinstance(error, _InitError):
                error = _InitError(error_payload(error, "Runtime.Unknown"))
            self._deliver(error)
            return
        self._release(start.result())

    def _deliver(self, outcome: _Worker | _InitError | None) -> bool:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(outcome)
                return True
        return False

    def _wake_one(self) -> None:
        self._deliver(None)

    def _release(self, worker: _Worker) -> None:
        if not worker.alive or self._closed:
            self._size -= 1
            self._all.discard(worker)
            if not self._closed:
                self._wake_one()
            return
        if not self._deliver(worker):
            self._idle.append(worker)

    async def invoke(self, event: dict[str, Any], request_id: str, timeout: float) -> Invocation:
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        deadline_ms = int((time.time() + timeout) * 1000)
        try:
            worker = await asyncio.wait_for(self._acquire(), timeout)
        except _InitError as exc:
            return Invocation(error=exc.error, duration_ms=(time.perf_counter() - started) * 1000)
        except TimeoutError:
            return _timed_out(timeout, started)
        try:
            worker.next_id += 1
            request = {
                "id": worker.next_id,
                "event": event,
                "request_id": request_id,
                "deadline_ms": deadline_ms,
            }
            assert worker.process.stdin is not None and worker.process.stdout is not None
            worker.process.stdin.write(json.dumps(request, separators=(",", ":")).encode() + b"\n")
            await worker.process.stdin.drain()
            remaining = max(0.0, deadline - time.monotonic())
            try:
                line = await asyncio.wait_for(worker.process.stdout.readline(), remaining)
            except TimeoutError:
                worker.kill()
                self._log.info("Task timed out after %.2f seconds", timeout)
                return _timed_out(timeout, started)
            except ValueError as exc:  # an answer over the stream's limit: the channel is lost
                worker.kill()
                return Invocation(
                    error=error_payload(exc, "Runtime.ExitError"),
                    duration_ms=(time.perf_counter() - started) * 1000,
                )
            if not line:
                worker.kill()
                code = await worker.process.wait()
                error = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"worker exited with status {code}",
                }
                return Invocation(error=error, duration_ms=(time.perf_counter() - started) * 1000)
            answer = json.loads(line)
            return Invocation(
                result=answer["result"],
                error=answer["error"],
                dynamodb=[tuple(call) for call in answer["dynamodb"]],
                duration_ms=(time.perf_counter() - started) * 1000,
                handler_ms=float(answer["duration_ms"]),
            )
        except (BrokenPipeError, ConnectionResetError) as exc:
            worker.kill()
            return Invocation(
                error=error_payload(exc, "Runtime.ExitError"),
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        finally:
            self._release(worker)

    async def close(self) -> None:
        self._closed = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        workers = list(self._all)
        for worker in workers:
            if worker.process.stdin is not None and not worker.process.stdin.is_closing():
                worker.process.stdin.close()
        for worker in workers:
            try:
                await asyncio.wait_for(worker.process.wait(), 2)
            except TimeoutError:
                worker.kill()
                await worker.process.wait()
            if worker.stderr_task is not None:
                try:
                    await asyncio.wait_for(worker.stderr_task, 1)
                except TimeoutError:
                    worker.stderr_task.cancel()
        self._all.clear()
        self._idle.clear()


class _InitError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("errorMessage"))
        self.error = error


def _timed_out(timeout: float, started: float) -> Invocation:
    elapsed = (time.perf_counter() - started) * 1000
    return Invocation(
        error={
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"Task timed out after {timeout:.2f} seconds",
        },
        duration_ms=elapsed,
        handler_ms=elapsed,
        timed_out=True,
    )


class InProcess:
    """Callables, run in the emulator's process: plain functions on a thread pool, coroutines on the loop."""

    def __init__(
        self,
        function: Function,
        *,
        info: Callable[[], FunctionInfo],
        executor: concurrent.futures.Executor,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """``environment``: the variables the callable sees in ``os.environ`` while it
        runs (`emulator.scoped_environ`), or None when they are in the process's own."""
        assert callable(function.handler)
        self.function = function
        self._environment = environment
        self._handler: Handler = function.handler
        self._info = info
        self._executor = executor
        self._is_async = inspect.iscoroutinefunction(function.handler)
        self._log = logging.getLogger(f"emulator.function.{function.function_name}")
        self._stream = _log_stream_name()

    def _variables(self) -> contextlib.AbstractContextManager[None]:
        if self._environment is None:
            return contextlib.nullcontext()
        return scoped_environ.variables(self._environment)

    def _run(self, event: dict[str, Any], context: LambdaContext, calls: list[DynamoDBCall]) -> Any:
        with recording(calls), self._variables():
            return self._handler(event, context)

    async def _run_async(
        self, event: dict[str, Any], context: LambdaContext, calls: list[DynamoDBCall]
    ) -> Any:
        with recording(calls), self._variables():
            return await self._handler(event, context)

    async def invoke(self, event: dict[str, Any], request_id: str, timeout: float) -> Invocation:
        started = time.perf_counter()
        context = LambdaContext(self._info(), request_id, int((time.time() + timeout) * 1000))
        calls: list[DynamoDBCall] = []
        try:
            if self._is_async:
                awaitable: Awaitable[Any] = self._run_async(event, context, calls)
            else:
                loop = asyncio.get_running_loop()
                call = functools.partial(
                    contextvars.copy_context().run, self._run, event, context, calls
                )
                awaitable = loop.run_in_executor(self._executor, call)
            value = await asyncio.wait_for(awaitable, timeout)
            result = round_trip(value)
        except TimeoutError:
            self._log.info("Task timed out after %.2f seconds", timeout)
            invocation = _timed_out(timeout, started)
            invocation.dynamodb = calls
            return invocation
        except Exception as exc:
            if isinstance(exc, Fault):  # the result, not the handler: no traceback
                self._log.error("[ERROR] %s: %s", exc.error_type, exc.message)
                error = exc.payload()
            else:
                self._log.error("[ERROR] %s: %s", type(exc).__name__, exc, exc_info=exc)
                error = error_payload(exc)
            elapsed = (time.perf_counter() - started) * 1000
            return Invocation(error=error, dynamodb=calls, duration_ms=elapsed, handler_ms=elapsed)
        elapsed = (time.perf_counter() - started) * 1000
        return Invocation(result=result, dynamodb=calls, duration_ms=elapsed, handler_ms=elapsed)

    async def close(self) -> None:
        return None


Runner = WorkerPool | InProcess


def new_request_id() -> str:
    """A Lambda request id (``aws_request_id``): a UUID."""
    return str(uuid.uuid4())
