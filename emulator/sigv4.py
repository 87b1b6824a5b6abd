"""AWS Signature Version 4: check that a request was signed with credentials we issued.

`verify(...)` recomputes the signature of an HTTP request with botocore's own
signer (`botocore.auth.SigV4Auth`, the code every SDK request was signed with;
moto checks signatures the same way) and the secret of the access key the
request names, and compares. It returns who signed, with the region and
service of the credential scope, or raises `Refused` with the reason AWS gives.

`sign(...)` signs a request, for callers in this process that are not an SDK
client (a test sending a raw `DELETE @connections`).
"""

from __future__ import annotations

import datetime
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

MAX_SKEW = datetime.timedelta(minutes=15)
"""How far `X-Amz-Date` may be from now, as AWS allows."""


@dataclass(frozen=True)
class Credentials:
    """An access key, its secret and its session token (as Lambda gives a function)."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def client_kwargs(self) -> dict[str, str | None]:
        """Keyword arguments for `boto3.client` (``boto3.client("dynamodb", **c.client_kwargs())``)."""
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }

    def environment(self) -> dict[str, str]:
        """The variables boto3 reads them from."""
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env


class Refused(Exception):
    """Why a request's signature was not accepted: `reason` is one of the `REASONS` keys."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or REASONS[reason])
        self.reason = reason


MISSING = "missing"
UNKNOWN_KEY = "unknown_key"
BAD_SIGNATURE = "bad_signature"
EXPIRED = "expired"
REASONS = {
    MISSING: "Missing Authentication Token",
    UNKNOWN_KEY: "The security token included in the request is invalid.",
    BAD_SIGNATURE: (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    ),
    EXPIRED: "Signature expired",
}


@dataclass(frozen=True)
class Signed:
    """A request whose signature checked out."""

    credentials: Credentials
    region: str
    service: str


def _authorization(value: str) -> dict[str, str]:
    algorithm, _, rest = value.partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        raise Refused(MISSING)
    fields = {}
    for part in rest.split(","):
        name, _, field = part.strip().partition("=")
        fields[name] = field
    if not {"Credential", "SignedHeaders", "Signature"} <= set(fields):
        raise Refused(MISSING)
    return fields


def verify(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    lookup: Callable[[str], Credentials | None],
    *,
    now: datetime.datetime | None = None,
) -> Signed:
    """Check the SigV4 `Authorization` header of a request; `url` as the client addressed it.

    `lookup(access_key_id)` gives the credentials issued under that key, or None.
    Raises `Refused`: `MISSING` (no or malformed signature), `UNKNOWN_KEY` (a key
    or session token not issued), `EXPIRED` (`X-Amz-Date` over 15 minutes off),
    `BAD_SIGNATURE`.
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    header_list = list(headers)
    by_name: dict[str, str] = {}
    for name, value in header_list:
        by_name[name.lower()] = value
    authorization = by_name.get("authorization")
    if not authorization:
        raise Refused(MISSING)
    fields = _authorization(authorization)
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise Refused(MISSING)
    access_key_id, _date, region, service, _ = scope
    credentials = lookup(access_key_id)
    if credentials is None:
        raise Refused(UNKNOWN_KEY)
    if credentials.session_token is not None and not hmac.compare_digest(
        by_name.get("x-amz-security-token", ""), credentials.session_token
    ):
        raise Refused(UNKNOWN_KEY)
    timestamp = by_name.get("x-amz-date", "")
    try:
        signed_at = datetime.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.UTC
        )
    except ValueError:
        raise Refused(MISSING) from None
    current = now or datetime.datetime.now(datetime.UTC)
    if abs(current - signed_at) > MAX_SKEW:
        raise Refused(
            EXPIRED, f"Signature expired: {timestamp} is now earlier or later than allowed"
        )
    signed_names = fields["SignedHeaders"].split(";")
    signed = {name: by_name[name] for name in signed_names if name in by_name}
    request = AWSRequest(method=method, url=url, data=body, headers=signed)
    request.context["timestamp"] = timestamp
    auth = SigV4Auth(
        BotoCredentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        ),
        service,
        region,
    )
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise Refused(BAD_SIGNATURE)
    return Signed(credentials, region, service)


def sign(
    method: str,
    url: str,
    credentials: Credentials,
    *,
    region: str,
    service: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of `method url` signed with `credentials` (add them to the request)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    SigV4Auth(
        BotoCredentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        ),
        service,
        region,
    ).add_auth(request)
    return dict(request.headers.items())
