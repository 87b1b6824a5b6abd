"""``python -m emulator`` as a user runs it from a shell: its help, and what it gives
other processes."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import resource
import shlex
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from emulator import Emulator
from emulator.__main__ import LIMITS
from emulator.listener import DEFAULT_MAX_CONNECTIONS, default_max_connections
from tests.emulator.processes import emulator_process

ROOT = Path(__file__).resolve().parents[2]


def help_text(descriptors: int | None = None) -> str:
    """What ``python -m emulator --help`` prints (in a process allowed ``descriptors`` files)."""

    def limit() -> None:
        if descriptors is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

    run = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        preexec_fn=limit,
    )
    return run.stdout


def flag_line(text: str, option: str) -> str:
    """The help of ``option``'s flag (however argparse wrapped it), on one line."""
    flag = "--" + option.replace("_", "-")
    entries = re.split(r"\n(?=  -)", text)
    found = [" ".join(e.split()) for e in entries if e.strip().startswith(flag + " ")]
    assert len(found) == 1, f"{flag} not in --help:\n{text}"
    return found[0]


def test_help_shows_each_limit_with_the_emulators_default() -> None:
    text = help_text()
    defaults = inspect.signature(Emulator).parameters
    for option in LIMITS:
        if option == "max_connections":
            continue
        assert f"(default {defaults[option].default})" in flag_line(text, option)


def test_help_shows_the_connection_cap_this_machine_gets() -> None:
    line = flag_line(help_text(), "max_connections")
    assert f"(default {DEFAULT_MAX_CONNECTIONS}, fewer under a low file descriptor limit" in line
    here = re.search(r"(\d+) here\)", line)
    assert here is not None, line
    assert int(here.group(1)) == default_max_connections()


def test_help_shows_a_lower_cap_under_a_low_file_descriptor_limit() -> None:
    line = flag_line(help_text(descriptors=512), "max_connections")
    assert line.endswith(": 384 here)"), line


def test_help_has_a_flag_for_lambda_concurrency() -> None:
    text = help_text()
    assert "(default 8)" in flag_line(text, "max_workers_per_function")
    assert "(default 0)" in flag_line(text, "provisioned_concurrency")


def in_a_shell(env_file: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run the Python `script` in a process whose only AWS settings are those of
    ``set -a; . env_file; set +a`` (no ~/.aws, no inherited AWS_* variables)."""
    return subprocess.run(
        [
            "sh",
            "-c",
            'set -a; . "$1"; set +a; exec "$2" -c "$3"',
            "sh",
            env_file,
            sys.executable,
            script,
        ],
        env={"PATH": os.environ["PATH"], "HOME": str(env_file.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


BACKEND = """
import boto3
boto3.client("apigatewaymanagementapi").post_to_connection(
    ConnectionId=CONNECTION, Data=b"from the backend"
)
print(boto3.client("dynamodb").list_tables()["TableNames"])
"""
"""A backend of its own: boto3 clients built without endpoints or keys (the file gives them)."""


async def test_a_separate_process_posts_to_a_connection_with_the_credentials_file(
    tmp_path: Path,
) -> None:
    env_file = tmp_path / "emulator.env"
    with emulator_process("--dynamodb", "--credentials-file", str(env_file)) as (_, url):
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        async with connect(url) as ws:
            await ws.send("{}")
            event = json.loads(await asyncio.wait_for(ws.recv(), 60))
            connection_id = event["requestContext"]["connectionId"]
            backend = f"CONNECTION = {connection_id!r}\n" + BACKEND
            run = await asyncio.to_thread(in_a_shell, env_file, backend)
            assert run.returncode == 0, run.stderr
            assert run.stdout.strip() == "[]"
            assert await asyncio.wait_for(ws.recv(), 60) == "from the backend"
    assert not env_file.exists()


async def test_requests_not_signed_with_the_files_credentials_are_refused(tmp_path: Path) -> None:
    env_file = tmp_path / "emulator.env"
    with emulator_process("--dynamodb", "--credentials-file", str(env_file)) as (_, url):
        env = pytest.importorskip("dotenv").dotenv_values(env_file)
        management_url = env["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"]
        async with connect(url) as ws:
            await ws.send("{}")
            event = json.loads(await asyncio.wait_for(ws.recv(), 60))
            connection_id = event["requestContext"]["connectionId"]

            unsigned = urllib.request.Request(
                f"{management_url}/@connections/{connection_id}", data=b"unsigned", method="POST"
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                await asyncio.to_thread(urllib.request.urlopen, unsigned, timeout=30)
            assert refused.value.code == 403
            assert json.loads(refused.value.read())["message"] == "Missing Authentication Token"

            wrong = {
                "region_name": env["AWS_REGION"],
                "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": "not-the-secret",
                "aws_session_token": env.get("AWS_SESSION_TOKEN"),
            }
            management = boto3.client(
                "apigatewaymanagementapi", endpoint_url=management_url, **wrong
            )
            with pytest.raises(ClientError) as forged:
                await asyncio.to_thread(
                    management.post_to_connection, ConnectionId=connection_id, Data=b"forged"
                )
            assert forged.value.response["Error"]["Code"] == "InvalidSignatureException"
            dynamodb = boto3.client(
                "dynamodb", endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"], **wrong
            )
            with pytest.raises(ClientError) as forged:
                await asyncio.to_thread(dynamodb.list_tables)
            assert forged.value.response["Error"]["Code"] == "InvalidSignatureException"

            # Nothing of the refused posts arrived: the next message is the signed one.
            right = {**wrong, "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"]}
            management = boto3.client(
                "apigatewaymanagementapi", endpoint_url=management_url, **right
            )
            await asyncio.to_thread(
                management.post_to_connection, ConnectionId=connection_id, Data=b"signed"
            )
            assert await asyncio.wait_for(ws.recv(), 60) == "signed"


def test_the_file_names_what_boto3_reads(tmp_path: Path) -> None:
    env_file = tmp_path / "emulator.env"
    with emulator_process(
        "--dynamodb", "--env", "TABLE_NAME=things", "--credentials-file", str(env_file)
    ) as (_, url):
        lines = env_file.read_text().splitlines()
    assert lines[0] == f"# python -m emulator: credentials and endpoints of the run serving {url}"
    names = [line.partition("=")[0] for line in lines[1:]]
    assert names == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_CA_BUNDLE",
        "CONNECTIONS_URL",
        "TABLE_NAME",
    ]
    management_url = url.replace("ws://", "http://")
    assert f"AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI={management_url}" in lines
    assert f"CONNECTIONS_URL={management_url}" in lines


def test_a_file_it_did_not_write_is_refused_and_left_alone(tmp_path: Path) -> None:
    aws_credentials = tmp_path / "credentials"
    aws_credentials.write_text("[default]\naws_access_key_id = AKIAREAL\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator",
            "--route",
            "$default=tests.emulator.parity_handlers.echo",
            "--credentials-file",
            str(aws_credentials),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert (
        f"--credentials-file: {aws_credentials} exists and was not written by python -m emulator"
        in run.stderr
    )
    assert aws_credentials.read_text() == "[default]\naws_access_key_id = AKIAREAL\n"


def test_a_file_left_by_a_killed_run_is_replaced_and_ctrl_c_removes_it(tmp_path: Path) -> None:
    env_file = tmp_path / "emulator.env"
    with emulator_process("--credentials-file", str(env_file)) as (first, _):
        first.kill()  # no chance to clean up
        first.wait(60)
    stale = env_file.read_text()
    with emulator_process("--credentials-file", str(env_file)) as (second, url):
        fresh = env_file.read_text()
        assert fresh != stale and url in fresh
        second.send_signal(signal.SIGINT)
        second.wait(60)
    assert not env_file.exists()


def test_the_readmes_credentials_file_commands(tmp_path: Path) -> None:
    """The README's shell block, run by bash in a scratch directory (with this
    interpreter for ``.venv/bin/python``): it prints the tables, and stopping the
    emulator removes the file."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    [block] = [b for b in blocks if "--credentials-file emulator.env" in b]
    run = subprocess.run(
        ["bash", "-c", block.replace(".venv/bin/python", shlex.quote(sys.executable))],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "[]"
    deadline = time.monotonic() + 60
    while (tmp_path / "emulator.env").exists():
        assert time.monotonic() < deadline, "emulator.env outlived the emulator"
        time.sleep(0.1)
