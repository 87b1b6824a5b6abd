"""A Pulumi program's WebSocket stack, read into what the emulator serves.

    stack = read_stack(Path("."))              # runs __main__.py under Pulumi mocks
    for line in stack.not_honoured: print(line)
    emulator = stack_emulator(stack, workdir)  # an `Emulator` serving exactly that stack

`describe(deployment)` turns the resources a program declared (`emulator.pulumi_program`)
into a `Stack`: the API's route selection expression, the stage (its name is the
URL path) with its throttling, each route key and, following the references the
program made, its integration and the Lambda function behind it (handler, code
archive, environment, memory, timeout, role and that role's policies), and the
DynamoDB table (key schema, attributes, TTL), and the `$connect` route's Lambda REQUEST
authorizer with its identity sources. Whatever the program declares that
the emulator does not serve is kept as one sentence each in `Stack.not_honoured`.

A stack the emulator cannot serve at all (no WebSocket API, a route whose target
is missing, two tables) raises `StackError` with a sentence naming the resource.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import sys
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .authorizer import Authorizer, check_identity_sources
from .pulumi_program import (
    API,
    AUTHORIZER,
    FUNCTION,
    INTEGRATION,
    PERMISSION,
    POLICY,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    ROUTE,
    ROUTE_RESPONSE,
    STAGE,
    TABLE,
    Deployment,
    MockAccount,
    Registered,
    load_program,
    require_pulumi,
)
from .throttling import StageThrottle, Throttle

if TYPE_CHECKING:
    from .server import Emulator

PolicyDocument = dict[str, Any]


class StackError(ValueError):
    """The declared stack cannot be served; the message says which resource and why."""


@dataclass(frozen=True)
class Code:
    """A function's deployment package: archive path -> file contents."""

    files: Mapping[str, bytes]

    def extract(self, directory: Path) -> Path:
        """Write every file under `directory` (emptied first); returns `directory`."""
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        for name, content in self.files.items():
            target = (directory / name).resolve()
            if not target.is_relative_to(directory.resolve()):
                raise StackError(f"archive member {name!r} would land outside the package")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return directory


@dataclass(frozen=True)
class Function:
    """One Lambda function as declared."""

    resource: str
    """The Pulumi resource name (`xo-play`)."""
    name: str
    """The function name (given or auto-named)."""
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: int
    environment: Mapping[str, str]
    code: Code
    role_arn: str
    policies: tuple[PolicyDocument, ...]
    """The role's inline policies and the documents of its attached policies."""


@dataclass(frozen=True)
class Route:
    """One route: its key, the function its integration invokes, and whether it is two-way."""

    key: str
    function: Function
    two_way: bool
    not_invocable: str | None = None
    """Why API Gateway may not invoke the function (no matching `lambda:InvokeFunction`
    permission), or None. Such a route answers `Internal server error`, as on AWS."""


@dataclass(frozen=True)
class ConnectAuthorizer:
    """The Lambda REQUEST authorizer of the `$connect` route."""

    resource: str
    """The Pulumi resource name."""
    function: Function
    identity_sources: tuple[str, ...]
    not_invocable: str | None = None
    """Why API Gateway may not invoke the function (see `Route.not_invocable`), or None."""


@dataclass(frozen=True)
class Table:
    """The DynamoDB table, as boto3's `create_table` and `update_time_to_live` want it."""

    name: str
    arn: str
    create_request: Mapping[str, Any]
    ttl_attribute: str | None

    def ttl_request(self) -> dict[str, Any] | None:
        if self.ttl_attribute is None:
            return None
        return {
            "TableName": self.name,
            "TimeToLiveSpecification": {"Enabled": True, "AttributeName": self.ttl_attribute},
        }


@dataclass(frozen=True)
class Stack:
    """Everything the emulator serves from a declared stack."""

    account: MockAccount
    api_endpoint: str
    """`wss://{api id}.execute-api.{region}.amazonaws.com`, as the program sees it."""
    route_selection_expression: str
    stage: str
    default_throttle: Throttle | None
    route_throttles: Mapping[str, Throttle]
    routes: tuple[Route, ...]
    tables: tuple[Table, ...]
    not_honoured: tuple[str, ...] = field(default=())
    authorizer: ConnectAuthorizer | None = None

    @property
    def functions(self) -> tuple[Function, ...]:
        """Each function once, in route order (the authorizer's last)."""
        seen: dict[str, Function] = {}
        for route in self.routes:
            seen.setdefault(route.function.name, route.function)
        if self.authorizer is not None:
            seen.setdefault(self.authorizer.function.name, self.authorizer.function)
        return tuple(seen.values())

    @property
    def connections_endpoint(self) -> str:
        """`https://{api id}.execute-api.{region}.amazonaws.com`: where `@connections` lives on AWS."""
        return "https://" + self.api_endpoint.removeprefix("wss://")

    def throttle(self, route_key: str) -> Throttle | None:
        """The throttle API Gateway applies to `route_key`: its route settings, else the stage's."""
        return self.route_throttles.get(route_key, self.default_throttle)


def read_stack(
    program_dir: Path,
    config: Mapping[str, str] | None = None,
    *,
    stack_name: str | None = None,
) -> Stack:
    """Run the Pulumi program in `program_dir` under mocks and describe the stack it declares.

    Configuration comes from `Pulumi.{stack_name}.yaml` when it exists (the
    `config:` mapping), then `config` on top. Raises `StackError` when the
    stack cannot be served, `PulumiMissing` when pulumi is not installed, and
    whatever the program raises.
    """
    require_pulumi()
    settings: dict[str, str] = {}
    if stack_name is not None:
        settings.update(stack_config(program_dir / f"Pulumi.{stack_name}.yaml"))
    settings.update(config or {})
    deployment = load_program(program_dir, settings, stack=stack_name or "local")
    return describe(deployment)


def stack_config(path: Path) -> dict[str, str]:
    """The `config:` of a Pulumi stack file (`key: value` strings), or {} if there is no file."""
    if not path.exists():
        return {}
    import yaml  # type: ignore[import-untyped]  # a dependency of pulumi

    document = yaml.safe_load(path.read_text()) or {}
    values = document.get("config") or {}
    return {str(key): str(value) for key, value in values.items()}


def describe(deployment: Deployment) -> Stack:
    """What the emulator serves for the resources `deployment` holds (see the module doc)."""
    notes: list[str] = []
    apis = deployment.of_type(API)
    if len(apis) != 1 or apis[0].inputs.get("protocolType") != "WEBSOCKET":
        raise StackError(f"expected one WebSocket API, found {[str(a) for a in apis]}")
    api = apis[0]
    api_id = api.id or ""
    _note_unused(notes, api, _API_FIELDS)

    stages = [s for s in deployment.of_type(STAGE) if s.inputs.get("apiId") == api_id]
    if len(stages) != 1:
        raise StackError(f"expected one stage of {api}, found {[str(s) for s in stages]}")
    stage = stages[0]
    default_throttle = _throttle(stage.inputs.get("defaultRouteSettings") or {})
    route_throttles = {
        str(setting["routeKey"]): throttle
        for setting in stage.inputs.get("routeSettings") or []
        if (throttle := _throttle(setting)) is not None
    }
    _note_unused(notes, stage, _STAGE_FIELDS)
    declared_settings = [
        stage.inputs.get("defaultRouteSettings") or {},
        *(stage.inputs.get("routeSettings") or []),
    ]
    for setting in declared_settings:
        for key in sorted(set(setting) - _ROUTE_SETTING_FIELDS):
            where = setting.get("routeKey", "default route settings")
            notes.append(f"{stage}: {where} {key}={setting[key]!r} is not applied")

    tables = tuple(_table(t, notes) for t in deployment.of_type(TABLE))
    functions: dict[str, Function] = {}
    routes: list[Route] = []
    connect_authorizer: ConnectAuthorizer | None = None
    route_resources = [r for r in deployment.of_type(ROUTE) if r.inputs.get("apiId") == api_id]
    for route in route_resources:
        key = str(route.inputs["routeKey"])
        target = str(route.inputs.get("target") or "")
        if not target.startswith("integrations/"):
            raise StackError(f"{route} ({key}) has no integration target")
        integration = _by_id(deployment, INTEGRATION, target.removeprefix("integrations/"), route)
        uri = integration.inputs.get("integrationUri")
        if integration.inputs.get("integrationType") != "AWS_PROXY":
            raise StackError(
                f"{integration}: only AWS_PROXY (Lambda proxy) integrations are served, "
                f"not {integration.inputs.get('integrationType')!r}"
            )
        _note_unused(notes, integration, _INTEGRATION_FIELDS)
        function_resource = _invoked(deployment, uri, f"{integration} ({key})")
        name = str(function_resource.outputs["name"])
        if name not in functions:
            functions[name] = _function(deployment, function_resource, notes)
        authorization = str(route.inputs.get("authorizationType") or "NONE")
        if authorization != "NONE" and key != "$connect":
            raise StackError(
                f"{route} ({key}): authorizationType={authorization!r}, but API Gateway "
                "authorizes a WebSocket API on its $connect route only"
            )
        if authorization == "CUSTOM":
            connect_authorizer = _authorizer(deployment, route, api, functions, notes)
        elif authorization != "NONE":
            notes.append(
                f"{route}: authorizationType={authorization!r} is not enforced: every "
                "connection is let in"
            )
        responses = [
            r
            for r in deployment.of_type(ROUTE_RESPONSE)
            if r.inputs.get("routeId") == route.id
            and r.inputs.get("routeResponseKey") == "$default"
        ]
        _note_unused(notes, route, _ROUTE_FIELDS)
        source_arn = f"{api.outputs.get('executionArn', '')}/{stage.inputs.get('name')}/{key}"
        routes.append(
            Route(
                key,
                functions[name],
                two_way=bool(responses),
                not_invocable=_invoke_refusal(deployment, function_resource, source_arn),
            )
        )

    for resource in deployment.resources:
        if resource.type not in _SERVED_TYPES and resource.type.startswith("aws:"):
            why = _WHY_NOT.get(resource.type) or _WHY_NOT.get(resource.type.split("/")[0], "")
            notes.append(f"{resource}: {why or 'not emulated'}")
    return Stack(
        account=deployment.account,
        api_endpoint=str(api.outputs.get("apiEndpoint", "")),
        route_selection_expression=str(api.inputs.get("routeSelectionExpression", "")),
        stage=str(stage.inputs.get("name") or stage.id),
        default_throttle=default_throttle,
        route_throttles=route_throttles,
        routes=tuple(routes),
        tables=tables,
        not_honoured=tuple(notes),
        authorizer=connect_authorizer,
    )


RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
    }
)
"""Variables Lambda sets itself and refuses in a function's configuration (Lambda developer
guide, "Defined runtime environment variables")."""

_SERVED_TYPES = frozenset(
    {API, STAGE, ROUTE, ROUTE_RESPONSE, INTEGRATION, FUNCTION, TABLE, ROLE, ROLE_POLICY, AUTHORIZER}
    | {ROLE_POLICY_ATTACHMENT, POLICY, PERMISSION}
)
_WHY_NOT = {
    "aws:cloudwatch/logGroup:LogGroup": "log groups are not kept; handler output goes to the emulator's log",
    "aws:apigateway/account:Account": "an account-wide API Gateway setting: nothing to serve locally",
    "aws:s3": "not emulated (static hosting; `xo web` serves the page locally)",
    "aws:cloudfront": "not emulated (static hosting; `xo web` serves the page locally)",
}
_IGNORED = frozenset({"name", "description", "tags", "tagsAll", "apiId", "__defaults"})
"""Inputs that are names and labels: nothing to honour."""
_API_FIELDS = frozenset({"protocolType", "routeSelectionExpression"})
_STAGE_FIELDS = frozenset({"defaultRouteSettings", "routeSettings", "autoDeploy"})
_ROUTE_SETTING_FIELDS = frozenset({"routeKey", "throttlingRateLimit", "throttlingBurstLimit"})
_ROUTE_FIELDS = frozenset(
    {"routeKey", "target", "routeResponseSelectionExpression", "authorizationType", "authorizerId"}
)
_AUTHORIZER_FIELDS = frozenset(
    {"authorizerType", "authorizerUri", "identitySources", "authorizerCredentialsArn"}
)
_INTEGRATION_FIELDS = frozenset({"integrationType", "integrationMethod", "integrationUri"})
_FUNCTION_FIELDS = frozenset(
    {"handler", "memorySize", "timeout", "environment", "code", "role", "runtime"}
)
_TABLE_FIELDS = frozenset({"hashKey", "rangeKey", "attributes", "ttl", "billingMode"})


def _note_unused(notes: list[str], resource: Registered, honoured: frozenset[str]) -> None:
    for key in sorted(set(resource.inputs) - honoured - _IGNORED):
        notes.append(f"{resource}: {key}={_short(resource.inputs[key])} is not honoured")


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _throttle(settings: Mapping[str, Any]) -> Throttle | None:
    rate, burst = settings.get("throttlingRateLimit"), settings.get("throttlingBurstLimit")
    if rate is None and burst is None:
        return None
    return Throttle(float(rate if rate is not None else 10000), int(burst or 5000))


def _invoke_refusal(deployment: Deployment, function: Registered, source_arn: str) -> str | None:
    """None if some permission lets API Gateway invoke `function` from `source_arn`, else why not."""
    names = {function.outputs.get("name"), function.outputs.get("arn")}
    for permission in deployment.of_type(PERMISSION):
        inputs = permission.inputs
        if (
            inputs.get("function") in names
            and inputs.get("action") == "lambda:InvokeFunction"
            and inputs.get("principal") == "apigateway.amazonaws.com"
            and fnmatch.fnmatchcase(source_arn, str(inputs.get("sourceArn") or "*"))
        ):
            return None
    return (
        f"API Gateway may not invoke {function.outputs.get('name')}: no lambda:InvokeFunction "
        f"permission for apigateway.amazonaws.com from {source_arn}"
    )


def _invoked(deployment: Deployment, uri: Any, referrer: str) -> Registered:
    """The function whose invoke ARN is `uri`."""
    matches = deployment.find(FUNCTION, invokeArn=uri)
    if len(matches) != 1:
        raise StackError(f"{referrer} invokes {uri!r}, which no function has")
    return matches[0]


def _authorizer(
    deployment: Deployment,
    route: Registered,
    api: Registered,
    functions: dict[str, Function],
    notes: list[str],
) -> ConnectAuthorizer:
    """The REQUEST authorizer the `$connect` route names (AWS: "Control access to WebSocket
    APIs with AWS Lambda REQUEST authorizers", apigateway-websocket-api-lambda-auth.html)."""
    resource = _by_id(deployment, AUTHORIZER, str(route.inputs.get("authorizerId") or ""), route)
    inputs = resource.inputs
    if inputs.get("authorizerType") != "REQUEST":
        raise StackError(
            f"{resource}: a WebSocket API's authorizer is a Lambda REQUEST authorizer, "
            f"not {inputs.get('authorizerType')!r}"
        )
    function_resource = _invoked(deployment, inputs.get("authorizerUri"), str(resource))
    name = str(function_resource.outputs["name"])
    if name not in functions:
        functions[name] = _function(deployment, function_resource, notes)
    _note_unused(notes, resource, _AUTHORIZER_FIELDS)
    if inputs.get("authorizerCredentialsArn"):
        # API Gateway invokes the function with that role, not through a resource policy.
        refusal = None
        notes.append(
            f"{resource}: authorizerCredentialsArn={inputs['authorizerCredentialsArn']!r} is "
            "trusted to allow lambda:InvokeFunction, not checked"
        )
    else:
        source_arn = f"{api.outputs.get('executionArn', '')}/authorizers/{resource.id}"
        refusal = _invoke_refusal(deployment, function_resource, source_arn)
    sources = tuple(str(source) for source in inputs.get("identitySources") or ())
    try:
        check_identity_sources(sources)
    except ValueError as bad:
        raise StackError(f"{resource}: {bad}") from None
    return ConnectAuthorizer(resource.name, functions[name], sources, refusal)


def _by_id(deployment: Deployment, type_: str, id_: str, referrer: Registered) -> Registered:
    found = [r for r in deployment.of_type(type_) if r.id == id_]
    if len(found) != 1:
        raise StackError(
            f"{referrer} refers to {type_} {id_!r}, which the program does not declare"
        )
    return found[0]


def _function(deployment: Deployment, resource: Registered, notes: list[str]) -> Function:
    inputs = resource.inputs
    role_arn = str(inputs.get("role", ""))
    roles = deployment.find(ROLE, arn=role_arn)
    if len(roles) != 1:
        raise StackError(f"{resource}: its role {role_arn!r} is not declared")
    role_name = roles[0].outputs["name"]
    policies: list[PolicyDocument] = [
        json.loads(p.inputs["policy"]) for p in deployment.find(ROLE_POLICY, role=role_name)
    ]
    for attachment in deployment.find(ROLE_POLICY_ATTACHMENT, role=role_name):
        arn = attachment.inputs.get("policyArn")
        declared = deployment.find(POLICY, arn=arn)
        if declared:
            policies.append(json.loads(declared[0].inputs["policy"]))
        else:
            notes.append(
                f"{attachment}: managed policy {arn} is not known here; its permissions are not granted"
            )
    variables = (inputs.get("environment") or {}).get("variables") or {}
    reserved = sorted(set(variables) & RESERVED_VARIABLES)
    if reserved:
        raise StackError(
            f"{resource}: Lambda refuses reserved environment variables {', '.join(reserved)}"
        )
    _note_unused(notes, resource, _FUNCTION_FIELDS)
    here = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if inputs.get("runtime") != here:
        notes.append(f"{resource}: runtime={inputs.get('runtime')!r} runs on this machine's {here}")
    notes.append(
        f"{resource}: memorySize={inputs.get('memorySize') or 128} is reported to the handler "
        "and billed, not enforced as a memory limit"
    )
    return Function(
        resource=resource.name,
        name=str(resource.outputs["name"]),
        handler=str(inputs.get("handler", "")),
        runtime=str(inputs.get("runtime", "")),
        memory_mb=int(inputs.get("memorySize") or 128),
        timeout_s=int(inputs.get("timeout") or 3),
        environment={str(k): str(v) for k, v in variables.items()},
        code=_code(resource, inputs.get("code")),
        role_arn=role_arn,
        policies=tuple(policies),
    )


def _code(resource: Registered, archive: Any) -> Code:
    """The files of a `pulumi.AssetArchive` / `FileArchive` (a zip or a directory)."""
    import pulumi

    files: dict[str, bytes] = {}

    def add(prefix: str, value: Any) -> None:
        if isinstance(value, pulumi.AssetArchive):
            for name, member in value.assets.items():
                add(f"{prefix}{name}", member)
        elif isinstance(value, pulumi.FileAsset):
            files[prefix] = Path(str(value.path)).read_bytes()
        elif isinstance(value, pulumi.StringAsset):
            files[prefix] = str(value.text).encode()
        elif isinstance(value, pulumi.FileArchive):
            path = Path(str(value.path))
            base = f"{prefix}/" if prefix else ""
            if path.is_dir():
                for entry in sorted(path.rglob("*")):
                    if entry.is_file():
                        files[base + entry.relative_to(path).as_posix()] = entry.read_bytes()
            else:
                with zipfile.ZipFile(path) as zipped:
                    for info in zipped.infolist():
                        if not info.is_dir():
                            files[base + info.filename] = zipped.read(info)
        else:
            raise StackError(f"{resource}: code of kind {type(value).__name__} is not served")

    if archive is None:
        raise StackError(f"{resource}: no code")
    add("", archive)
    return Code(files)


def _table(resource: Registered, notes: list[str]) -> Table:
    inputs = resource.inputs
    name = str(resource.outputs["name"])
    schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    attributes = [
        {"AttributeName": a["name"], "AttributeType": a["type"]}
        for a in inputs.get("attributes", [])
    ]
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": schema,
        "AttributeDefinitions": attributes,
        "BillingMode": inputs.get("billingMode") or "PROVISIONED",
    }
    if request["BillingMode"] == "PROVISIONED":
        request["ProvisionedThroughput"] = {
            "ReadCapacityUnits": int(inputs.get("readCapacity") or 1),
            "WriteCapacityUnits": int(inputs.get("writeCapacity") or 1),
        }
    ttl = inputs.get("ttl") or {}
    _note_unused(notes, resource, _TABLE_FIELDS | {"readCapacity", "writeCapacity"})
    return Table(
        name=name,
        arn=str(resource.outputs["arn"]),
        create_request=request,
        ttl_attribute=str(ttl["attributeName"]) if ttl.get("enabled") else None,
    )


def _not_invocable(reason: str) -> Callable[[dict[str, Any], Any], Any]:
    """A stand-in for a function API Gateway may not invoke: every invocation fails, saying why."""

    def refuse(event: dict[str, Any], context: Any) -> Any:
        raise PermissionError(reason)

    return refuse


def stack_emulator(stack: Stack, workdir: Path, **options: Any) -> Emulator:
    """An `Emulator` serving `stack` exactly: its stage, routes, functions and table.

    Each function's archive is extracted under `workdir` (which must stay until
    the emulator stops) and its workers import from there alone, with the
    function's declared variables (the API's AWS endpoint in them pointed at the
    emulator), memory and timeout. The embedded DynamoDB holds the declared
    tables. The stage's throttling applies (`emulator.throttling`). `options` go to `Emulator` (host, port, timeouts, workers, ...).
    """
    from .dynamodb import DynamoDB
    from .iam import Role
    from .runtime import Function as RuntimeFunction
    from .server import Emulator

    def runtime_function(function: Function, not_invocable: str | None) -> RuntimeFunction:
        if not_invocable:
            return RuntimeFunction(_not_invocable(not_invocable), name=function.name)
        return RuntimeFunction(
            function.handler,
            name=function.name,
            environment=function.environment,
            memory_mb=function.memory_mb,
            timeout=function.timeout_s,
            code_dir=str(code_dirs[function.name]),
            role=Role(function.role_arn, function.policies),
        )

    code_dirs = {
        function.name: function.code.extract(workdir / "functions" / function.name)
        for function in stack.functions
    }
    routes = {
        route.key: runtime_function(route.function, route.not_invocable) for route in stack.routes
    }
    declared = stack.authorizer
    authorizer = (
        Authorizer(
            runtime_function(declared.function, declared.not_invocable),
            identity_sources=declared.identity_sources,
        )
        if declared is not None
        else None
    )
    dynamodb = DynamoDB(
        tables=[table.create_request for table in stack.tables],
        time_to_live=[r for table in stack.tables if (r := table.ttl_request()) is not None],
    )
    return Emulator(
        routes,
        route_selection_expression=stack.route_selection_expression,
        two_way_routes=[route.key for route in stack.routes if route.two_way],
        stage=stack.stage,
        dynamodb=dynamodb if stack.tables else None,
        region=stack.account.region,
        account_id=stack.account.account,
        api_id=stack.account.api_id,
        aws_endpoint=stack.connections_endpoint,
        throttling=StageThrottle(stack.default_throttle, stack.route_throttles),
        authorizer=authorizer,
        **options,
    )
