"""``AsyncFiledClient``: the non-blocking client for triggers. It reads; it is never used to write."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import httpx
import tenacity

from airflow_provider_filed.client import documents, operations
from airflow_provider_filed.client.config import FiledClientConfig
from airflow_provider_filed.client.errors import FiledError
from airflow_provider_filed.client.models import JobWork, JobWorkFilters
from airflow_provider_filed.client.pagination import Pager
from airflow_provider_filed.client.retry import retry_kwargs
from airflow_provider_filed.client.sync_client import http_limits, http_timeout, tls_context
from airflow_provider_filed.client.transport import (
    GraphQLRequest,
    GraphQLResponse,
    Op,
    TokenCache,
    authorized,
    interpret_response,
    request_body,
    request_headers,
    transport_error,
)

T = TypeVar("T")
log = logging.getLogger(__name__)


async def adrive(op: Op[T], send: Callable[[GraphQLRequest], Awaitable[GraphQLResponse]]) -> T:
    """``transport.drive`` for coroutines: the same operations, awaited."""
    try:
        request = next(op)
        while True:
            try:
                response = await send(request)
            except FiledError as exc:
                request = op.throw(exc)
            else:
                request = op.send(response)
    except StopIteration as stop:
        return stop.value


class AsyncFiledClient:
    """Every operation in :mod:`operations` can be awaited through :meth:`run`."""

    def __init__(self, config: FiledClientConfig, *, on_new_token: Callable[[str], None] | None = None):
        self.config = config
        self._tokens = TokenCache(on_new_token)
        self._http = httpx.AsyncClient(timeout=http_timeout(config), limits=http_limits(config), verify=tls_context())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncFiledClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def run(self, op: Op[T]) -> T:
        return await adrive(op, self._send)

    async def _send(self, request: GraphQLRequest) -> GraphQLResponse:
        return await adrive(authorized(request, self._tokens, self.config.api_key.get_secret_value()), self._post)

    async def _post(self, request: GraphQLRequest) -> GraphQLResponse:
        async for attempt in tenacity.AsyncRetrying(
            **retry_kwargs(self.config.retry, allow_maybe_applied=request.idempotent)
        ):
            with attempt:
                return await self._post_once(request)
        raise AssertionError("unreachable")

    async def _post_once(self, request: GraphQLRequest) -> GraphQLResponse:
        started = time.monotonic()
        try:
            response = await self._http.post(
                self.config.url, content=request_body(request), headers=request_headers(self.config, request)
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, request.operation) from None
        log.debug("Filed %s: HTTP %d in %.3fs", request.operation, response.status_code, time.monotonic() - started)
        return interpret_response(request, response.status_code, response.headers, response.content)

    async def iter_job_work_pages(
        self,
        workspace_id: str,
        connection_id: str,
        filters: JobWorkFilters | None = None,
        *,
        selection: str = documents.JOB_WORK_FULL_SELECTION,
        page_size: int | None = None,
    ) -> AsyncIterator[list[JobWork]]:
        """Pages of ``jobWorks``, one in memory, until a short page."""
        pager = Pager(limit=page_size or self.config.page_size)
        while True:
            page = await self.run(
                operations.job_works_page(
                    workspace_id,
                    connection_id,
                    filters,
                    offset=pager.offset,
                    limit=pager.limit,
                    selection=selection,
                )
            )
            yield page
            if not pager.advance(len(page)):
                return
