"""The ASGI app: ``POST /graphql`` with auth, fault injection and stats, ``/_emulator/*`` controls, app pages.

HTTP statuses: 200 for executed requests (GraphQL errors in the body), 400 for malformed requests,
parse or validation errors and bad variables, 401 for UNAUTHENTICATED, 429/5xx for injected faults.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode, OperationType, execute_sync
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.documents import PreparedDocument, document_cache, select_operation
from airflow_provider_filed.emulator.errors import (
    BAD_REQUEST,
    BAD_USER_INPUT,
    INTERNAL_SERVER_ERROR,
    UNAUTHENTICATED,
    ApiError,
)
from airflow_provider_filed.emulator.fast import BoundPlan
from airflow_provider_filed.emulator.faults import CommitFailure, FaultInjector, FaultPlan, retry_after_header
from airflow_provider_filed.emulator.models import Session, frozen_clock
from airflow_provider_filed.emulator.pages import page_routes
from airflow_provider_filed.emulator.schema import RequestContext, build_schema
from airflow_provider_filed.emulator.stats import RequestStats
from airflow_provider_filed.emulator.store import SeedInfo, Store
from airflow_provider_filed.emulator.wire import MEDIA_TYPE, JsonWire, TruncatedResponse, error_body, format_error

log = logging.getLogger(__name__)

LOGIN_FIELD = "loginViaPersonalApiToken"
INVALID_REQUEST = "<invalid>"
UNKNOWN_OPERATION = "<unknown>"
DROPPED = "dropped"


def generate_api_key() -> str:
    """A fresh random API key for a seeded partner."""
    return f"filed-emulator-{secrets.token_hex(16)}"


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@dataclass(slots=True)
class _Outcome:
    """A finished GraphQL request: the response and how it counts in the stats."""

    response: Response
    names: list[str]
    label: int | str


@dataclass(frozen=True, slots=True)
class _Call:
    """What a ``POST /graphql`` body asked for, as far as it could be read before the delay: the JSON, the
    document, and for the fast path its plan with the variables coerced (pure work, no store or clock).
    ``well_formed``: a JSON object whose ``variables`` and ``operationName`` have the right types."""

    variables: Any
    well_formed: bool
    prepared: PreparedDocument | None
    operation: OperationDefinitionNode | None
    operation_name: Any
    names: list[str]
    targets: list[str]
    schema: GraphQLSchema
    bound: BoundPlan | None


def _bound(
    prepared: PreparedDocument | None,
    operation: OperationDefinitionNode | None,
    variables: dict[str, Any] | None,
    schema: GraphQLSchema,
) -> BoundPlan | None:
    """The fast path's plan of a well-formed request with its variables coerced; None: the general path runs it."""
    if prepared is None or operation is None or prepared.errors:
        return None
    compiled = prepared.plan(schema, operation)
    return compiled.bind(variables) if compiled is not None else None


async def _until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    """Sleep until ``deadline`` (the loop's clock): a request's delay counts from its arrival."""
    if deadline > loop.time():
        await asyncio.sleep(deadline - loop.time())


class EmulatorApp:
    """One emulated Filed gateway: store, live config, fault dice and stats behind an ASGI app."""

    def __init__(self, api_keys: Sequence[str] | None = None, config: EmulatorConfig | None = None) -> None:
        self.api_keys = list(api_keys) if api_keys else [generate_api_key()]
        self.initial_config = (config or EmulatorConfig()).model_copy(deep=True)
        self.config = self.initial_config.model_copy(deep=True)
        self.store = Store(self.api_keys)
        self.request_stats = RequestStats()
        self.faults = FaultInjector(self.config.seed)
        self.schema = build_schema()
        self._config_lock = threading.Lock()
        self.wire = JsonWire()
        self.asgi = Starlette(
            routes=[
                Route("/graphql", self._graphql, methods=["POST"]),
                Route("/_emulator/stats", self._stats, methods=["GET"]),
                Route("/_emulator/config", self._config, methods=["GET", "POST"]),
                Route("/_emulator/reset", self._reset, methods=["POST"]),
                Route("/_emulator/seed", self._seed, methods=["GET"]),
                Route("/_emulator/partners", self._add_partner, methods=["POST"]),
                *page_routes(self),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)

    @property
    def seed(self) -> SeedInfo:
        return self.store.seed

    def configure(self, **fields: Any) -> EmulatorConfig:
        """Merge fields into the live config (validated); a new ``seed`` re-seeds the fault dice."""
        with self._config_lock:
            self.config = self.config.merged(fields)
            if "seed" in fields:
                self.faults.reseed(self.config.seed)
            return self.config

    def reset(self) -> SeedInfo:
        """Seeded data, empty stats and tokens, and the start-time config."""
        with self._config_lock:
            self.config = self.initial_config.model_copy(deep=True)
            self.faults.reseed(self.config.seed)
        self.request_stats.reset()
        self.wire.reset()
        return self.store.reset()

    def stats(self) -> dict[str, Any]:
        requests = self.request_stats.snapshot()
        faults = requests.pop("faults_injected")
        return {**requests, **self.store.stats(), "faults_injected": faults}

    async def _graphql(self, request: Request) -> Response:
        outcome = await self._run_graphql(request)
        self.request_stats.record(outcome.names, outcome.label, request.headers.get("source-platform"))
        return outcome.response

    async def _run_graphql(self, request: Request) -> _Outcome:
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        config = self.config
        documents = document_cache(config.sort_by_argument)
        try:
            payload = self.wire.loads(await request.body())
        except ValueError:
            payload = None
        query = payload.get("query") if isinstance(payload, dict) else None
        prepared = documents.get(query) if isinstance(query, str) else None
        operation_name = payload.get("operationName") if isinstance(payload, dict) else None
        operation = None
        names = [INVALID_REQUEST]
        if prepared is not None and prepared.document is not None:
            operation = select_operation(prepared.document, operation_name)
            names = prepared.root_fields(operation) if operation else [UNKNOWN_OPERATION]
        targets = [*names, operation.name.value] if operation is not None and operation.name else names
        variables = payload.get("variables") if isinstance(payload, dict) else None
        well_formed = isinstance(variables, dict | None) and isinstance(operation_name, str | None)
        fast = config.fast_path and well_formed
        bound = _bound(prepared, operation, variables, documents.schema) if fast else None
        call = _Call(
            variables, well_formed, prepared, operation, operation_name, names, targets, documents.schema, bound
        )

        plan = self.faults.plan(config, targets)
        if config.latency_covers_work:
            outcome = self._answer(request, call, plan, config)
            await _until(loop, arrived + plan.delay_s)
            return outcome
        await _until(loop, arrived + plan.delay_s)
        return self._answer(request, call, plan, config)

    def _answer(self, request: Request, call: _Call, plan: FaultPlan, config: EmulatorConfig) -> _Outcome:
        """Everything after the delay: the injected rejection, or the checked request executed (then maybe cut)."""
        names = call.names
        if plan.reject_status is not None:
            return self._rejected(plan, names)
        prepared, operation = call.prepared, call.operation
        if prepared is None or not call.well_formed:
            failure = error_body(
                "expected a JSON object with 'query', optional 'variables' and 'operationName'", BAD_REQUEST
            )
            return _Outcome(self.wire.response(failure, status_code=400), names, 400)
        if prepared.document is None or prepared.errors:
            errors = [format_error(error, prepared.error_code or BAD_REQUEST) for error in prepared.errors]
            return _Outcome(self.wire.response({"errors": errors}, status_code=400), names, 400)

        body, status = self._execute(
            request, call.schema, prepared.document, call.bound, call.variables, call.operation_name, names, config
        )
        if status == 200 and operation is not None and operation.operation == OperationType.MUTATION:
            cut = self.faults.after_commit(config, call.targets)
            if cut is not None:
                return self._commit_then_fail(cut, body, names)
        return _Outcome(self.wire.response(body, status_code=status), names, status)

    def _execute(
        self,
        request: Request,
        schema: GraphQLSchema,
        document: DocumentNode,
        bound: BoundPlan | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        names: list[str],
        config: EmulatorConfig,
    ) -> tuple[dict[str, Any], int]:
        """Authenticate (unless login only), run the operation (its bound plan, else graphql-core); body and HTTP
        status."""
        with frozen_clock():
            session: Session | None = None
            if any(name != LOGIN_FIELD for name in names):
                try:
                    session = self.store.authenticate(_bearer_token(request))
                except ApiError as denied:
                    return error_body(denied.message, denied.code), 401
            context = RequestContext(self.store, config, session)
            result = bound.execute(context) if bound is not None else None
            if result is None:
                result = execute_sync(
                    schema,
                    document,
                    variable_values=variables,
                    operation_name=operation_name,
                    context_value=context,
                )
        body: dict[str, Any] = {"data": result.data}
        if not result.errors:
            return body, 200
        for error in result.errors:
            if error.path is not None and not isinstance(error.original_error, ApiError | None):
                log.warning("resolver failed at %s", error.path, exc_info=error.original_error)
        before_execution = all(error.path is None for error in result.errors)
        default_code = BAD_USER_INPUT if before_execution else INTERNAL_SERVER_ERROR
        body["errors"] = [format_error(error, default_code) for error in result.errors]
        if any(error["extensions"]["code"] == UNAUTHENTICATED for error in body["errors"]):
            return body, 401
        if result.data is None and before_execution:
            return body, 400
        return body, 200

    def _rejected(self, plan: FaultPlan, names: list[str]) -> _Outcome:
        status = plan.reject_status or 500
        if status == 429:
            self.request_stats.fault("rate_limit")
            body = error_body("rate limit exceeded", "RATE_LIMITED")
            headers = {"Retry-After": retry_after_header(self.config.retry_after_s)}
            return _Outcome(self.wire.response(body, status_code=429, headers=headers), names, 429)
        self.request_stats.fault("error")
        body = error_body(f"injected server error (HTTP {status})", INTERNAL_SERVER_ERROR)
        return _Outcome(self.wire.response(body, status_code=status), names, status)

    def _commit_then_fail(self, failure: CommitFailure, body: dict[str, Any], names: list[str]) -> _Outcome:
        self.request_stats.fault("commit_then_fail")
        if failure.drop:
            content = self.wire.dumps(body)
            return _Outcome(TruncatedResponse(content, media_type=MEDIA_TYPE), names, DROPPED)
        message = f"injected server error after commit (HTTP {failure.status})"
        return _Outcome(
            self.wire.response(error_body(message, INTERNAL_SERVER_ERROR), status_code=failure.status),
            names,
            failure.status,
        )

    async def _admin_delay(self, request: Request) -> None:
        plan = self.faults.plan(self.config, [request.url.path], admin=True)
        if plan.delay_s > 0:
            await asyncio.sleep(plan.delay_s)

    async def _stats(self, request: Request) -> Response:
        await self._admin_delay(request)
        return JSONResponse(self.stats())

    async def _config(self, request: Request) -> Response:
        await self._admin_delay(request)
        if request.method == "POST":
            try:
                patch = json.loads(await request.body() or b"{}")
            except ValueError:
                patch = None
            if not isinstance(patch, dict):
                return JSONResponse({"error": "expected a JSON object of EmulatorConfig fields"}, status_code=400)
            try:
                self.configure(**patch)
            except ValidationError as error:
                details = json.loads(error.json(include_url=False))
                return JSONResponse({"error": "invalid config", "details": details}, status_code=400)
        return JSONResponse(self.config.model_dump(mode="json"))

    async def _reset(self, request: Request) -> Response:
        await self._admin_delay(request)
        return JSONResponse(self.reset().as_dict())

    async def _seed(self, request: Request) -> Response:
        await self._admin_delay(request)
        return JSONResponse(self.seed.as_dict())

    async def _add_partner(self, request: Request) -> Response:
        await self._admin_delay(request)
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("api_key"), str | None):
            return JSONResponse({"error": "expected {'api_key': optional string}"}, status_code=400)
        try:
            info = self.store.add_partner(body.get("api_key"))
        except ApiError as error:
            return JSONResponse({"error": error.message}, status_code=400)
        return JSONResponse(info.as_dict())


def create_app(api_keys: Sequence[str] | None = None, config: EmulatorConfig | None = None) -> EmulatorApp:
    """An emulator seeded with ``api_keys`` (one generated key if none) and ``config``."""
    return EmulatorApp(api_keys=api_keys, config=config)
