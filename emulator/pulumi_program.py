"""Run a Pulumi program under mocks, in this process, and keep what it declared.

`load_program(program_dir, config=...)` does what `pulumi up` would do up to the
provider, with no CLI and no cloud: it sets Pulumi's mocks and the stack
configuration, runs the program directory's `__main__.py` with `runpy` (as
Pulumi's Python host does), waits for every resource registration, and returns
a `Deployment`: each resource's type, logical name, inputs, mocked outputs,
parent and dependencies, plus the stack exports.

The mocks answer as AWS would, in AWS's shapes, for one fixed account, region
and API id (`MockAccount`): ARNs, the API's `executionArn` and `apiEndpoint`, a
function's `invokeArn`, auto-generated physical names, and the provider calls
`getPartition`, `getRegion` and `getCallerIdentity`. `emulator.stack` reads a
`Deployment` into what the emulator serves; `tests/infra` asserts on it.

Needs the `pulumi` package (the ``deploy`` or ``test`` extra).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import runpy
import sys
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TABLE = "aws:dynamodb/table:Table"
API = "aws:apigatewayv2/api:Api"
STAGE = "aws:apigatewayv2/stage:Stage"
ROUTE = "aws:apigatewayv2/route:Route"
ROUTE_RESPONSE = "aws:apigatewayv2/routeResponse:RouteResponse"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
API_GATEWAY_ACCOUNT = "aws:apigateway/account:Account"
BUCKET = "aws:s3/bucket:Bucket"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


DEPLOY_INSTALL = ".venv/bin/pip install -c constraints.txt -e '.[deploy]'"
"""The install that brings the `pulumi` package (the play install, ``-e .``, leaves it out)."""


class PulumiMissing(RuntimeError):
    """The `pulumi` package cannot be imported; the message is one line naming the install."""


def require_pulumi() -> None:
    """Raise `PulumiMissing` unless the `pulumi` package can be imported."""
    try:
        import pulumi  # noqa: F401
    except ImportError:
        raise PulumiMissing(
            f"--stack runs the Pulumi program, which needs the pulumi package: {DEPLOY_INSTALL}"
        ) from None


@dataclass(frozen=True)
class MockAccount:
    """The AWS account, region and API id the mocks pretend to deploy into."""

    region: str = "us-east-1"
    account: str = "123456789012"
    api_id: str = "abc123"
    partition: str = "aws"

    @property
    def execution_arn(self) -> str:
        return f"arn:{self.partition}:execute-api:{self.region}:{self.account}:{self.api_id}"


DEFAULT_ACCOUNT = MockAccount()

_ARNS = {
    TABLE: "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
    FUNCTION: "arn:{partition}:lambda:{region}:{account}:function:{name}",
    LOG_GROUP: "arn:{partition}:logs:{region}:{account}:log-group:{name}",
    ROLE: "arn:{partition}:iam::{account}:role/{name}",
    POLICY: "arn:{partition}:iam::{account}:policy/{name}",
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
    retain_on_delete: bool = False
    """Left in place by `pulumi destroy` (the `retain_on_delete` resource option)."""

    def __str__(self) -> str:
        return f"{self.type} {self.name!r}"

    def policy(self) -> dict[str, Any]:
        """The resource's `policy` input (a JSON string), parsed."""
        document: dict[str, Any] = json.loads(self.inputs["policy"])
        return document


def _physical_name(logical: str) -> str:
    """What Pulumi's auto-naming makes of a logical name: the name, a dash, 7 random hex digits."""
    return f"{logical}-1a2b3c4"


def _outputs(
    type_: str, name: str, inputs: dict[str, Any], account: MockAccount
) -> tuple[str | None, dict[str, Any]]:
    where = {"partition": account.partition, "region": account.region, "account": account.account}
    if type_ in _ARNS:
        physical = inputs.get("name") or _physical_name(name)
        arn = _ARNS[type_].format(name=physical, **where)
        outputs = {**inputs, "name": physical, "arn": arn}
        if type_ == FUNCTION:
            outputs["invokeArn"] = (
                f"arn:{account.partition}:apigateway:{account.region}:lambda:path/2015-03-31"
                f"/functions/{arn}/invocations"
            )
        return physical, outputs
    if type_ == BUCKET:
        physical = inputs.get("bucket") or _physical_name(name)
        return physical, {
            **inputs,
            "bucket": physical,
            "arn": f"arn:{account.partition}:s3:::{physical}",
            "bucketRegionalDomainName": f"{physical}.s3.{account.region}.amazonaws.com",
        }
    if type_ == DISTRIBUTION:
        distribution_id = "E2XO0EXAMPLE"
        return distribution_id, {
            **inputs,
            "arn": f"arn:{account.partition}:cloudfront::{account.account}:distribution/{distribution_id}",
            "domainName": "d2xo0example.cloudfront.net",
        }
    if type_ == API:
        return account.api_id, {
            **inputs,
            "apiEndpoint": f"wss://{account.api_id}.execute-api.{account.region}.amazonaws.com",
            "executionArn": account.execution_arn,
            "arn": f"arn:{account.partition}:apigateway:{account.region}::/apis/{account.api_id}",
        }
    if type_.startswith("aws:"):
        return f"{name}-id", dict(inputs)
    return None, {}


def _recording_mocks(account: MockAccount) -> Any:
    import pulumi

    class RecordingMocks(pulumi.runtime.Mocks):
        """Mocks that answer with AWS-shaped outputs and record every resource."""

        def __init__(self) -> None:
            self.resources: list[Registered] = []

        def new_resource(
            self, args: pulumi.runtime.MockResourceArgs
        ) -> tuple[str | None, dict[str, Any]]:
            inputs = dict(args.inputs)
            resource_id, outputs = _outputs(args.typ, args.name, inputs, account)
            self.resources.append(Registered(args.typ, args.name, inputs, resource_id, outputs))
            return resource_id, outputs

        def call(
            self, args: pulumi.runtime.MockCallArgs
        ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            answers: dict[str, dict[str, Any]] = {
                "aws:index/getPartition:getPartition": {
                    "partition": account.partition,
                    "dnsSuffix": "amazonaws.com",
                    "id": account.partition,
                },
                "aws:index/getRegion:getRegion": {
                    "name": account.region,
                    "region": account.region,
                    "id": account.region,
                },
                "aws:index/getCallerIdentity:getCallerIdentity": {
                    "accountId": account.account,
                    "arn": f"arn:{account.partition}:iam::{account.account}:user/deployer",
                    "userId": "AIDADEPLOYER",
                    "id": account.account,
                },
            }
            if args.token in answers:
                return answers[args.token], []
            raise LookupError(
                f"the program made a provider call the mocks cannot answer: {args.token}"
            )

    return RecordingMocks()


@dataclass
class Deployment:
    """What one run of the program registered and exported (resources in registration order)."""

    resources: list[Registered]
    exports: dict[str, Any]
    account: MockAccount = field(default_factory=MockAccount)

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def find(self, type_: str, **match: Any) -> list[Registered]:
        """The resources of `type_` whose inputs (else outputs) hold all of `match`."""
        return [
            r
            for r in self.of_type(type_)
            if all(r.inputs.get(k, r.outputs.get(k)) == v for k, v in match.items())
        ]

    def one(self, type_: str, **match: Any) -> Registered:
        """The single resource of `type_` whose inputs or outputs hold all of `match`.

        Raises `LookupError` naming what was found when there is not exactly one.
        """
        found = self.find(type_, **match)
        if len(found) != 1:
            raise LookupError(f"expected one {type_} with {match}, found {[str(r) for r in found]}")
        return found[0]


def project_name(program_dir: Path) -> str:
    """The `name:` of the program's `Pulumi.yaml` (the prefix of its configuration keys)."""
    for line in (program_dir / "Pulumi.yaml").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "name" and not line.startswith((" ", "\t")):
            return value.strip().strip("'\"")
    raise ValueError(f"{program_dir / 'Pulumi.yaml'} has no name")


@contextlib.contextmanager
def _program_imports(program_dir: Path) -> Iterator[None]:
    """The program directory first on `sys.path` while it runs, as Pulumi's host puts it."""
    entry = str(program_dir)
    sys.path.insert(0, entry)
    cwd = os.getcwd()
    os.chdir(program_dir)
    try:
        yield
    finally:
        os.chdir(cwd)
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)


def load_program(
    program_dir: Path,
    config: Mapping[str, str] | None = None,
    *,
    project: str | None = None,
    stack: str = "local",
    account: MockAccount = DEFAULT_ACCOUNT,
) -> Deployment:
    """Run `program_dir`'s `__main__.py` under mocks; return what it registered and exported.

    `config`: full configuration keys (`xo:stageName`, `aws:region`) to values;
    keys without a namespace get the project's (`stageName` -> `xo:stageName`).
    The program runs in this process, on a fresh event loop, as stack `stack`
    (so call it from a thread with no running event loop).
    Whatever the program raises propagates (a bad setting fails here as at preview).
    """
    import pulumi
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.settings import set_root_resource

    program_dir = program_dir.resolve()
    project = project or project_name(program_dir)
    mocks = _recording_mocks(account)
    edges: dict[tuple[str, str], tuple[str, str, frozenset[str], bool]] = {}

    class RecordingMonitor(MockMonitor):
        """The mock monitor, also noting each resource's parent and dependencies."""

        def RegisterResource(self, request: Any) -> Any:
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
            edges[(request.type, request.name)] = (
                response.urn,
                request.parent,
                frozenset(request.dependencies),
                request.retainOnDelete,
            )
            return response

    monitor = RecordingMonitor(mocks)
    exports: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> pulumi.Output[Any]:
        runpy.run_path(str(program_dir), run_name="__main__")
        root = pulumi.runtime.get_root_resource()
        return pulumi.Output.all(**root.outputs).apply(exports.update)  # type: ignore[union-attr]

    full_config = {
        (key if ":" in key else f"{project}:{key}"): value for key, value in (config or {}).items()
    }
    # Pulumi uses the thread's current event loop; whoever called may have left none.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack for this run
        pulumi.runtime.set_mocks(
            mocks, project=project, stack=stack, preview=False, monitor=monitor
        )
        pulumi.runtime.set_all_config(full_config)
        with warnings.catch_warnings(), _program_imports(program_dir):
            # pulumi_aws announces its own deprecated modules when first imported.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="pulumi_aws")
            run()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    resources: list[Registered] = mocks.resources
    for resource in resources:
        (
            resource.urn,
            resource.parent,
            resource.dependencies,
            resource.retain_on_delete,
        ) = edges[(resource.type, resource.name)]
    return Deployment(resources, exports, account)
