"""Run the Pulumi program against mocks and keep what it registered.

`load_program(config)` does what `pulumi up` would do up to the provider: it
sets the mocks and the stack configuration, runs the program directory with
`runpy.run_path` (as Pulumi's Python host does), waits for every resource
registration, and returns a `Deployment` with each resource's type, name,
inputs, mocked outputs, parent and dependencies, plus the stack exports.

The mocks answer with what AWS would compute, in AWS's shapes: ARNs, the API's
`executionArn` and `apiEndpoint`, a function's `invokeArn`, auto-generated
physical names.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import set_root_resource

from functions.routes import Route
from infra.websocket_game import COMPONENT_TYPE

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "xo"
STACK = "test"
REGION = "us-east-1"
ACCOUNT = "123456789012"
API_ID = "abc123"
EXECUTION_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}"

TABLE = "aws:dynamodb/table:Table"
API = "aws:apigatewayv2/api:Api"
STAGE = "aws:apigatewayv2/stage:Stage"
ROUTE = "aws:apigatewayv2/route:Route"
ROUTE_RESPONSE = "aws:apigatewayv2/routeResponse:RouteResponse"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
API_GATEWAY_ACCOUNT = "aws:apigateway/account:Account"

_ARNS = {
    TABLE: "arn:aws:dynamodb:{region}:{account}:table/{name}",
    FUNCTION: "arn:aws:lambda:{region}:{account}:function:{name}",
    LOG_GROUP: "arn:aws:logs:{region}:{account}:log-group:{name}",
    ROLE: "arn:aws:iam::{account}:role/{name}",
}
"""Resource types that get a physical name (given or generated) and the ARN built from it."""


@dataclass
class Registered:
    """One resource the program registered."""

    type: str
    name: str
    inputs: dict[str, Any]
    id: str | None
    outputs: dict[str, Any]
    urn: str = ""
    parent: str = ""
    dependencies: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return f"{self.type} {self.name!r}"

    def policy(self) -> dict[str, Any]:
        """The resource's `policy` input (a JSON string), parsed."""
        document: dict[str, Any] = json.loads(self.inputs["policy"])
        return document


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that answer with AWS-shaped outputs and record every resource."""

    def __init__(self) -> None:
        self.resources: list[Registered] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        resource_id, outputs = _outputs(args.typ, args.name, inputs)
        self.resources.append(Registered(args.typ, args.name, inputs, resource_id, outputs))
        return resource_id, outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        raise AssertionError(f"the program made an unexpected provider call: {args.token}")


def _outputs(type_: str, name: str, inputs: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    if type_ in _ARNS:
        physical = inputs.get("name") or f"{name}-1a2b3c4"
        arn = _ARNS[type_].format(region=REGION, account=ACCOUNT, name=physical)
        outputs = {**inputs, "name": physical, "arn": arn}
        if type_ == FUNCTION:
            outputs["invokeArn"] = (
                f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"
            )
        return physical, outputs
    if type_ == API:
        return API_ID, {
            **inputs,
            "apiEndpoint": f"wss://{API_ID}.execute-api.{REGION}.amazonaws.com",
            "executionArn": EXECUTION_ARN,
            "arn": f"arn:aws:apigateway:{REGION}::/apis/{API_ID}",
        }
    if type_.startswith("aws:"):
        return f"{name}-id", dict(inputs)
    return None, {}


class RecordingMonitor(MockMonitor):
    """The mock monitor, also noting each resource's parent and dependencies."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.edges: dict[tuple[str, str], tuple[str, str, frozenset[str]]] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.edges[(request.type, request.name)] = (
            response.urn,
            request.parent,
            frozenset(request.dependencies),
        )
        return response


@dataclass
class Deployment:
    """What one run of the program registered and exported."""

    resources: list[Registered]
    exports: dict[str, Any]

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, **match: Any) -> Registered:
        """The single resource of `type_` whose inputs or outputs hold all of `match`."""
        found = [
            r
            for r in self.of_type(type_)
            if all(r.inputs.get(k, r.outputs.get(k)) == v for k, v in match.items())
        ]
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
        log group by name; the integration by the function's invoke ARN; the
        route by key; the permission by function name.
        """
        function = self.one(FUNCTION, handler=route.handler)
        function_name = function.outputs["name"]
        role = self.one(ROLE, arn=function.inputs["role"])
        return RouteResources(
            function=function,
            role=role,
            policy=self.one(ROLE_POLICY, role=role.outputs["name"]),
            log_group=self.one(LOG_GROUP, name=f"/aws/lambda/{function_name}"),
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


def load_program(config: Mapping[str, str] | None = None) -> Deployment:
    """Run `__main__.py` under mocks with the project settings `config` (keys without `xo:`)."""
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    exports: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> pulumi.Output[Any]:
        runpy.run_path(str(REPO_ROOT), run_name="__main__")
        stack = pulumi.runtime.get_root_resource()
        return pulumi.Output.all(**stack.outputs).apply(exports.update)  # type: ignore[union-attr]

    # Pulumi uses the thread's current event loop; pytest-asyncio may have left none.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack for this run
        pulumi.runtime.set_mocks(
            mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor
        )
        pulumi.runtime.set_all_config(
            {f"{PROJECT}:{key}": value for key, value in (config or {}).items()}
        )
        with warnings.catch_warnings():
            # pulumi_aws announces its own deprecated modules when first imported.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="pulumi_aws")
            run()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    for resource in mocks.resources:
        resource.urn, resource.parent, resource.dependencies = monitor.edges[
            (resource.type, resource.name)
        ]
    return Deployment(mocks.resources, exports)
