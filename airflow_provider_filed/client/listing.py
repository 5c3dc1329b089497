"""Reading ``jobWorks`` to its end: several pages per request (aliases), requests in flight at once.

One listing serves every reader (the sensor's poll, exactly-once reconciliation, the public client
methods) on both clients: it is an operation like any other, so sync and async share it whole.
Rows stay plain JSON (``dict``): counting and matching them needs no model per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from airflow_provider_filed.client import documents
from airflow_provider_filed.client.errors import FiledNotFoundError
from airflow_provider_filed.client.models import JobWork, JobWorkFilters
from airflow_provider_filed.client.pagination import Pager, Paging
from airflow_provider_filed.client.transport import Fanout, GraphQLRequest, GraphQLResponse, Op

Row = dict[str, Any]


class JobWorksScope(BaseModel):
    """Which job works a listing reads: a provider connection's, narrowed by ``filters``."""

    model_config = ConfigDict(frozen=True)

    workspace_id: str
    connection_id: str
    filters: JobWorkFilters | None = None


def _pages_request(
    scope: JobWorksScope, paging: Paging, selection: str, limit: int, offsets: Sequence[int]
) -> GraphQLRequest:
    variables: dict[str, Any] = {
        "workspaceId": scope.workspace_id,
        "connectionId": scope.connection_id,
        "filters": scope.filters,
        "limit": limit,
        **{f"o{i}": offset for i, offset in enumerate(offsets)},
    }
    if paging.sort_by is not None:
        variables["sortBy"] = dict(paging.sort_by)
    document = documents.job_works_query(selection, len(offsets), sort_by=paging.sort_by is not None)
    return GraphQLRequest(document, variables, "jobWorks")


def visible_one(items: Any, kind: str, wanted: str) -> Mapping[str, Any]:
    """The one object a by-id filter selected; Filed answers an unknown or foreign id with an empty list."""
    if not items:
        raise FiledNotFoundError(f"{kind} {wanted!r} does not exist or is not visible to this API key")
    first: Mapping[str, Any] = items[0]
    return first


def _pages(response: GraphQLResponse, scope: JobWorksScope, count: int) -> list[list[Row]]:
    me = response.require("me")
    connection = visible_one(
        visible_one(me["workspaces"], "workspace", scope.workspace_id)["connections"],
        "provider connection",
        scope.connection_id,
    )
    return [list(connection[f"p{i}"] or []) for i in range(count)]


def list_job_works(
    scope: JobWorksScope,
    paging: Paging,
    on_rows: Callable[[list[Row]], None],
    *,
    selection: str,
    expected: int | None = None,
) -> Op[int]:
    """Read every job work in ``scope`` to an empty page, handing each new row (by distinct ``id``) to ``on_rows``.

    The first request reads ``pages_per_request`` pages (and probes ``expected``, if given); while the end
    is not reached, each round sends twice as many requests at once, up to ``max_concurrency``.
    Returns the distinct count.
    """
    pager = Pager(paging.page_size, width=paging.pages_per_request, expected=expected)
    seen: set[str] = set()
    in_flight = 1
    while plan := pager.plan(in_flight):
        limit = pager.limit
        requests = [_pages_request(scope, paging, selection, limit, offsets) for offsets in plan]
        answers = [(yield requests[0])] if len(requests) == 1 else list((yield Fanout(requests)))
        for offsets, answer in zip(plan, answers, strict=True):
            pages = _pages(answer, scope, len(offsets))
            pager.record(offsets, [len(page) for page in pages])
            for page in pages:
                fresh = [row for row in page if row["id"] not in seen]
                if fresh:
                    seen.update(row["id"] for row in fresh)
                    on_rows(fresh)
        in_flight = min(2 * in_flight, paging.max_concurrency)
    return len(seen)


def all_job_works(
    scope: JobWorksScope, paging: Paging, *, selection: str, expected: int | None = None
) -> Op[list[JobWork]]:
    """Every job work in ``scope`` as models (for small reads; large ones should consume rows as they come)."""
    rows: list[Row] = []
    yield from list_job_works(scope, paging, rows.extend, selection=selection, expected=expected)
    return [JobWork.model_validate(row) for row in rows]
