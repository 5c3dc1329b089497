"""Read-only snapshots of a workspace and of one connection job, for the emulator's app pages."""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_filed.emulator.models import (
    ARTIFACT_ERROR,
    ARTIFACT_TERMINATED,
    ConnectionJob,
    WorkArtifact,
    Workspace,
    cased,
)
from airflow_provider_filed.emulator.store.state import StoreState

#: The slug Filed's deep links use when the workspace is not known (``/w/redirect/...``): any workspace.
ANY_WORKSPACE = "redirect"


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """One work artifact as the job page lists it."""

    name: str
    type: str
    status: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class WorkRow:
    """One job work (a client) with its documents."""

    name: str
    external_id: str
    status: str
    documents: tuple[DocumentRow, ...]


@dataclass(frozen=True, slots=True)
class JobSummary:
    """A connection job as a line of the workspace page."""

    id: str
    name: str
    status: str
    works: int
    documents: int
    created_at: float


@dataclass(frozen=True, slots=True)
class JobView:
    """A connection job, its first ``limit`` works and the counts of all of them."""

    workspace_name: str
    workspace_slug: str
    connection_id: str
    job: JobSummary
    works: tuple[WorkRow, ...]
    work_statuses: dict[str, int]
    document_statuses: dict[str, int]


@dataclass(frozen=True, slots=True)
class WorkspaceView:
    """A workspace and its connection jobs, newest first."""

    name: str
    slug: str
    jobs: tuple[JobSummary, ...]


def _counted(statuses: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


def _document(artifact: WorkArtifact, case: str) -> DocumentRow:
    status = artifact.status
    reason = artifact.failure_reason if status in (ARTIFACT_ERROR, ARTIFACT_TERMINATED) else None
    return DocumentRow(artifact.name, artifact.type, cased(status, case), reason)


class Views(StoreState):
    """What the app pages show, read under the store's lock (no partner check: the pages are local only)."""

    def _workspace_by_slug(self, slug: str) -> Workspace | None:
        workspaces = sorted(self._workspaces.values(), key=lambda w: w.seq)
        if slug == ANY_WORKSPACE:
            return workspaces[0] if workspaces else None
        return next((w for w in workspaces if w.slug == slug), None)

    def _summary(self, job: ConnectionJob, case: str) -> JobSummary:
        return JobSummary(
            job.id, job.name, cased(job.status, case), len(job.job_works), job.artifact_count, job.createdAt
        )

    def workspace_view(self, slug: str, case: str = "lower") -> WorkspaceView | None:
        """The workspace named by ``slug`` (``redirect``: the first one) and its jobs; None if unknown."""
        with self._lock:
            workspace = self._workspace_by_slug(slug)
            if workspace is None:
                return None
            jobs = [job for job in self._jobs.values() if job.workspaceId == workspace.id]
            summaries = tuple(self._summary(job, case) for job in sorted(jobs, key=lambda j: -j.seq))
            return WorkspaceView(workspace.displayName, workspace.slug, summaries)

    def job_view(self, slug: str, job_id: str, case: str = "lower", limit: int = 1000) -> JobView | None:
        """The job ``job_id`` of the workspace ``slug`` (``redirect``: any), its first ``limit`` works; None if unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            workspace = self._workspaces.get(job.workspaceId) if job is not None else None
            if job is None or workspace is None or slug not in (workspace.slug, ANY_WORKSPACE):
                return None
            rows: list[WorkRow] = []
            document_statuses: list[str] = []
            for job_work in job.job_works:
                documents = tuple(_document(link.workArtifact, case) for link in job_work.jobWorkArtifacts)
                document_statuses += [document.status for document in documents]
                if len(rows) < limit:
                    work = job_work.work
                    rows.append(WorkRow(work.name, work.externalId, cased(work.status, case), documents))
            return JobView(
                workspace.displayName,
                workspace.slug,
                job.connectionId,
                self._summary(job, case),
                tuple(rows),
                _counted([cased(jw.work.status, case) for jw in job.job_works]),
                _counted(document_statuses),
            )
