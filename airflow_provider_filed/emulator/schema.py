"""The executable schema: ``schema.graphql`` bound to thin resolvers over the store.

Only root fields, list fields with arguments, status fields and scalars have resolvers; everything else
is read from the records by graphql-core's default resolver, which keeps large pages cheap. Resolvers
read nothing of ``info`` but ``info.context``: compiled plans (``emulator.fast``) call them with a
stand-in that carries only the context.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ariadne import MutationType, ObjectType, QueryType, ScalarType, make_executable_schema
from graphql import (
    REMOVE,
    GraphQLResolveInfo,
    GraphQLSchema,
    InputValueDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.errors import UNAUTHENTICATED, ApiError
from airflow_provider_filed.emulator.models import (
    ConnectionJob,
    JobWork,
    Me,
    ProviderConnection,
    Session,
    User,
    Workspace,
    cased,
)
from airflow_provider_filed.emulator.paging import Page, page_from_args
from airflow_provider_filed.emulator.store import Store
from airflow_provider_filed.emulator.store.imports import ARTIFACTS, WORKS, CreateRules, Kind

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
SORT_BY_ARGUMENT = "sortBy"
SORT_BY_FIELDS = frozenset({("Workspace", "connections"), ("ProviderConnection", "jobWorks")})
STATUS_TYPES = ("ConnectionJob", "Work", "WorkArtifact", "ProviderConnection")


@dataclass(slots=True)
class RequestContext:
    """What resolvers see as ``info.context``: the store, the live config and the caller's session."""

    store: Store
    config: EmulatorConfig
    session: Session | None

    create_rules: CreateRules = field(init=False)

    def __post_init__(self) -> None:
        self.create_rules = CreateRules(
            self.config.max_inputs_per_request, self.config.lenient_duplicates, self.config.status_case
        )

    @property
    def partner_session(self) -> Session:
        if self.session is None:
            raise ApiError(UNAUTHENTICATED, "missing bearer access token")
        return self.session

    def page(self, args: dict[str, Any]) -> Page:
        return page_from_args(
            args.get("offset"),
            args.get("limit"),
            args.get("sortBy"),
            default_limit=self.config.default_limit,
            max_limit=self.config.max_limit,
            page_cap=self.config.page_cap,
        )


def _ctx(info: GraphQLResolveInfo) -> RequestContext:
    context: RequestContext = info.context
    return context


@functools.lru_cache(maxsize=8192)
def serialize_date(value: float) -> str:
    """Epoch seconds as ISO-8601 UTC with milliseconds and ``Z``, e.g. 2024-01-15T10:35:00.000Z."""
    whole = int(value)
    millis = int((value - whole) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def parse_date(value: Any) -> float:
    """An ISO-8601 string (``Z`` or offset) as epoch seconds."""
    if not isinstance(value, str):
        raise ValueError("Date must be an ISO-8601 string")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


date_scalar = ScalarType("Date", serializer=serialize_date, value_parser=parse_date)
query = QueryType()
mutation = MutationType()
me_type = ObjectType("Me")
workspace_type = ObjectType("Workspace")
connection_type = ObjectType("ProviderConnection")
status_types = [connection_type, *(ObjectType(name) for name in STATUS_TYPES if name != "ProviderConnection")]


def resolve_status(record: Any, info: GraphQLResolveInfo) -> str:
    return cased(record.status, _ctx(info).config.status_case)


for status_type in status_types:
    status_type.set_field("status", resolve_status)


@query.field("me")
def resolve_me(_: None, info: GraphQLResolveInfo) -> Me:
    return Store.me(_ctx(info).partner_session)


@me_type.field("workspaces")
def resolve_workspaces(me: Me, info: GraphQLResolveInfo, filters: dict[str, Any] | None = None) -> list[Workspace]:
    return _ctx(info).store.workspaces(me.partner, (filters or {}).get("ids"))


@workspace_type.field("connections")
def resolve_connections(workspace: Workspace, info: GraphQLResolveInfo, **args: Any) -> list[ProviderConnection]:
    ctx = _ctx(info)
    return ctx.store.list_connections(workspace, args.get("filters"), ctx.page(args))


@connection_type.field("jobWorks")
def resolve_job_works(connection: ProviderConnection, info: GraphQLResolveInfo, **args: Any) -> list[JobWork]:
    ctx = _ctx(info)
    return ctx.store.list_job_works(connection, args.get("filters"), ctx.page(args))


@mutation.field("loginViaPersonalApiToken")
def resolve_login(_: None, info: GraphQLResolveInfo, token: str) -> dict[str, str]:
    ctx = _ctx(info)
    return {"accessToken": ctx.store.login(token, ctx.config.token_ttl_s)}


@mutation.field("createWorkspace")
def resolve_create_workspace(_: None, info: GraphQLResolveInfo, input: dict[str, Any]) -> Workspace:
    ctx = _ctx(info)
    return ctx.store.create_workspace(
        ctx.partner_session.partner, input["displayName"], input.get("metadata"), input.get("firmSize")
    )


@mutation.field("addUsersToTheWorkspace")
def resolve_add_users(_: None, info: GraphQLResolveInfo, workspaceId: str, userEmails: list[str]) -> list[User]:
    ctx = _ctx(info)
    return ctx.store.add_users(ctx.partner_session.partner, workspaceId, userEmails)


@mutation.field("startProviderConnection")
def resolve_start_connection(
    _: None, info: GraphQLResolveInfo, workspaceId: str, providerKey: str, inputs: Any = None
) -> ProviderConnection:
    ctx = _ctx(info)
    return ctx.store.start_connection(ctx.partner_session.partner, workspaceId, providerKey, inputs)


@mutation.field("collectProviderConnection")
def resolve_collect_connection(
    _: None, info: GraphQLResolveInfo, connectionId: str, inputs: Any = None
) -> ProviderConnection:
    ctx = _ctx(info)
    return ctx.store.collect_connection(ctx.partner_session.partner, connectionId, inputs)


@mutation.field("createConnectionJob")
def resolve_create_job(_: None, info: GraphQLResolveInfo, connectionId: str, jobName: str) -> ConnectionJob:
    ctx = _ctx(info)
    return ctx.store.create_job(ctx.partner_session.partner, connectionId, jobName, status_case=ctx.config.status_case)


@dataclass(frozen=True, slots=True)
class CreateResolver:
    """The resolver of a create mutation (records made under one owner: a connection job, a job work), and
    ``in_turn``: the same for many aliased fields of one mutation, which compiled plans call once."""

    kind: Kind
    owner_argument: str

    def __call__(self, _: None, info: GraphQLResolveInfo, **arguments: Any) -> list[Any]:
        ctx = _ctx(info)
        owner_id, inputs = arguments[self.owner_argument], arguments["inputs"]
        return ctx.store.create(self.kind, ctx.partner_session.partner, owner_id, inputs, ctx.create_rules)

    def in_turn(self, info: Any, calls: Sequence[dict[str, Any]]) -> tuple[Sequence[Sequence[Any]], Exception | None]:
        """Each field's records, in document order up to the first error, and that error."""
        if not calls:
            return [], None
        ctx = _ctx(info)
        try:
            partner = ctx.partner_session.partner
        except ApiError as error:
            return [], error
        requests = [(arguments[self.owner_argument], arguments["inputs"]) for arguments in calls]
        return ctx.store.create_in_turn(self.kind, partner, requests, ctx.create_rules)


mutation.set_field("createJobWorks", CreateResolver(WORKS, "connectionJobId"))
mutation.set_field("createJobWorkArtifacts", CreateResolver(ARTIFACTS, "jobWorkId"))


@mutation.field("triggerConnectionJob")
def resolve_trigger(_: None, info: GraphQLResolveInfo, connectionJobId: str) -> ConnectionJob:
    ctx = _ctx(info)
    return ctx.store.trigger_job(
        ctx.partner_session.partner,
        connectionJobId,
        ctx.config.processing_time_s,
        ctx.config.artifact_failure_pattern,
        terminated_pattern=ctx.config.artifact_terminated_pattern,
        status_case=ctx.config.status_case,
    )


class _DropSortBy(Visitor):
    """Removes the ``sortBy`` argument of the fields in ``SORT_BY_FIELDS`` from a schema AST."""

    def enter_input_value_definition(
        self, node: InputValueDefinitionNode, key: Any, parent: Any, path: Any, ancestors: list[Any]
    ) -> Any:
        if node.name.value != SORT_BY_ARGUMENT or len(ancestors) < 3:
            return None
        field, owner = ancestors[-1], ancestors[-3]
        return REMOVE if (owner.name.value, field.name.value) in SORT_BY_FIELDS else None


@functools.cache
def schema_sdl(sort_by_argument: bool = True) -> str:
    """``schema.graphql``, or the same contract without ``sortBy`` where a gateway might not know it."""
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    return text if sort_by_argument else print_ast(visit(parse(text), _DropSortBy()))


@functools.cache
def build_schema(sort_by_argument: bool = True) -> GraphQLSchema:
    """Bind the resolvers to ``schema_sdl(sort_by_argument)`` (built once per variant and process)."""
    return make_executable_schema(
        schema_sdl(sort_by_argument),
        query,
        mutation,
        me_type,
        workspace_type,
        *status_types,
        date_scalar,
    )
