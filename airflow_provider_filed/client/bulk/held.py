"""What Filed already holds for an import: each client's work, its connection job and its artifacts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from pydantic import BaseModel

from airflow_provider_filed.client import documents
from airflow_provider_filed.client.listing import JobWorksScope, Row, list_job_works
from airflow_provider_filed.client.models import JobWorkFilters
from airflow_provider_filed.client.sync_client import FiledClient

ProgressCallback = Callable[[int, int], None]
#: How many ids a message or a result names (the rest are counted).
IDS_SHOWN = 20


class ConnectionJobTarget(BaseModel):
    """Where the import goes: the workspace and provider connection that own the connection job."""

    workspace_id: str
    connection_id: str
    connection_job_id: str

    def scope(self, *, job_only: bool, job_work_ids: Sequence[str] | None = None) -> JobWorksScope:
        filters = JobWorkFilters(
            connection_job_ids=[self.connection_job_id] if job_only else None,
            ids=list(job_work_ids) if job_work_ids else None,
        )
        return JobWorksScope(workspace_id=self.workspace_id, connection_id=self.connection_id, filters=filters)


class HeldWork(NamedTuple):
    """A client's work as Filed holds it: its job work, the connection job it is in, its artifacts."""

    job_work_id: str
    connection_job_id: str | None
    artifacts: frozenset[str]


def read_held_works(
    client: FiledClient,
    target: ConnectionJobTarget,
    *,
    job_only: bool,
    with_artifacts: bool = False,
    job_work_ids: Sequence[str] | None = None,
) -> dict[str, HeldWork]:
    """client externalId → its work, as Filed holds it on the provider connection (or in the target job).

    One listing, minimal selection, pages read several per request and requests in flight at once. A
    client held twice (a Filed that does not enforce uniqueness) resolves to its work in the target job.
    """
    held: dict[str, HeldWork] = {}

    def keep(rows: list[Row]) -> None:
        for row in rows:
            external_id = (row.get("work") or {}).get("externalId") or row["id"]
            artifacts = frozenset(
                link["workArtifact"]["externalId"]
                for link in row.get("jobWorkArtifacts") or ()
                if (link.get("workArtifact") or {}).get("externalId")
            )
            work = HeldWork(row["id"], row.get("connectionJobId"), artifacts)
            known = held.get(external_id)
            if known is None or (
                work.connection_job_id == target.connection_job_id
                and known.connection_job_id != target.connection_job_id
            ):
                held[external_id] = work

    selection = (
        documents.JOB_WORK_ARTIFACT_IDS_SELECTION if with_artifacts else documents.JOB_WORK_EXTERNAL_ID_SELECTION
    )
    scope = target.scope(job_only=job_only, job_work_ids=job_work_ids)
    expected = len(set(job_work_ids)) if job_work_ids else None
    client.run(list_job_works(scope, client.config.paging, keep, selection=selection, expected=expected))
    return held


def first_ids(ids: Sequence[str]) -> str:
    more = f" (and {len(ids) - IDS_SHOWN:,} more)" if len(ids) > IDS_SHOWN else ""
    return ", ".join(ids[:IDS_SHOWN]) + more


@dataclass
class BulkImport:
    """What both bulk imports share: the client, the target job, progress reporting, a lock for results."""

    client: FiledClient
    target: ConnectionJobTarget
    on_progress: ProgressCallback | None = field(default=None, kw_only=True)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def report_progress(self, done: int, total: int) -> None:
        if self.on_progress:
            self.on_progress(done, total)
