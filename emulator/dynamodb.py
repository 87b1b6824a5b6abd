"""DynamoDB for the handlers: embedded (moto in a child process) or any endpoint you name.

``DynamoDB()`` starts `emulator.dynamodb_server` (moto's server with realistic
consumed capacity) on a free port when the emulator starts and stops it when
the emulator stops. ``DynamoDB(endpoint_url="http://localhost:8000")`` uses
another endpoint instead (DynamoDB Local, LocalStack, a shared moto server).
Either way the tables given are created (an existing table is left as is), TTL
is turned on as asked, and handlers find the endpoint in
``AWS_ENDPOINT_URL_DYNAMODB``, boto3's standard variable.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .sigv4 import Credentials

logger = logging.getLogger("emulator")


@dataclass(frozen=True)
class DynamoDB:
    """Where handlers' DynamoDB lives and which tables it must hold.

    ``endpoint_url``: None for the embedded DynamoDB, or the URL of another one.
    ``tables``: keyword arguments for boto3's ``create_table``, one mapping per table.
    ``time_to_live``: keyword arguments for ``update_time_to_live``, one per table.
    ``startup_timeout``: seconds to wait for the embedded server to listen.
    """

    endpoint_url: str | None = None
    tables: Sequence[Mapping[str, Any]] = ()
    time_to_live: Sequence[Mapping[str, Any]] = ()
    startup_timeout: float = 30.0


class DynamoDBService:
    """A running DynamoDB for one emulator: starts the embedded server if needed, creates tables."""

    def __init__(
        self,
        config: DynamoDB,
        *,
        host: str,
        region: str,
        credentials: Credentials,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """``credentials`` create the tables; ``environment`` is added to the embedded server's."""
        self.config = config
        self._host = host
        self._region = region
        self._credentials = credentials
        self._environment = dict(environment or {})
        self._process: asyncio.subprocess.Process | None = None
        self.endpoint_url: str | None = config.endpoint_url

    async def start(self) -> str:
        if self.endpoint_url is None:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "emulator.dynamodb_server",
                "--host",
                self._host,
                "--port",
                "0",
                "--exit-with-stdin",
                env={**os.environ, **self._environment},
                stdin=asyncio.subprocess.PIPE,  # held open: its end tells the server we are gone
                stdout=asyncio.subprocess.PIPE,
            )
            assert self._process.stdout is not None
            try:
                line = await asyncio.wait_for(
                    self._process.stdout.readline(), self.config.startup_timeout
                )
            except TimeoutError:
                await self.stop()
                raise RuntimeError("the embedded DynamoDB did not start in time") from None
            if not line.strip().isdigit():
                await self.stop()
                raise RuntimeError("the embedded DynamoDB failed to start")
            patches = await self._process.stdout.readline()
            logger.info("embedded DynamoDB: %s", patches.decode(errors="replace").strip())
            host = f"[{self._host}]" if ":" in self._host else self._host
            self.endpoint_url = f"http://{host}:{int(line)}"
        if self.config.tables or self.config.time_to_live:
            await asyncio.to_thread(self._create_tables)
        return self.endpoint_url

    def _create_tables(self) -> None:
        import boto3

        client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name=self._region,
            aws_access_key_id=self._credentials.access_key_id,
            aws_secret_access_key=self._credentials.secret_access_key,
            aws_session_token=self._credentials.session_token,
        )
        for request in self.config.tables:
            try:
                client.create_table(**request)
            except client.exceptions.ResourceInUseException:
                logger.info("table %s exists already", request.get("TableName"))
                continue
            client.get_waiter("table_exists").wait(
                TableName=request["TableName"],
                WaiterConfig={"Delay": 0.1, "MaxAttempts": 300},  # type: ignore[typeddict-item]  # botocore takes fractional seconds
            )
        for request in self.config.time_to_live:
            try:
                client.update_time_to_live(**request)
            except client.exceptions.ClientError as exc:  # TTL already on, for example
                logger.info("time to live for %s: %s", request.get("TableName"), exc)

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()
