"""``FiledClient``: the blocking client (operators, sensors in poke mode), one pooled httpx client."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import tenacity

from airflow_provider_filed.client import documents, models, operations, transport
from airflow_provider_filed.client.config import FiledClientConfig
from airflow_provider_filed.client.listing import JobWorksScope, all_job_works
from airflow_provider_filed.client.retry import retry_budget, retry_kwargs
from airflow_provider_filed.client.transport import Fanout, GraphQLRequest, GraphQLResponse, Op

T = TypeVar("T")
log = logging.getLogger(__name__)


class FiledClient(transport.ClientCore):
    """Thread-safe blocking client: auth, retries and error mapping around every documented operation."""

    def __init__(self, config: FiledClientConfig, *, on_new_token: Callable[[str], None] | None = None):
        super().__init__(config, on_new_token=on_new_token)
        self._login_lock = threading.Lock()
        self._http = httpx.Client(**transport.http_options(config))
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def __enter__(self) -> FiledClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, op: Op[T]) -> T:
        """Drive any operation from :mod:`operations` (or your own generator of requests), on one retry budget."""
        with retry_budget(self.config.retry):
            return transport.drive(op, self._send, self._send_concurrently)

    def _send(self, request: GraphQLRequest) -> GraphQLResponse:
        return transport.drive(self._authorized(request), self._post, _no_fanout)

    def _send_concurrently(self, requests: Fanout) -> tuple[GraphQLResponse, ...]:
        """Up to ``max_concurrency`` requests in flight; the first error is raised once all have ended."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.config.max_concurrency, thread_name_prefix="filed-read")
        futures = [self._pool.submit(contextvars.copy_context().run, self._send, r) for r in requests]
        return tuple(f.result() for f in futures)

    def _post(self, request: GraphQLRequest) -> GraphQLResponse:
        if request.login_after is not None:
            with self._login_lock:
                return self._tokens.fresher_than(request) or self._tokens.remember(self._post_retried(request))
        return self._post_retried(request)

    def _post_retried(self, request: GraphQLRequest) -> GraphQLResponse:
        with retry_budget(self.config.retry) as budget:
            retrying = retry_kwargs(self.config.retry, budget, allow_maybe_applied=request.idempotent)
            for attempt in tenacity.Retrying(**retrying):
                with attempt:
                    return self._post_once(request)
        raise AssertionError("unreachable")

    def _post_once(self, request: GraphQLRequest) -> GraphQLResponse:
        started = time.monotonic()
        try:
            response = self._http.post(**transport.post_arguments(self.config, request))
        except httpx.HTTPError as exc:
            raise transport.transport_error(exc, request.operation) from None
        return transport.answer_of(request, response, started)

    def execute(self, document: str, variables: Mapping[str, Any] | None = None) -> GraphQLResponse:
        """Send any GraphQL document with the same auth, retries and error mapping."""
        return self.run(operations.execute(document, variables))

    def me(self, workspace_ids: Sequence[str] | None = None) -> models.Me:
        return self.run(operations.me(workspace_ids))

    def workspaces(self, workspace_ids: Sequence[str] | None = None) -> list[models.Workspace]:
        return self.run(operations.workspaces(workspace_ids))

    def connections(
        self,
        workspace_id: str,
        filters: models.ConnectionFilters | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        sort_by: Mapping[str, Any] | None = None,
    ) -> list[models.ProviderConnection]:
        """One page of the workspace's provider connections; ``sort_by`` is sent as given (its shape is Filed's)."""
        return self.run(operations.connections(workspace_id, filters, limit=limit, offset=offset, sort_by=sort_by))

    def create_workspace(self, workspace: models.CreateWorkspaceInput) -> models.Workspace:
        return self.run(operations.create_workspace(workspace))

    def add_users_to_the_workspace(self, workspace_id: str, user_emails: Sequence[str]) -> list[models.User]:
        return self.run(operations.add_users_to_the_workspace(workspace_id, user_emails))

    def start_provider_connection(
        self, workspace_id: str, provider_key: str, inputs: Mapping[str, Any] | None = None
    ) -> models.ProviderConnection:
        return self.run(operations.start_provider_connection(workspace_id, provider_key, inputs))

    def collect_provider_connection(
        self, connection_id: str, inputs: Mapping[str, Any] | None = None
    ) -> models.ProviderConnection:
        return self.run(operations.collect_provider_connection(connection_id, inputs))

    def create_connection_job(self, connection_id: str, job_name: str) -> models.ConnectionJob:
        return self.run(operations.create_connection_job(connection_id, job_name))

    def create_job_works(
        self, connection_job_id: str, inputs: Sequence[models.CreateJobWorksInput]
    ) -> list[models.JobWork]:
        """One raw request; for thousands of clients, exactly once, use :func:`bulk.import_job_works`."""
        return self.run(operations.create_job_works(connection_job_id, inputs))

    def create_job_work_artifacts(
        self, job_work_id: str, inputs: Sequence[models.CreateJobWorkArtifactsInput]
    ) -> list[models.JobArtifact]:
        return self.run(operations.create_job_work_artifacts(job_work_id, inputs))

    def trigger_connection_job(
        self, connection_job_id: str, document: str = documents.TRIGGER_CONNECTION_JOB
    ) -> models.ConnectionJob:
        return self.run(operations.trigger_connection_job(connection_job_id, document))

    def job_works(
        self,
        workspace_id: str,
        connection_id: str,
        filters: models.JobWorkFilters | None = None,
        *,
        selection: str = documents.JOB_WORK_FULL_SELECTION,
        expected: int | None = None,
    ) -> list[models.JobWork]:
        """Every job work of the provider connection (narrowed by ``filters``), read to an empty page."""
        return self.run(
            all_job_works(
                JobWorksScope(workspace_id=workspace_id, connection_id=connection_id, filters=filters),
                self.config.paging,
                selection=selection,
                expected=expected,
            )
        )


def _no_fanout(requests: Fanout) -> tuple[GraphQLResponse, ...]:
    raise AssertionError("authorized() sends one request at a time")
