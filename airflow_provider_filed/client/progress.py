"""Progress of job works, counted as the rows arrive, so a 10,000-work poll holds a few pages in memory at most."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from airflow_provider_filed.client import documents
from airflow_provider_filed.client.listing import JobWorksScope, Row, all_job_works, list_job_works
from airflow_provider_filed.client.models import JobWork, JobWorkFilters
from airflow_provider_filed.client.pagination import Paging
from airflow_provider_filed.client.statuses import Outcome, StatusSets
from airflow_provider_filed.client.transport import Op

FAILURES_NAMED = 20
FAILED_IDS_KEPT = 1000


class FailedWork(BaseModel):
    external_id: str
    job_work_id: str
    status: str
    reason: str


Verdict = Literal["success", "failed", "waiting"]


class JobWorksSummary(BaseModel):
    """What one poll saw: counts by status, the failures, and whether everything is terminal.

    ``total`` counts distinct job works. ``expected`` (when known) is how many the import created:
    fewer seen is never success, and none at all fails unless none were expected.
    """

    scope: str = "the job works"
    total: int = 0
    expected: int | None = None
    succeeded: int = 0
    failed: int = 0
    in_progress: int = 0
    works_by_status: dict[str, int] = Field(default_factory=dict)
    artifacts_by_status: dict[str, int] = Field(default_factory=dict)
    failed_external_ids: list[str] = Field(default_factory=list)
    failed_works: list[FailedWork] = Field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.in_progress == 0 and self.total >= (self.expected or 0)

    @property
    def percent_done(self) -> float:
        of = max(self.total, self.expected or 0)
        return 100.0 * (self.total - self.in_progress) / of if of else 100.0

    def verdict(self, max_failed: float) -> Verdict:
        """Failed when nothing is there to wait for, or as soon as failures exceed the tolerance (they never
        recover); success once every expected work is seen and terminal."""
        if self.total == 0:
            return "success" if self.expected == 0 else "failed"
        if self.failed > allowed_failures(max_failed, max(self.total, self.expected or 0)):
            return "failed"
        return "success" if self.done else "waiting"

    def failure_message(self) -> str:
        """Why a ``failed`` verdict failed, in words a person acts on."""
        if self.total == 0:
            return f"{self.scope} has no job works: a wrong id, or nothing was created in it"
        return f"{self.failed:,} job works failed:\n{self.failure_report()}"

    def describe(self) -> str:
        counts = ", ".join(f"{status}={n:,}" for status, n in sorted(self.works_by_status.items())) or "no works"
        seen = f"{self.total:,} job works"
        if self.expected is not None and self.total < self.expected:
            seen += f" of {self.expected:,} expected"
        line = f"{seen}, {self.percent_done:.1f}% done ({counts})"
        if self.artifacts_by_status:
            line += "; artifacts " + ", ".join(f"{s}={n:,}" for s, n in sorted(self.artifacts_by_status.items()))
        return line

    def failure_report(self) -> str:
        shown = "\n".join(
            f"  {w.external_id} (job work {w.job_work_id}, {w.status}): {w.reason}" for w in self.failed_works
        )
        more = self.failed - len(self.failed_works)
        return shown + (f"\n  ... and {more:,} more" if more > 0 else "")


def allowed_failures(max_failed: float, total: int) -> int:
    """``max_failed`` is a count (>= 1) or a fraction of the works (< 1)."""
    if max_failed < 0:
        raise ValueError("max_failed must be >= 0")
    return int(max_failed * total) if 0 < max_failed < 1 else int(max_failed)


def artifact_reason(metadata: Any) -> str | None:
    if isinstance(metadata, dict):
        for key in ("reason", "error", "message"):
            if metadata.get(key):
                return str(metadata[key])
        return json.dumps(metadata, sort_keys=True) if metadata else None
    return str(metadata) if metadata else None


def _status(item: Any) -> str:
    return str((item or {}).get("status") or "unknown")


class _Tally:
    """Counts rows of a listing as they come (plain JSON rows: no model per row)."""

    def __init__(self, statuses: StatusSets, include_artifacts: bool, summary: JobWorksSummary):
        self.statuses = statuses
        self.include_artifacts = include_artifacts
        self.summary = summary
        self.works: Counter[str] = Counter()
        self.artifacts: Counter[str] = Counter()
        self.failed_ids: list[str] = []

    def add(self, rows: list[Row]) -> None:
        for row in rows:
            self._add(row)

    def _add(self, row: Row) -> None:
        work = row.get("work") or {}
        work_status = _status(work)
        self.works[work_status.lower()] += 1
        outcomes = {self.statuses.outcome(work_status)}
        if self.include_artifacts:
            for link in row.get("jobWorkArtifacts") or []:
                status = _status(link.get("workArtifact"))
                self.artifacts[status.lower()] += 1
                outcomes.add(self.statuses.outcome(status))
        outcome = next(o for o in (Outcome.IN_PROGRESS, Outcome.FAILURE, Outcome.SUCCESS) if o in outcomes)
        s = self.summary
        s.total += 1
        if outcome is Outcome.SUCCESS:
            s.succeeded += 1
        elif outcome is Outcome.FAILURE:
            s.failed += 1
            if len(self.failed_ids) < FAILED_IDS_KEPT:
                self.failed_ids.append(row["id"])
                s.failed_external_ids.append(work.get("externalId") or row["id"])
        else:
            s.in_progress += 1


def job_works_progress(
    workspace_id: str,
    connection_id: str,
    *,
    connection_job_id: str | None = None,
    job_work_ids: Sequence[str] | None = None,
    statuses: StatusSets | None = None,
    include_artifacts: bool = False,
    expected: int | None = None,
    paging: Paging | None = None,
) -> Op[JobWorksSummary]:
    """One poll: read every job work in scope with a minimal selection, then name up to 20 failures."""
    filters = JobWorkFilters(
        connection_job_ids=[connection_job_id] if connection_job_id else None,
        ids=list(job_work_ids) if job_work_ids else None,
    )
    scope = JobWorksScope(workspace_id=workspace_id, connection_id=connection_id, filters=filters)
    paging = paging or Paging()
    selection = (
        documents.JOB_WORK_ARTIFACT_STATUS_SELECTION if include_artifacts else documents.JOB_WORK_STATUS_SELECTION
    )
    label = f"connection job {connection_job_id!r}" if connection_job_id else f"the {len(job_work_ids or ())} job works"
    tally = _Tally(statuses or StatusSets(), include_artifacts, JobWorksSummary(scope=label, expected=expected))
    yield from list_job_works(scope, paging, tally.add, selection=selection, expected=expected)
    summary = tally.summary
    summary.works_by_status = dict(tally.works)
    summary.artifacts_by_status = dict(tally.artifacts)
    if tally.failed_ids:
        named = tally.failed_ids[:FAILURES_NAMED]
        details = yield from all_job_works(
            JobWorksScope(workspace_id=workspace_id, connection_id=connection_id, filters=JobWorkFilters(ids=named)),
            paging,
            selection=documents.JOB_WORK_FAILURE_SELECTION,
            expected=len(named),
        )
        summary.failed_works = [_failed_work(w, tally.statuses) for w in details]
    return summary


def _failed_work(job_work: JobWork, statuses: StatusSets) -> FailedWork:
    reasons = [
        f"{a.work_artifact.external_id}: {artifact_reason(a.work_artifact.metadata) or a.work_artifact.status}"
        for a in job_work.job_work_artifacts or []
        if a.work_artifact and statuses.outcome(a.work_artifact.status) is Outcome.FAILURE
    ]
    work = job_work.work
    status = (work.status if work else None) or "unknown"
    return FailedWork(
        external_id=(work.external_id if work else None) or job_work.id,
        job_work_id=job_work.id,
        status=status,
        reason="; ".join(reasons) or f"work status {status!r}",
    )
