"""``AsyncFiledClient``: the non-blocking client for triggers. It reads; it is never used to write.

It drives the same operations as the blocking client. Everything CPU-bound — parsing a response,
stepping an operation (which tallies its rows) — runs in a worker thread, so a 1,000-row page never
blocks the triggerer's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import tenacity

from airflow_provider_filed.client import transport
from airflow_provider_filed.client.config import FiledClientConfig
from airflow_provider_filed.client.errors import FiledError
from airflow_provider_filed.client.retry import retry_budget, retry_kwargs
from airflow_provider_filed.client.transport import Fanout, GraphQLRequest, GraphQLResponse, Op, Stepper

T = TypeVar("T")
log = logging.getLogger(__name__)


class AsyncFiledClient(transport.ClientCore):
    """Every operation in :mod:`operations` can be awaited through :meth:`run`."""

    def __init__(self, config: FiledClientConfig, *, on_new_token: Callable[[str], None] | None = None):
        super().__init__(config, on_new_token=on_new_token)
        self._login_lock: asyncio.Lock | None = None
        self._http = httpx.AsyncClient(**transport.http_options(config))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncFiledClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def run(self, op: Op[T]) -> T:
        """Drive ``op`` on one retry budget: requests are awaited, each step of the operation runs in a worker thread."""
        with retry_budget(self.config.retry):
            return await self._drive(op, self._send)

    async def _drive(self, op: Op[T], send: Callable[[GraphQLRequest], Awaitable[GraphQLResponse]]) -> T:
        step = await asyncio.to_thread(Stepper, op)
        while not step.done:
            ask = step.ask
            try:
                if isinstance(ask, Fanout):
                    answer: GraphQLResponse | tuple[GraphQLResponse, ...] = tuple(
                        await asyncio.gather(*(send(r) for r in ask))
                    )
                else:
                    answer = await send(ask)  # type: ignore[arg-type]
            except FiledError as exc:
                await asyncio.to_thread(step.fail, exc)
            else:
                await asyncio.to_thread(step.answer, answer)
        return step.result  # type: ignore[return-value]

    async def _send(self, request: GraphQLRequest) -> GraphQLResponse:
        return await self._drive(self._authorized(request), self._post)

    async def _post(self, request: GraphQLRequest) -> GraphQLResponse:
        if request.login_after is None:
            return await self._post_retried(request)
        if self._login_lock is None:
            self._login_lock = asyncio.Lock()
        async with self._login_lock:
            return self._tokens.fresher_than(request) or self._tokens.remember(await self._post_retried(request))

    async def _post_retried(self, request: GraphQLRequest) -> GraphQLResponse:
        with retry_budget(self.config.retry) as budget:
            retrying = retry_kwargs(self.config.retry, budget, allow_maybe_applied=request.idempotent)
            async for attempt in tenacity.AsyncRetrying(**retrying):
                with attempt:
                    return await self._post_once(request)
        raise AssertionError("unreachable")

    async def _post_once(self, request: GraphQLRequest) -> GraphQLResponse:
        started = time.monotonic()
        try:
            response = await self._http.post(**transport.post_arguments(self.config, request))
        except httpx.HTTPError as exc:
            raise transport.transport_error(exc, request.operation) from None
        return await asyncio.to_thread(transport.answer_of, request, response, started)
