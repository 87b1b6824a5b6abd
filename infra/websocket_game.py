"""`XoStack`: the whole xo game on AWS as one Pulumi component.

What it builds, all as children of the component:

- a DynamoDB table (`GameId` partition key, TTL on `ttl`, on-demand, point-in-time recovery);
- a WebSocket API routed on `$request.body.type`, and one route per entry of
  `functions.routes.ROUTES`, each with an `AWS_PROXY` integration to its own Lambda function;
- a stage, created after the routes, that deploys itself, throttles every route
  (`start`, `join`, `match` and `rematch`, which make games and take seats, lower than
  the rest) and writes
  JSON access logs (unless `access_logs` is off);
- only if `manage_api_gateway_account` is on: the account-wide API Gateway logging role
  (see `XoStack._api_gateway_account`), kept when the stack is destroyed;
- per route: a Lambda function (python3.13, arm64) with its own log group, its own role
  and an inline least-privilege policy (`infra.policies`), and the permission that lets
  this API, this stage and this route key (only) invoke it.

Physical names are Pulumi's auto-names, every resource that takes tags gets `project`
and `stack` tags, and ARNs use the partition the provider reports. Callers read
`websocket_url`, `connections_url`, `table_name` and `api_id`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from functions import settings as handler_settings
from functions.routes import ROUTE_SELECTION_EXPRESSION, ROUTES, Route
from functions.table import HASH_KEY, HASH_KEY_TYPE, TTL_ATTRIBUTE
from infra import policies
from infra.archive import lambda_archive

COMPONENT_TYPE = "xo:infra:XoStack"
LAMBDA_RUNTIME = "python3.13"
LAMBDA_ARCHITECTURE = "arm64"
LOG_LEVEL = "INFO"
"""Application and system log level of every function: the handlers log at info, and the
platform's REPORT lines (duration, memory) are info too."""
NEW_GAME_ROUTES = ("start", "join", "match", "rematch")
"""Route keys throttled at `XoStackArgs.new_game_rate_limit`: each creates a game or takes a seat."""
TWO_WAY_SELECTION = "$default"
"""Route response selection expression and route response key of two-way routes."""

LOG_RETENTION_DAYS = frozenset(
    {
        1,
        3,
        5,
        7,
        14,
        30,
        60,
        90,
        120,
        150,
        180,
        365,
        400,
        545,
        731,
        1096,
        1827,
        2192,
        2557,
        2922,
        3288,
        3653,
    }
)
"""The retention periods CloudWatch Logs accepts."""

ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "apiId": "$context.apiId",
    "stage": "$context.stage",
    "connectionId": "$context.connectionId",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "messageId": "$context.messageId",
    "status": "$context.status",
    "sourceIp": "$context.identity.sourceIp",
    "errorMessage": "$context.error.messageString",
    "errorResponseType": "$context.error.responseType",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "integrationRequestId": "$context.integration.requestId",
}
"""One JSON object per request in the stage's access log, field -> `$context` variable.

Only variables whose values AWS makes (ids, times, numbers, enums, our route keys),
plus pre-quoted ones (`...String`, which AWS writes with their quotes). Nothing a
client controls goes in unquoted: not the user agent (it has no pre-quoted form), not
the integration's error (the function's own message; its log has it, found by
`integrationRequestId`)."""


def access_log_format(fields: dict[str, str]) -> str:
    """The access log format for `fields`: a JSON object with each variable in quotes,
    except pre-quoted variables (`...String`), which AWS substitutes quotes and all."""
    members = (
        f"{json.dumps(name)}:{variable if variable.endswith('String') else json.dumps(variable)}"
        for name, variable in fields.items()
    )
    return "{" + ",".join(members) + "}"


_STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True)
class XoStackArgs:
    """What an `XoStack` needs. Every setting but `source_root` has a default.

    `from_config` reads the settings from the stack configuration; the
    constructor checks them and raises `ValueError` for a value AWS would refuse
    (so a typo fails at preview rather than half-way through an update).
    """

    source_root: Path
    """Repository root: the Lambda archive is built from its `functions/` and `game/`."""
    stage_name: str = "dev"
    """API Gateway stage; the last path segment of the WebSocket URL."""
    game_lifetime_hours: int = 24
    """How long a game lives after its last move (handlers get it as `GAME_TTL_SECONDS`)."""
    throttling_rate_limit: float = 50.0
    """Steady-state requests per second allowed on every route of the stage."""
    throttling_burst_limit: int = 100
    """Burst of requests allowed on every route of the stage."""
    new_game_rate_limit: float = 10.0
    """Steady-state requests per second on `NEW_GAME_ROUTES` (each makes a game or takes a
    seat); at most `throttling_rate_limit`, so that creating games cannot starve moves."""
    new_game_burst_limit: int = 20
    """Burst on `NEW_GAME_ROUTES`; at most `throttling_burst_limit`."""
    log_retention_days: int = 14
    """Retention of every log group the stack creates (one of `LOG_RETENTION_DAYS`)."""
    lambda_memory_mb: int = 256
    """Memory of every Lambda function (also sets its CPU share)."""
    lambda_timeout_seconds: int = 20
    """Timeout of every Lambda function; API Gateway itself gives up after 29 s. Room for the
    worst case of the handlers' AWS clients (`functions.aws.CLIENT_LIMITS`)."""
    access_logs: bool = True
    """JSON access logs from the stage. API Gateway writes them only once the region's
    account-wide CloudWatch logging role is set (by `manage_api_gateway_account` or by
    whoever runs the account); without it, creating the stage fails."""
    manage_api_gateway_account: bool = False
    """Set the region's account-wide API Gateway CloudWatch logging role to a role of this
    stack. Off by default: the setting is shared by every API in the account and region,
    so it is not this stack's to take. When on, the setting and its role are kept on
    `pulumi destroy`, so other APIs' logging keeps working."""
    routes: tuple[Route, ...] = ROUTES
    """The routes to deploy: the same route table the emulator serves."""

    def __post_init__(self) -> None:
        if not _STAGE_NAME.fullmatch(self.stage_name):
            raise ValueError(f"stage name {self.stage_name!r}: use 1-128 letters, digits, _ or -")
        if self.game_lifetime_hours < 1:
            raise ValueError(f"game lifetime {self.game_lifetime_hours} h: must be at least 1")
        if self.throttling_rate_limit <= 0 or self.throttling_burst_limit < 1:
            # API Gateway takes 0 literally: every request would get 429.
            raise ValueError("throttling rate must be above 0 and burst at least 1")
        if not (
            0 < self.new_game_rate_limit <= self.throttling_rate_limit
            and 1 <= self.new_game_burst_limit <= self.throttling_burst_limit
        ):
            raise ValueError(
                f"new-game throttling {self.new_game_rate_limit:g}/s, burst "
                f"{self.new_game_burst_limit}: the rate must be above 0 and the burst at least "
                f"1, and neither above the stage's ({self.throttling_rate_limit:g}/s, burst "
                f"{self.throttling_burst_limit})."
            )
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"log retention {self.log_retention_days} days: CloudWatch accepts only "
                f"{sorted(LOG_RETENTION_DAYS)}"
            )
        if not 128 <= self.lambda_memory_mb <= 10240:
            raise ValueError(f"Lambda memory {self.lambda_memory_mb} MB: must be 128-10240")
        if not 1 <= self.lambda_timeout_seconds <= 900:
            raise ValueError(f"Lambda timeout {self.lambda_timeout_seconds} s: must be 1-900")
        if not self.routes:
            raise ValueError("no routes to deploy")

    @property
    def game_ttl_seconds(self) -> int:
        """The game lifetime in seconds, as the handlers read it."""
        return self.game_lifetime_hours * 3600

    @classmethod
    def from_config(cls, config: pulumi.Config, source_root: Path) -> XoStackArgs:
        """Read the stack settings from `config` (the project's namespace), defaults for the rest.

        Keys: `CONFIG_KEYS`.
        """
        defaults = cls(source_root=source_root)
        return cls(
            source_root=source_root,
            stage_name=config.get("stageName", defaults.stage_name),
            game_lifetime_hours=config.get_int("gameLifetimeHours", defaults.game_lifetime_hours),
            throttling_rate_limit=config.get_float(
                "throttlingRateLimit", defaults.throttling_rate_limit
            ),
            throttling_burst_limit=config.get_int(
                "throttlingBurstLimit", defaults.throttling_burst_limit
            ),
            new_game_rate_limit=config.get_float("newGameRateLimit", defaults.new_game_rate_limit),
            new_game_burst_limit=config.get_int("newGameBurstLimit", defaults.new_game_burst_limit),
            log_retention_days=config.get_int("logRetentionDays", defaults.log_retention_days),
            lambda_memory_mb=config.get_int("lambdaMemoryMb", defaults.lambda_memory_mb),
            access_logs=_get_bool(config, "accessLogs", defaults.access_logs),
            manage_api_gateway_account=_get_bool(
                config, "manageApiGatewayAccount", defaults.manage_api_gateway_account
            ),
        )


def _get_bool(config: pulumi.Config, key: str, default: bool) -> bool:
    value = config.get_bool(key)
    return default if value is None else value


CONFIG_KEYS = (
    "stageName",
    "gameLifetimeHours",
    "throttlingRateLimit",
    "throttlingBurstLimit",
    "newGameRateLimit",
    "newGameBurstLimit",
    "logRetentionDays",
    "lambdaMemoryMb",
    "accessLogs",
    "manageApiGatewayAccount",
)
"""Every key `XoStackArgs.from_config` reads."""


LAMBDA_NAME_MAX = 64
AUTO_NAME_SUFFIX = 8
"""What Pulumi's auto-naming appends to a logical name: a dash and 7 random hex digits."""
_LAMBDA_NAME = re.compile(r"[A-Za-z0-9_-]+")


def function_logical_name(component: str, stack: str, route: Route) -> str:
    """The logical name of `route`'s function, `{component}-{stack}-{route name}`.

    Pulumi auto-names the function from it (plus a random suffix), so the console
    shows whose stack a function belongs to and two stacks never collide.
    """
    return f"{component}-{stack}-{route.name}"


def check_function_names(component: str, stack: str, routes: tuple[Route, ...]) -> None:
    """Raise `ValueError` with a sentence if `stack` would make an invalid Lambda name.

    Lambda takes 1-64 letters, digits, `-` and `_`; auto-naming adds 8 characters.
    """
    longest = max(routes, key=lambda route: len(route.name))
    name = function_logical_name(component, stack, longest)
    if not _LAMBDA_NAME.fullmatch(name) or len(name) + AUTO_NAME_SUFFIX > LAMBDA_NAME_MAX:
        room = LAMBDA_NAME_MAX - AUTO_NAME_SUFFIX - len(name) + len(stack)
        raise ValueError(
            f"Stack name {stack!r} cannot be part of a Lambda function name ({name!r} plus "
            f"Pulumi's 8-character suffix): use a stack of at most {room} letters, digits, "
            f"- or _ (pulumi stack init NAME)."
        )


def connections_url(websocket_url: str) -> str:
    """The `@connections` endpoint handlers post to: the WebSocket URL with `https://`."""
    return "https://" + websocket_url.removeprefix("wss://")


class XoStack(pulumi.ComponentResource):
    """The xo game: table, WebSocket API, stage, and one Lambda function per route.

    Child resource names start with the component's name. Physical names are
    Pulumi's auto-names (logical name plus a random suffix), so two stacks, even
    of one name, never collide in an account and region. Each function logs to its
    own auto-named log group (created first, with its retention) through its
    logging config. A stack name that would make an invalid Lambda name raises
    `ValueError` before any resource is declared.
    """

    websocket_url: pulumi.Output[str]
    """`wss://{api id}.execute-api.{region}.amazonaws.com/{stage}`: what players connect to."""
    connections_url: pulumi.Output[str]
    """`https://{api id}.execute-api.{region}.amazonaws.com/{stage}`: for `@connections`."""
    table_name: pulumi.Output[str]
    api_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: XoStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        check_function_names(name, pulumi.get_stack(), args.routes)
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self._name = name
        self._args = args
        self._partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self)).partition
        """`aws`, or `aws-cn` / `aws-us-gov`: the partition the provider deploys into."""
        self._tags = {"project": pulumi.get_project(), "stack": pulumi.get_stack()}
        """On every resource that takes tags: whose it is, in a shared account's console and bill."""

        table = self._table()
        api = aws.apigatewayv2.Api(
            f"{name}-api",
            protocol_type="WEBSOCKET",
            route_selection_expression=ROUTE_SELECTION_EXPRESSION,
            description="xo: naughts and crosses over WebSocket",
            tags=self._tags,
            opts=self._child(),
        )
        # From the configured stage name, not the stage: the stage is created last.
        self.websocket_url = pulumi.Output.concat(api.api_endpoint, "/", args.stage_name)
        self.connections_url = self.websocket_url.apply(connections_url)
        self.table_name = table.name
        self.api_id = api.id

        archive = lambda_archive(args.source_root)
        environment = aws.lambda_.FunctionEnvironmentArgs(
            variables={
                handler_settings.TABLE_NAME: table.name,
                handler_settings.CONNECTIONS_URL: self.connections_url,
                handler_settings.GAME_TTL_SECONDS: str(args.game_ttl_seconds),
            }
        )
        api_routes: dict[str, aws.apigatewayv2.Route] = {}
        for route in args.routes:
            function = self._function(route, api, table, archive, environment)
            api_routes[route.key] = self._route(route, api, function)
        self._stage(api, api_routes)

        self.register_outputs(
            {
                "websocketUrl": self.websocket_url,
                "connectionsUrl": self.connections_url,
                "tableName": self.table_name,
                "apiId": self.api_id,
            }
        )

    @property
    def tags(self) -> dict[str, str]:
        """The tags every resource of the stack that takes tags carries (for resources added
        beside the component, such as `infra.web`'s page)."""
        return dict(self._tags)

    def _child(
        self, depends_on: list[pulumi.Resource] | None = None, *, keep: bool = False
    ) -> pulumi.ResourceOptions:
        """Options of a child resource; `keep` leaves it in place on `pulumi destroy`."""
        return pulumi.ResourceOptions(
            parent=self, depends_on=depends_on, retain_on_delete=keep or None
        )

    def _log_group(
        self, resource_name: str, log_group_name: pulumi.Input[str] | None = None
    ) -> aws.cloudwatch.LogGroup:
        """A log group with the stack's retention; auto-named unless `log_group_name` is given."""
        return aws.cloudwatch.LogGroup(
            resource_name,
            name=log_group_name,
            retention_in_days=self._args.log_retention_days,
            tags=self._tags,
            opts=self._child(),
        )

    def _table(self) -> aws.dynamodb.Table:
        return aws.dynamodb.Table(
            f"{self._name}-games",
            attributes=[aws.dynamodb.TableAttributeArgs(name=HASH_KEY, type=HASH_KEY_TYPE)],
            hash_key=HASH_KEY,
            billing_mode="PAY_PER_REQUEST",
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=TTL_ATTRIBUTE, enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            tags=self._tags,
            opts=self._child(),
        )

    def _api_gateway_account(self) -> aws.apigateway.Account:
        """Let API Gateway write logs to CloudWatch: required before a stage can have access logs.

        This setting is account-wide (one per account and region, shared by every
        API there), which is why it is a role with AWS's managed
        `AmazonAPIGatewayPushToCloudWatchLogs` policy rather than one scoped to
        this stack's log group. The setting, the role and its policy are retained on
        delete: resetting the setting (pulumi-aws 7) or deleting the role it names
        (6.x) would stop access logging for every other API in the region.
        """
        role = aws.iam.Role(
            f"{self._name}-apigw-logs-role",
            assume_role_policy=json.dumps(
                policies.assume_role_policy(policies.API_GATEWAY_SERVICE)
            ),
            description="Lets API Gateway push logs to CloudWatch (account-wide setting)",
            tags=self._tags,
            opts=self._child(keep=True),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{self._name}-apigw-logs-policy",
            role=role.name,
            policy_arn=self._partition.apply(policies.push_to_cloudwatch_logs_policy_arn),
            opts=self._child(keep=True),
        )
        return aws.apigateway.Account(
            f"{self._name}-apigw-account",
            cloudwatch_role_arn=role.arn,
            opts=self._child(depends_on=[attachment], keep=True),
        )

    def _access_log_settings(
        self, api: aws.apigatewayv2.Api
    ) -> aws.apigatewayv2.StageAccessLogSettingsArgs | None:
        """Where and how the stage writes access logs, or None when `access_logs` is off."""
        if not self._args.access_logs:
            return None
        stage_name = self._args.stage_name
        log_group = self._log_group(
            f"{self._name}-access-logs",
            api.id.apply(lambda api_id: f"/aws/apigateway/{api_id}/{stage_name}"),
        )
        return aws.apigatewayv2.StageAccessLogSettingsArgs(
            destination_arn=log_group.arn, format=access_log_format(ACCESS_LOG_FIELDS)
        )

    def _stage(
        self, api: aws.apigatewayv2.Api, routes: dict[str, aws.apigatewayv2.Route]
    ) -> aws.apigatewayv2.Stage:
        """The auto-deployed stage: throttled (new-game routes lower), with access logs.

        Created after the routes, since API Gateway refuses route settings for a
        route key the API does not have yet.
        """
        stage_name = self._args.stage_name
        account: list[pulumi.Resource] = (
            [self._api_gateway_account()] if self._args.manage_api_gateway_account else []
        )
        new_game = [key for key in NEW_GAME_ROUTES if key in routes]
        return aws.apigatewayv2.Stage(
            f"{self._name}-stage",
            api_id=api.id,
            name=stage_name,
            auto_deploy=True,
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_rate_limit=self._args.throttling_rate_limit,
                throttling_burst_limit=self._args.throttling_burst_limit,
            ),
            route_settings=[
                aws.apigatewayv2.StageRouteSettingArgs(
                    route_key=key,
                    throttling_rate_limit=self._args.new_game_rate_limit,
                    throttling_burst_limit=self._args.new_game_burst_limit,
                )
                for key in new_game
            ],
            access_log_settings=self._access_log_settings(api),
            tags=self._tags,
            # Creating a stage with access logs fails until the account has its logging role.
            opts=self._child(depends_on=[*account, *(routes[key] for key in new_game)]),
        )

    def _function(
        self,
        route: Route,
        api: aws.apigatewayv2.Api,
        table: aws.dynamodb.Table,
        archive: pulumi.AssetArchive,
        environment: aws.lambda_.FunctionEnvironmentArgs,
    ) -> aws.lambda_.Function:
        """The route's Lambda function, its log group, its role and least-privilege policy."""
        prefix = f"{self._name}-{route.name}"
        function_name = function_logical_name(self._name, pulumi.get_stack(), route)
        log_group = self._log_group(f"{function_name}-logs")
        role = aws.iam.Role(
            f"{prefix}-role",
            assume_role_policy=json.dumps(policies.assume_role_policy(policies.LAMBDA_SERVICE)),
            description=f"xo {route.key} handler",
            tags=self._tags,
            opts=self._child(),
        )
        stage_name = self._args.stage_name
        policy = aws.iam.RolePolicy(
            f"{prefix}-policy",
            role=role.name,
            policy=pulumi.Output.all(table.arn, log_group.arn, api.execution_arn).apply(
                lambda arns: json.dumps(
                    policies.handler_policy(
                        route,
                        table_arn=arns[0],
                        log_group_arn=arns[1],
                        execution_arn=arns[2],
                        stage=stage_name,
                    )
                )
            ),
            opts=self._child(),
        )
        return aws.lambda_.Function(
            function_name,
            description=f"xo {route.key} route",
            role=role.arn,
            runtime=LAMBDA_RUNTIME,
            architectures=[LAMBDA_ARCHITECTURE],
            handler=route.handler,
            code=archive,
            memory_size=self._args.lambda_memory_mb,
            timeout=self._args.lambda_timeout_seconds,
            environment=environment,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=log_group.name,
                # AWS's own defaults, said out loud: left unset, they diff on every update.
                application_log_level=LOG_LEVEL,
                system_log_level=LOG_LEVEL,
            ),
            tags=self._tags,
            # The policy first, so the function never runs without its permissions.
            opts=self._child(depends_on=[policy]),
        )

    def _route(
        self, route: Route, api: aws.apigatewayv2.Api, function: aws.lambda_.Function
    ) -> aws.apigatewayv2.Route:
        """The route, its integration, its route response if two-way, and the invoke permission."""
        prefix = f"{self._name}-{route.name}"
        stage_name = self._args.stage_name
        permission = aws.lambda_.Permission(
            f"{prefix}-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal=policies.API_GATEWAY_SERVICE,
            source_arn=api.execution_arn.apply(
                lambda arn: policies.invoke_source_arn(arn, stage_name, route.key)
            ),
            opts=self._child(),
        )
        integration = aws.apigatewayv2.Integration(
            f"{prefix}-integration",
            api_id=api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=function.invoke_arn,
            opts=self._child(),
        )
        api_route = aws.apigatewayv2.Route(
            f"{prefix}-route",
            api_id=api.id,
            route_key=route.key,
            target=integration.id.apply(lambda integration_id: f"integrations/{integration_id}"),
            route_response_selection_expression=TWO_WAY_SELECTION if route.two_way else None,
            # Reachable only once API Gateway may invoke the function.
            opts=self._child(depends_on=[permission]),
        )
        if route.two_way:
            aws.apigatewayv2.RouteResponse(
                f"{prefix}-route-response",
                api_id=api.id,
                route_id=api_route.id,
                route_response_key=TWO_WAY_SELECTION,
                opts=self._child(),
            )
        return api_route
