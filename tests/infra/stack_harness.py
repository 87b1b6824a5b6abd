"""Run the Pulumi program against mocks and keep what it registered.

`load_program(config)` runs the repository's program with
`emulator.pulumi_program.load_program` (the same code `xo local --stack` uses:
mocks answering in AWS's shapes, the configuration, every registration awaited)
and returns a `Deployment` with each resource's type, name, inputs, mocked
outputs, parent and dependencies, plus the stack exports; this module adds what
the infra tests look things up by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import pulumi_program
from emulator.pulumi_program import (
    API,
    API_GATEWAY_ACCOUNT,
    DEFAULT_ACCOUNT,
    FUNCTION,
    INTEGRATION,
    LOG_GROUP,
    PERMISSION,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    ROUTE,
    ROUTE_RESPONSE,
    STAGE,
    TABLE,
    Registered,
)
from functions.routes import Route
from infra.websocket_game import COMPONENT_TYPE

__all__ = [
    "API",
    "API_GATEWAY_ACCOUNT",
    "FUNCTION",
    "INTEGRATION",
    "LOG_GROUP",
    "PERMISSION",
    "ROLE",
    "ROLE_POLICY",
    "ROLE_POLICY_ATTACHMENT",
    "ROUTE",
    "ROUTE_RESPONSE",
    "STAGE",
    "TABLE",
    "Registered",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "xo"
STACK = "test"
REGION = DEFAULT_ACCOUNT.region
ACCOUNT = DEFAULT_ACCOUNT.account
API_ID = DEFAULT_ACCOUNT.api_id
EXECUTION_ARN = DEFAULT_ACCOUNT.execution_arn


@dataclass
class Deployment(pulumi_program.Deployment):
    """What one run of the program registered and exported."""

    def one(self, type_: str, **match: Any) -> Registered:
        """The single resource of `type_` whose inputs or outputs hold all of `match`."""
        found = self.find(type_, **match)
        assert len(found) == 1, (
            f"expected one {type_} with {match}, found {[str(r) for r in found]}"
        )
        return found[0]

    def component(self) -> Registered:
        """The `XoStack` component itself."""
        return self.one(COMPONENT_TYPE)

    def for_route(self, route: Route) -> RouteResources:
        """The resources serving `route`, found by following references, not names.

        Function by handler; its role by ARN; the role's policy by role name; its
        log group by the name its logging config gives; the integration by the
        function's invoke ARN; the route by key; the permission by function name.
        """
        function = self.one(FUNCTION, handler=route.handler)
        function_name = function.outputs["name"]
        role = self.one(ROLE, arn=function.inputs["role"])
        return RouteResources(
            function=function,
            role=role,
            policy=self.one(ROLE_POLICY, role=role.outputs["name"]),
            log_group=self.one(LOG_GROUP, name=function.inputs["loggingConfig"]["logGroup"]),
            integration=self.one(INTEGRATION, integrationUri=function.outputs["invokeArn"]),
            route=self.one(ROUTE, routeKey=route.key),
            permission=self.one(PERMISSION, function=function_name),
        )


@dataclass
class RouteResources:
    """The resources deployed for one entry of the route table."""

    function: Registered
    role: Registered
    policy: Registered
    log_group: Registered
    integration: Registered
    route: Registered
    permission: Registered


def grants(policy: dict[str, Any]) -> dict[str, set[str]]:
    """Action -> resources an IAM policy document allows (strings or lists alike)."""
    allowed: dict[str, set[str]] = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow", f"unexpected statement {statement}"
        actions = _as_list(statement["Action"])
        for action in actions:
            allowed.setdefault(action, set()).update(_as_list(statement["Resource"]))
    return allowed


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def load_program(
    config: Mapping[str, str] | None = None,
    *,
    stack: str = STACK,
    account: pulumi_program.MockAccount = DEFAULT_ACCOUNT,
) -> Deployment:
    """Run `__main__.py` under mocks with the project settings `config` (keys without `xo:`),
    as stack `stack`, into `account` (its partition, region and ids)."""
    loaded = pulumi_program.load_program(
        REPO_ROOT, config, project=PROJECT, stack=stack, account=account
    )
    return Deployment(loaded.resources, loaded.exports, loaded.account)
