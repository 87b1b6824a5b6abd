"""The Lambda side of the emulator: the functions behind an API's routes and its
authorizer, each with its own credentials, environment variables and runner (warm
worker processes for ``"module.function"`` handlers, threads for callables), and
invoking them with a log line and the meter's counts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from . import lambda_runtime, scoped_environ
from .context import FunctionInfo
from .iam import Authority, Principal, assumed_role_arn
from .metering import Meter, install_dynamodb_hooks
from .runtime import Function, InProcess, Invocation, Runner, WorkerPool, new_request_id
from .sigv4 import Credentials

logger = logging.getLogger("emulator")


class Lambdas:
    """The functions of one emulator, by the key it invokes them with (a route key, or
    `emulator.gateway.AUTHORIZER`). Several keys may share one function: they then share
    its runner, as routes integrated with one Lambda function do.

    ``python_path``: where workers import handlers from (before this process's own
    ``sys.path`` entries outside the Python installation); ``max_workers``: worker
    processes per function; ``threads``: the pool for callables; ``integration_timeout``:
    the longest any invocation may run; ``meter``: counts invocations and DynamoDB calls.
    """

    def __init__(
        self,
        functions: Mapping[str, Function],
        *,
        region: str,
        account_id: str,
        python_path: Iterable[str],
        max_workers: int,
        threads: int,
        integration_timeout: float,
        meter: Meter,
    ) -> None:
        self._functions = dict(functions)
        self.region = region
        self.account_id = account_id
        self._python_path = list(python_path)
        self._max_workers = max_workers
        self._threads = threads
        self.integration_timeout = integration_timeout
        self._meter = meter
        self._credentials: dict[str, Credentials] = {}
        self._shared: dict[str, str] = {}
        self._local: Callable[[str], str] = lambda value: value
        self._runners: dict[str, Runner] = {}
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._runtime_dir: tempfile.TemporaryDirectory[str] | None = None
        self._saved_environ: dict[str, str | None] = {}

    def issue_credentials(self, iam: Authority) -> None:
        """One set of credentials per function, from ``iam``: its role's when it has one."""
        self._credentials = {}
        for function in self._functions.values():
            name = function.function_name
            if name not in self._credentials:
                arn = (
                    assumed_role_arn(self.account_id, function.role, name)
                    if function.role is not None
                    else f"arn:aws:sts::{self.account_id}:assumed-role/{name}/{name}"
                )
                self._credentials[name] = iam.issue(Principal(name, arn, function.role))

    def start(self, shared: Mapping[str, str], local: Callable[[str], str]) -> None:
        """Create the runners. ``shared``: variables every function gets; ``local(value)``:
        a function's own variable value as it should read here (AWS endpoints pointed at
        the emulator)."""
        self._shared = dict(shared)
        self._local = local
        if any(f.code_dir is not None for f in self._functions.values()):
            self._runtime_dir = tempfile.TemporaryDirectory(prefix="emulator-runtime-")
            lambda_runtime.build_runtime_dir(Path(self._runtime_dir.name))
        self._create_runners()

    async def provision(self, count: int) -> None:
        """Start ``count`` workers ahead of time for each worker-process function."""
        pools = {r for r in self._runners.values() if isinstance(r, WorkerPool)}
        await asyncio.gather(*(pool.start_workers(count) for pool in pools))

    def environment(self, key: str) -> dict[str, str]:
        """The variables the function of ``key`` runs with."""
        return self._environment(self._functions[key])

    def _environment(self, function: Function) -> dict[str, str]:
        env: dict[str, str] = {}
        if function.code_dir is not None:
            assert self._runtime_dir is not None
            env = lambda_runtime.lambda_environment(
                code_dir=function.code_dir, runtime_dir=self._runtime_dir.name
            )
        env.update(self._shared)
        env.update(self._credentials[function.function_name].environment())
        env.update({name: self._local(value) for name, value in function.environment.items()})
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
                "LAMBDA_TASK_ROOT": function.code_dir or os.getcwd(),
                "_HANDLER": str(function.handler),
            }
        )
        return env

    def _info(self, function: Function) -> Callable[[], FunctionInfo]:
        def info() -> FunctionInfo:
            stream = time.strftime("%Y/%m/%d", time.gmtime()) + "/[$LATEST]" + os.urandom(16).hex()
            return FunctionInfo(
                function_name=function.function_name,
                memory_limit_in_mb=function.memory_mb,
                region=self.region,
                account_id=self.account_id,
                log_stream_name=stream,
            )

        return info

    def _worker_python_path(self) -> list[str]:
        prefixes = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
        paths = list(self._python_path)
        paths += [p for p in sys.path if p and not p.startswith(prefixes)]
        return list(dict.fromkeys(os.path.abspath(p) for p in paths))

    def _create_runners(self) -> None:
        shared: dict[tuple[object, str], Runner] = {}
        in_process: list[Function] = []
        python_path = self._worker_python_path()
        for key, function in self._functions.items():
            identity = (
                function.handler if isinstance(function.handler, str) else id(function.handler),
                function.function_name,
            )
            runner = shared.get(identity)
            if runner is None:
                if isinstance(function.handler, str):
                    env = self._environment(function)
                    runner = WorkerPool(
                        function,
                        environment=lambda env=env: env,  # type: ignore[misc]
                        info=self._info(function),
                        max_workers=self._max_workers,
                        python_path=python_path
                        if function.code_dir is None
                        else [function.code_dir, env["LAMBDA_RUNTIME_DIR"]],
                    )
                else:
                    if self._executor is None:
                        self._executor = concurrent.futures.ThreadPoolExecutor(
                            max_workers=self._threads, thread_name_prefix="emulator-handler"
                        )
                    scoped = scoped_environ.install()
                    runner = InProcess(
                        function,
                        info=self._info(function),
                        executor=self._executor,
                        environment=self._environment(function) if scoped else None,
                    )
                    if not scoped:
                        in_process.append(function)
                    install_dynamodb_hooks()
                shared[identity] = runner
            self._runners[key] = runner
        if in_process:
            # No scoped environment (EMULATOR_SHARED_ENVIRON=1, or another os.environ):
            # callables find their variables in the process's environment.
            env = dict(self._shared)
            for function in in_process:
                env.update(function.environment)
            for name, value in env.items():
                self._saved_environ.setdefault(name, os.environ.get(name))
                os.environ[name] = value

    async def invoke(self, key: str, connection_id: str, event: dict[str, Any]) -> Invocation:
        """Run the function of ``key`` with ``event`` (for ``connection_id``, named in the
        log line), within its timeout and the integration timeout; count it."""
        runner = self._runners[key]
        function = runner.function
        timeout = min(function.timeout or math.inf, self.integration_timeout)
        request_id = new_request_id()
        invocation = await runner.invoke(event, request_id, timeout)
        live = self._meter.live
        live.record_invocation(
            key,
            handler_ms=invocation.handler_ms,
            memory_mb=function.memory_mb,
            failed=invocation.error is not None,
        )
        if invocation.dynamodb:
            live.record_dynamodb(invocation.dynamodb)
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "route=%s connection=%s function=%s request=%s duration=%.1fms handler=%.1fms status=%s",
                key,
                connection_id,
                function.function_name,
                request_id,
                invocation.duration_ms,
                invocation.handler_ms,
                _status(invocation),
            )
        return invocation

    async def close(self) -> None:
        """Stop every runner (workers are killed) and give back the process's variables."""
        try:
            for runner in set(self._runners.values()):
                await runner.close()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            for name, value in self._saved_environ.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            self._saved_environ.clear()
            self._runners.clear()
            if self._runtime_dir is not None:
                self._runtime_dir.cleanup()
                self._runtime_dir = None


def _status(invocation: Invocation) -> str:
    """The log line's status: the handler's statusCode, its error, or what it returned."""
    if invocation.error is not None:
        return "timeout" if invocation.timed_out else f"error {invocation.error.get('errorType')}"
    if isinstance(invocation.result, dict) and "statusCode" in invocation.result:
        return str(invocation.result["statusCode"])
    return "-" if invocation.result is not None else "None"
