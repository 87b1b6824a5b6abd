"""The embedded DynamoDB: moto's server in a child process, with realistic consumed capacity.

Run as ``python -m emulator.dynamodb_server --host 127.0.0.1 --port 0``; the
process prints the port it bound on its first stdout line and serves until
terminated. Requests go to moto's own WSGI application; a middleware rewrites
the ``ConsumedCapacity`` of GetItem, PutItem, UpdateItem and DeleteItem with
the units DynamoDB would bill (`emulator.capacity`), and reports the units a
failed conditional write consumed in the ``x-emulator-consumed-capacity``
header (DynamoDB bills them but its error response cannot say so). Other
operations keep moto's figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import sys
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from .capacity import item_size, read_units, write_units
from .metering import CAPACITY_HEADER

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/")
_ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem"})

StartResponse = Callable[..., Any]


class CapacityMiddleware:
    """WSGI middleware putting DynamoDB's capacity arithmetic on moto's single-item operations."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app

    def _item(self, environ: dict[str, Any], table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        from moto.dynamodb.models import dynamodb_backends

        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        access_key, region = (match.group(1), match.group(2)) if match else ("", "us-east-1")
        account = os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        if not account:
            from moto.iam.models import get_account_id_from

            account = get_account_id_from(access_key)
        item = dynamodb_backends[account][region].get_item(table, key)
        if item is None:
            return None
        attributes: dict[str, Any] = item.to_json()["Attributes"]
        return attributes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target.rpartition(".")[2]
        if not target.startswith("DynamoDB_") or operation not in _ITEM_OPERATIONS:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            request = json.loads(raw or b"{}")
            table = request["TableName"]
            key = request["Item"] if operation == "PutItem" else request["Key"]
            before = self._item(environ, table, key)
        except Exception:
            return self.app(environ, start_response)

        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured[:] = [status, headers]
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = captured
        code = int(status.split()[0])
        try:
            if code == 200 and request.get("ReturnConsumedCapacity", "NONE") != "NONE":
                answer = json.loads(body)
                if operation == "GetItem":
                    units = read_units(item_size(before), consistent=bool(request.get("ConsistentRead")))
                    kind = "ReadCapacityUnits"
                else:
                    after = request["Item"] if operation == "PutItem" else None
                    if operation == "UpdateItem":
                        after = self._item(environ, table, key)
                    units = write_units(item_size(before), item_size(after))
                    kind = "WriteCapacityUnits"
                consumed: dict[str, Any] = {"TableName": table, "CapacityUnits": units, kind: units}
                if request["ReturnConsumedCapacity"] == "INDEXES":
                    consumed["Table"] = {"CapacityUnits": units, kind: units}
                answer["ConsumedCapacity"] = consumed
                body = json.dumps(answer).encode()
                headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "x-amz-crc32")]
                # botocore checks DynamoDB's body checksum (and retries on a mismatch).
                headers += [("Content-Length", str(len(body))), ("x-amz-crc32", str(zlib.crc32(body)))]
            elif code == 400 and operation != "GetItem" and b"ConditionalCheckFailedException" in body:
                headers = [*headers, (CAPACITY_HEADER, str(write_units(item_size(before))))]
        except Exception:  # never let the arithmetic break DynamoDB itself
            pass
        start_response(status, headers)
        return [body]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    app = CapacityMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stdout.write(f"{server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
