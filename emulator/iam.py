"""Who may call the emulator's AWS endpoints, and what each caller may do.

The emulator issues credentials for one run (`Authority.issue`): one set per
Lambda function, given to its workers the way Lambda gives a function its
role's temporary credentials, and one set for the emulator's own callers
(tables it creates, in-process handlers, tests: `Emulator.credentials`).
`@connections` and the embedded DynamoDB accept only requests signed (SigV4,
`emulator.sigv4`) with credentials issued for that run.

A principal with a role (`Role`: `--stack` mode, from the declared IAM
policies) may do only what those policies allow, evaluated by moto's IAM
policy evaluator (`moto.iam.access_control.IAMPolicy`: Allow and explicit
Deny, Action/NotAction, `*` wildcards in actions and resources). A principal
without one (plain mode, the emulator's own) may do anything once signed.
Policies using what that evaluator does not (NotResource, Condition,
NotPrincipal) are refused at start-up rather than half-honoured (`unsupported`).

`Authority.to_json` / `from_json` carry the issued credentials and policies to
the embedded DynamoDB's process.
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .sigv4 import Credentials, Refused, Signed, verify

PolicyDocument = Mapping[str, Any]
AUTHORITY_VARIABLE = "EMULATOR_AUTHORITY"
"""The variable handing the embedded DynamoDB its `Authority.to_json()`."""

DENIED = "denied"
_KEY_ALPHABET = string.ascii_uppercase + string.digits
_UNSUPPORTED_KEYS = ("NotResource", "Condition", "NotPrincipal")


@dataclass(frozen=True)
class Role:
    """A function's IAM role: its ARN and the policy documents attached to it."""

    arn: str
    policies: tuple[PolicyDocument, ...] = ()

    @property
    def name(self) -> str:
        return self.arn.rpartition("/")[2]


@dataclass(frozen=True)
class Principal:
    """A caller: a name (the function's), an ARN for messages, and a role (None: unrestricted)."""

    name: str
    arn: str
    role: Role | None = None


class Denied(Exception):
    """A signed request its principal's policies do not allow."""

    def __init__(self, principal: Principal, action: str, resource: str) -> None:
        super().__init__(principal, action, resource)
        self.principal = principal
        self.action = action
        self.resource = resource

    def __str__(self) -> str:
        return (
            f"User: {self.principal.arn} is not authorized to perform: {self.action} "
            f"on resource: {self.resource} because no identity-based policy allows the "
            f"{self.action} action"
        )


def unsupported(policies: Iterable[PolicyDocument]) -> list[str]:
    """One sentence per policy statement using what the evaluator cannot honour."""
    problems = []
    for policy in policies:
        statements = policy.get("Statement", [])
        for statement in [statements] if isinstance(statements, Mapping) else statements:
            for key in _UNSUPPORTED_KEYS:
                if key in statement:
                    problems.append(
                        f"statement {statement.get('Sid', '(no Sid)')!r} uses {key}, "
                        "which the emulator does not evaluate"
                    )
    return problems


def allows(policies: Sequence[PolicyDocument], action: str, resource: str) -> bool:
    """True if some statement allows `action` on `resource` and none denies it.

    Evaluated by moto's `IAMPolicy`, given patterns made exact (`_as_moto_patterns`):
    moto turns `*` into a regular expression's `.*` but leaves the pattern's other
    characters as regular expression syntax and compares actions case-sensitively.
    """
    from moto.iam.access_control import IAMPolicy, PermissionResult

    allowed = False
    for policy in policies:
        result = IAMPolicy(json.dumps(_as_moto_patterns(policy))).is_action_permitted(
            action.lower(), resource
        )
        if result == PermissionResult.DENIED:
            return False
        allowed = allowed or result == PermissionResult.PERMITTED
    return allowed


def _pattern(text: str) -> str:
    """An IAM wildcard pattern (`*`, `?`) as moto's matcher must see it to match it exactly."""
    return re.escape(text).replace(r"\*", "*").replace(r"\?", ".")


def _as_moto_patterns(policy: PolicyDocument) -> dict[str, Any]:
    """`policy` with every Action/NotAction (lower-cased: IAM ignores their case) and
    Resource pattern escaped for moto's regular-expression matcher."""
    statements = policy.get("Statement", [])
    converted = []
    for statement in [statements] if isinstance(statements, Mapping) else statements:
        statement = dict(statement)
        for key in ("Action", "NotAction", "Resource"):
            if key in statement:
                values = statement[key]
                patterns = [
                    _pattern(v.lower() if key != "Resource" else v)
                    for v in ([values] if isinstance(values, str) else values)
                ]
                statement[key] = patterns
        converted.append(statement)
    return {**policy, "Statement": converted}


def load_checkers(policies: bool) -> None:
    """Import the signature checker (botocore) and, if `policies`, the policy evaluator (moto).

    Call before serving: imported on a first request instead, they would stall
    the event loop for a second or more.
    """
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials  # noqa: F401

    if policies:
        import moto.iam.access_control  # noqa: F401


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class Authority:
    """The credentials issued for one run, and whose they are."""

    account: str
    _issued: dict[str, tuple[Credentials, Principal]] = field(default_factory=dict)

    def issue(self, principal: Principal) -> Credentials:
        """New credentials for `principal`, accepted from now until the run ends."""
        if principal.role is not None:
            problems = unsupported(principal.role.policies)
            if problems:
                raise ValueError(f"role {principal.role.arn}: " + "; ".join(problems))
        credentials = Credentials(
            access_key_id="ASIA" + _random(_KEY_ALPHABET, 16),
            secret_access_key=secrets.token_urlsafe(30),
            session_token=secrets.token_urlsafe(48),
        )
        self._issued[credentials.access_key_id] = (credentials, principal)
        return credentials

    def lookup(self, access_key_id: str) -> Credentials | None:
        entry = self._issued.get(access_key_id)
        return entry[0] if entry else None

    def principal(self, access_key_id: str) -> Principal:
        return self._issued[access_key_id][1]

    def authenticate(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        *,
        now: datetime.datetime | None = None,
    ) -> tuple[Principal, Signed]:
        """Who signed this request (raises `emulator.sigv4.Refused` if nobody we know did)."""
        signed = verify(method, url, headers, body, self.lookup, now=now)
        return self.principal(signed.credentials.access_key_id), signed

    def authorize(self, principal: Principal, action: str, resources: Iterable[str]) -> None:
        """Raise `Denied` unless `principal` may do `action` on every one of `resources`."""
        if principal.role is None:
            return
        for resource in resources:
            if not allows(principal.role.policies, action, resource):
                raise Denied(principal, action, resource)

    def to_json(self) -> str:
        return json.dumps(
            {
                "account": self.account,
                "issued": [
                    {
                        "credentials": vars(credentials),
                        "name": principal.name,
                        "arn": principal.arn,
                        "role": None
                        if principal.role is None
                        else {"arn": principal.role.arn, "policies": principal.role.policies},
                    }
                    for credentials, principal in self._issued.values()
                ],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Authority:
        data = json.loads(text)
        authority = cls(data["account"])
        for entry in data["issued"]:
            credentials = Credentials(**entry["credentials"])
            role = entry["role"]
            principal = Principal(
                entry["name"],
                entry["arn"],
                None if role is None else Role(role["arn"], tuple(role["policies"])),
            )
            authority._issued[credentials.access_key_id] = (credentials, principal)
        return authority


def assumed_role_arn(account: str, role: Role, session: str) -> str:
    """What AWS names a function calling with its role's credentials."""
    return f"arn:aws:sts::{account}:assumed-role/{role.name}/{session}"


__all__ = [
    "AUTHORITY_VARIABLE",
    "DENIED",
    "Authority",
    "Denied",
    "Principal",
    "Refused",
    "Role",
    "allows",
    "assumed_role_arn",
    "load_checkers",
    "unsupported",
]
