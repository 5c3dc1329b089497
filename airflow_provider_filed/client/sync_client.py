"""``FiledClient``: the blocking client (operators, sensors in poke mode), one pooled httpx client."""

from __future__ import annotations

import functools
import logging
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import httpx
import tenacity

from airflow_provider_filed.client import documents, operations
from airflow_provider_filed.client.config import FiledClientConfig
from airflow_provider_filed.client.models import (
    ConnectionFilters,
    ConnectionJob,
    CreateJobWorkArtifactsInput,
    CreateJobWorksInput,
    CreateWorkspaceInput,
    JobArtifact,
    JobWork,
    JobWorkFilters,
    Me,
    ProviderConnection,
    SortBy,
    User,
    Workspace,
)
from airflow_provider_filed.client.pagination import Pager
from airflow_provider_filed.client.retry import retry_kwargs
from airflow_provider_filed.client.transport import (
    GraphQLRequest,
    GraphQLResponse,
    Op,
    TokenCache,
    authorized,
    drive,
    interpret_response,
    request_body,
    request_headers,
    transport_error,
)

T = TypeVar("T")
log = logging.getLogger(__name__)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verified TLS context per process: loading the CA bundle costs 30-50 ms of CPU per client."""
    return httpx.create_ssl_context()


def http_timeout(config: FiledClientConfig) -> httpx.Timeout:
    return httpx.Timeout(config.timeout, connect=config.connect_timeout)


def http_limits(config: FiledClientConfig) -> httpx.Limits:
    return httpx.Limits(
        max_connections=config.max_concurrency + 2, max_keepalive_connections=config.max_concurrency + 2
    )


class FiledClient:
    """Thread-safe blocking client: auth, retries and error mapping around every documented operation."""

    def __init__(self, config: FiledClientConfig, *, on_new_token: Callable[[str], None] | None = None):
        self.config = config
        self._tokens = TokenCache(on_new_token)
        self._http = httpx.Client(timeout=http_timeout(config), limits=http_limits(config), verify=tls_context())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FiledClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, op: Op[T]) -> T:
        """Drive any operation from :mod:`operations` (or your own generator of requests)."""
        return drive(op, self._send)

    def _send(self, request: GraphQLRequest) -> GraphQLResponse:
        return drive(authorized(request, self._tokens, self.config.api_key.get_secret_value()), self._post)

    def _post(self, request: GraphQLRequest) -> GraphQLResponse:
        for attempt in tenacity.Retrying(**retry_kwargs(self.config.retry, allow_maybe_applied=request.idempotent)):
            with attempt:
                return self._post_once(request)
        raise AssertionError("unreachable")

    def _post_once(self, request: GraphQLRequest) -> GraphQLResponse:
        started = time.monotonic()
        try:
            response = self._http.post(
                self.config.url, content=request_body(request), headers=request_headers(self.config, request)
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, request.operation) from None
        log.debug("Filed %s: HTTP %d in %.3fs", request.operation, response.status_code, time.monotonic() - started)
        return interpret_response(request, response.status_code, response.headers, response.content)

    def execute(self, document: str, variables: Mapping[str, Any] | None = None) -> GraphQLResponse:
        """Send any GraphQL document with the same auth, retries and error mapping."""
        return self.run(operations.execute(document, variables))

    def me(self, workspace_ids: Sequence[str] | None = None) -> Me:
        return self.run(operations.me(workspace_ids))

    def workspaces(self, workspace_ids: Sequence[str] | None = None) -> list[Workspace]:
        return self.run(operations.workspaces(workspace_ids))

    def connections(
        self,
        workspace_id: str,
        filters: ConnectionFilters | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        sort_by: SortBy | None = None,
    ) -> list[ProviderConnection]:
        return self.run(operations.connections(workspace_id, filters, limit=limit, offset=offset, sort_by=sort_by))

    def create_workspace(self, workspace: CreateWorkspaceInput) -> Workspace:
        return self.run(operations.create_workspace(workspace))

    def add_users_to_the_workspace(self, workspace_id: str, user_emails: Sequence[str]) -> list[User]:
        return self.run(operations.add_users_to_the_workspace(workspace_id, user_emails))

    def start_provider_connection(
        self, workspace_id: str, provider_key: str, inputs: Mapping[str, Any] | None = None
    ) -> ProviderConnection:
        return self.run(operations.start_provider_connection(workspace_id, provider_key, inputs))

    def collect_provider_connection(
        self, connection_id: str, inputs: Mapping[str, Any] | None = None
    ) -> ProviderConnection:
        return self.run(operations.collect_provider_connection(connection_id, inputs))

    def create_connection_job(self, connection_id: str, job_name: str) -> ConnectionJob:
        return self.run(operations.create_connection_job(connection_id, job_name))

    def create_job_works(self, connection_job_id: str, inputs: Sequence[CreateJobWorksInput]) -> list[JobWork]:
        """One raw request; for thousands of clients, exactly once, use :func:`bulk.import_job_works`."""
        return self.run(operations.create_job_works(connection_job_id, inputs))

    def create_job_work_artifacts(
        self, job_work_id: str, inputs: Sequence[CreateJobWorkArtifactsInput]
    ) -> list[JobArtifact]:
        return self.run(operations.create_job_work_artifacts(job_work_id, inputs))

    def trigger_connection_job(
        self, connection_job_id: str, document: str = documents.TRIGGER_CONNECTION_JOB
    ) -> ConnectionJob:
        return self.run(operations.trigger_connection_job(connection_job_id, document))

    def job_works_page(
        self,
        workspace_id: str,
        connection_id: str,
        filters: JobWorkFilters | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
        sort_by: SortBy | None = None,
        selection: str = documents.JOB_WORK_FULL_SELECTION,
    ) -> list[JobWork]:
        return self.run(
            operations.job_works_page(
                workspace_id,
                connection_id,
                filters,
                offset=offset,
                limit=limit,
                sort_by=sort_by,
                selection=selection,
            )
        )

    def iter_job_work_pages(
        self,
        workspace_id: str,
        connection_id: str,
        filters: JobWorkFilters | None = None,
        *,
        selection: str = documents.JOB_WORK_FULL_SELECTION,
        page_size: int | None = None,
    ) -> Iterator[list[JobWork]]:
        """Pages of ``jobWorks`` in a stable order, one page in memory, until a short page."""
        pager = Pager(limit=page_size or self.config.page_size)
        while True:
            page = self.job_works_page(
                workspace_id,
                connection_id,
                filters,
                offset=pager.offset,
                limit=pager.limit,
                selection=selection,
            )
            yield page
            if not pager.advance(len(page)):
                return

    def iter_job_works(
        self,
        workspace_id: str,
        connection_id: str,
        filters: JobWorkFilters | None = None,
        *,
        selection: str = documents.JOB_WORK_FULL_SELECTION,
    ) -> Iterator[JobWork]:
        for page in self.iter_job_work_pages(workspace_id, connection_id, filters, selection=selection):
            yield from page
