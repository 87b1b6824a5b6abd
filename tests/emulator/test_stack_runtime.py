"""A packaged function (`Function(code_dir=...)`, what `--stack` serves) runs as on Lambda:
it imports from its extracted archive and the SDK alone, and sees only its declared
variables and Lambda's own."""

from __future__ import annotations

import json
import os
from pathlib import Path

from websockets.asyncio.client import connect

from emulator import DynamoDB, Emulator, Function
from emulator.lambda_runtime import SDK_MODULES

PROBE = """
import importlib, json, os, sys

def handler(event, context):
    importable = {}
    for name in ("boto3", "botocore", "functions", "game", "pulumi", "moto", "websockets"):
        try:
            importlib.import_module(name)
            importable[name] = True
        except ImportError:
            importable[name] = False
    return {"statusCode": 200, "body": json.dumps(
        {"env": dict(os.environ), "cwd": os.getcwd(), "importable": importable}
    )}
"""

LAMBDA_VARIABLES = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_EXECUTION_ENV",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "_HANDLER",
    "PATH",
    "LANG",
    "TZ",
    "PYTHONPATH",
    "PYTHONUNBUFFERED",
}
EMULATOR_VARIABLES = {
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
    "AWS_CA_BUNDLE",
    "EMULATOR_FUNCTION_INFO",
}
"""Where the embedded DynamoDB and `@connections` are, the run's CA bundle (so an
``https://{domainName}/{stage}`` client trusts the emulator), and the worker's own
configuration."""


async def test_a_packaged_function_sees_its_package_the_sdk_and_its_variables_only(
    tmp_path: Path,
) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "probe.py").write_text(PROBE)
    os.environ["EMULATOR_TEST_LEAK"] = "from the emulator's own environment"
    try:
        emulator = Emulator(
            {
                "$default": Function(
                    "probe.handler",
                    name="probe",
                    environment={
                        "TABLE": "t",
                        "CONNECTIONS_URL": "https://abc123.execute-api.us-east-1.amazonaws.com/dev",
                    },
                    code_dir=str(package),
                )
            },
            two_way_routes=["$default"],
            stage="dev",
            dynamodb=DynamoDB(),
            aws_endpoint="https://abc123.execute-api.us-east-1.amazonaws.com",
        )
        async with emulator:
            async with connect(emulator.url) as ws:
                await ws.send("probe")
                seen = json.loads(await ws.recv())
    finally:
        del os.environ["EMULATOR_TEST_LEAK"]
    env = seen["env"]
    # Python itself may add LC_CTYPE where en_US.UTF-8 is not installed (PEP 538).
    assert set(env) - {"LC_CTYPE"} == (
        {"TABLE", "CONNECTIONS_URL"} | LAMBDA_VARIABLES | EMULATOR_VARIABLES
    )
    assert env["CONNECTIONS_URL"] == emulator.management_url  # the AWS endpoint, served here
    assert env["LAMBDA_TASK_ROOT"] == seen["cwd"] == str(package)
    assert env["AWS_ACCESS_KEY_ID"] != emulator.credentials.access_key_id  # its own
    assert seen["importable"] == {
        "boto3": True,
        "botocore": True,
        "functions": False,  # this repository is not on its path
        "game": False,
        "pulumi": False,  # nor is anything else installed beside the emulator
        "moto": False,
        "websockets": False,
    }
    assert {"boto3", "botocore"} <= set(SDK_MODULES)
