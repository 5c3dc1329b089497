"""One run's report: what the plan found, what the batches created, what Filed made of it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, Field

IDS_SHOWN = 20


class ImportReport(BaseModel):
    """JSON-safe summary of a run: created / skipped / unattachable, and Filed's verdict on each work."""

    connection_job_id: str | None
    clients: int
    documents: int
    nothing_to_import: bool
    works_created: int
    works_already_present: int
    skipped_existing: int
    skipped_external_ids: list[str] = Field(default_factory=list)
    documents_attached: int
    documents_already_present: int
    unattachable: int
    unattachable_external_ids: list[str] = Field(default_factory=list)
    works_total: int
    works_completed: int
    works_failed: int
    works_by_status: dict[str, int] = Field(default_factory=dict)
    artifacts_by_status: dict[str, int] = Field(default_factory=dict)
    failed_external_ids: list[str] = Field(default_factory=list)
    failed_works: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def imported_anything(self) -> bool:
        return self.works_created > 0 or self.documents_attached > 0

    def describe(self) -> str:
        if self.nothing_to_import:
            return (
                f"Filed import: nothing new — {self.clients:,} clients and {self.documents:,} documents in the export, "
                f"{self.skipped_existing:,} clients already imported, {self.unattachable:,} documents unattachable; "
                "no connection job opened"
            )
        return (
            f"Filed import into connection job {self.connection_job_id}: {self.clients:,} clients in the export, "
            f"{self.works_created:,} works created ({self.works_already_present:,} already there, "
            f"{self.skipped_existing:,} skipped as imported earlier), {self.works_completed:,} completed, "
            f"{self.works_failed:,} failed; {self.documents_attached:,} documents attached "
            f"({self.documents_already_present:,} already there, {self.unattachable:,} unattachable)"
        )


def _total(results: Iterable[Mapping[str, Any] | None], key: str) -> int:
    return sum(int(r.get(key) or 0) for r in results if r)


def _first_ids(*lists: Iterable[str]) -> list[str]:
    ids: list[str] = []
    for values in lists:
        ids += [v for v in values if v not in ids][: IDS_SHOWN - len(ids)]
    return ids


def build_report(
    plan: Mapping[str, Any],
    works: Iterable[Mapping[str, Any] | None],
    artifacts: Iterable[Mapping[str, Any] | None],
    progress: Mapping[str, Any] | None,
    connection_job_id: str | None,
) -> ImportReport:
    """Combine the plan, the mapped tasks' results and the sensor's last summary (any may be absent)."""
    works, artifacts, progress = list(works), list(artifacts), progress or {}
    return ImportReport(
        connection_job_id=connection_job_id,
        clients=int(plan.get("clients", 0)),
        documents=int(plan.get("documents", 0)),
        nothing_to_import=bool(plan.get("nothing_to_import")),
        works_created=_total(works, "created"),
        works_already_present=_total(works, "already_present") + int(plan.get("in_open_job", 0)),
        skipped_existing=int(plan.get("skipped_existing", 0)) + _total(works, "skipped_existing"),
        skipped_external_ids=_first_ids(
            plan.get("skipped_external_ids", []), *(w.get("skipped_external_ids", []) for w in works if w)
        ),
        documents_attached=_total(artifacts, "created"),
        documents_already_present=int(plan.get("documents_already_present", 0)) + _total(artifacts, "already_present"),
        unattachable=int(plan.get("unattachable", 0)) + _total(artifacts, "unattachable"),
        unattachable_external_ids=_first_ids(
            plan.get("unattachable_external_ids", []), *(a.get("unattachable_external_ids", []) for a in artifacts if a)
        ),
        works_total=int(progress.get("total", 0)),
        works_completed=int(progress.get("succeeded", 0)),
        works_failed=int(progress.get("failed", 0)),
        works_by_status=dict(progress.get("works_by_status", {})),
        artifacts_by_status=dict(progress.get("artifacts_by_status", {})),
        failed_external_ids=list(progress.get("failed_external_ids", []))[:IDS_SHOWN],
        failed_works=list(progress.get("failed_works", [])),
    )
