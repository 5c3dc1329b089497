"""Creating one list of clients as job works in a connection job, exactly once per externalId."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import tenacity
from pydantic import Field

from airflow_provider_filed.client import operations
from airflow_provider_filed.client.bulk.batches import ImportResult, batched, run_reported
from airflow_provider_filed.client.bulk.held import IDS_SHOWN, BulkImport, HeldWork, first_ids, read_held_works
from airflow_provider_filed.client.errors import FiledConflictError, FiledInputError
from airflow_provider_filed.client.inputs import duplicate_external_ids
from airflow_provider_filed.client.models import CreateJobWorksInput
from airflow_provider_filed.client.retry import reconcile_retry_kwargs, retry_budget

log = logging.getLogger(__name__)

#: What to do with clients that already have a work on the provider connection, in another connection job.
OnExisting = Literal["skip", "fail"]
#: Where to look for what Filed holds before writing: the whole provider connection, this job, or nowhere.
ExistingScope = Literal["connection", "job", "none"]


class JobWorksImportResult(ImportResult):
    """JSON-safe outcome: the job work id of every client in this job, and what was new, there, or skipped."""

    skipped_existing: int = Field(default=0, description="already imported by another connection job")
    skipped_external_ids: list[str] = Field(default_factory=list, description=f"the first {IDS_SHOWN}")
    job_work_ids: dict[str, str] = Field(
        default_factory=dict, description="client externalId -> job work id, for clients in this job"
    )


@dataclass
class JobWorksImport(BulkImport):
    """Creates one list of clients as job works in a connection job, exactly once per externalId."""

    on_existing: OnExisting = field(default="skip", kw_only=True)
    _ids: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _skipped: list[str] = field(default_factory=list, init=False, repr=False)
    _found_in_job: int = field(default=0, init=False, repr=False)

    def held(self, scope: ExistingScope) -> dict[str, HeldWork]:
        if scope == "none":
            return {}
        return read_held_works(self.client, self.target, job_only=scope == "job")

    def run(
        self,
        inputs: Sequence[CreateJobWorksInput],
        *,
        existing: ExistingScope = "connection",
        batch_size: int | None = None,
        max_concurrency: int | None = None,
    ) -> JobWorksImportResult:
        """Create what Filed lacks. ``existing`` says where to read first: ``"connection"`` (any connection
        job: clients there are skipped or refused by ``on_existing``), ``"job"`` (this job only, for a
        retry when an upstream step already excluded the others), or ``"none"`` (a first attempt after such
        a step: anything already there then surfaces as a ``CONFLICT``, or is absent)."""
        problems = duplicate_external_ids(w.external_id for w in inputs)
        if problems:
            raise FiledInputError(problems, source="works")
        held = self.held(existing)
        job = self.target.connection_job_id
        elsewhere = [
            w.external_id for w in inputs if w.external_id in held and held[w.external_id].connection_job_id != job
        ]
        if elsewhere and self.on_existing == "fail":
            raise FiledConflictError(
                f"{len(elsewhere):,} of these clients already have a work on provider connection "
                f"{self.target.connection_id} (imported by an earlier connection job): {first_ids(elsewhere)}; "
                "import only new clients, or set on_existing='skip' to skip them",
                external_ids=elsewhere,
                operation="createJobWorks",
            )
        self._skipped = list(elsewhere)
        if elsewhere:
            log.info("%s clients already imported by an earlier connection job: skipped", f"{len(elsewhere):,}")
        self._ids = {w.external_id: held[w.external_id].job_work_id for w in inputs if w.external_id in held}
        for external_id in elsewhere:
            del self._ids[external_id]
        missing = [w for w in inputs if w.external_id not in held]
        already = len(self._ids)
        if already:
            log.info("Connection job %s already holds %d of these %d works", job, already, len(inputs))

        def record(outcome: tuple[dict[str, str], list[str]]) -> None:
            with self._lock:
                self._ids.update(outcome[0])
                self._skipped.extend(outcome[1])
                done = len(self._ids) + len(self._skipped)
            self.report_progress(done, len(inputs))

        run_reported(
            self._create_batch,
            batched(missing, batch_size or self.client.config.batch_size),
            max_concurrency=max_concurrency or self.client.config.max_concurrency,
            on_done=record,
            done=lambda: len(self._ids) + len(self._skipped),
            total=len(inputs),
            what=f"creating works in connection job {job}",
        )
        already += self._found_in_job
        return JobWorksImportResult(
            connection_job_id=job,
            total=len(inputs),
            created=len(self._ids) - already,
            already_present=already,
            skipped_existing=len(self._skipped),
            skipped_external_ids=self._skipped[:IDS_SHOWN],
            job_work_ids={w.external_id: self._ids[w.external_id] for w in inputs if w.external_id in self._ids},
        )

    def _create_batch(self, batch: Sequence[CreateJobWorksInput]) -> tuple[dict[str, str], list[str]]:
        created: dict[str, str] = {}
        skipped: list[str] = []
        pending = list(batch)
        settings = self.client.config.retry
        with retry_budget(settings) as budget:
            for attempt in tenacity.Retrying(**reconcile_retry_kwargs(settings, budget)):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        pending = self._landed(pending, created)
                    while pending:
                        try:
                            works = self.client.run(
                                operations.create_job_works_ids(self.target.connection_job_id, pending)
                            )
                        except FiledConflictError as exc:
                            pending = self._resolve_conflict(pending, created, skipped, exc)
                            continue
                        created.update({(w.get("work") or {}).get("externalId") or w["id"]: w["id"] for w in works})
                        pending = []
        return created, skipped

    def _landed(self, pending: list[CreateJobWorksInput], created: dict[str, str]) -> list[CreateJobWorksInput]:
        """Read this job after a write that may have landed: record what did, return what did not."""
        held = read_held_works(self.client, self.target, job_only=True)
        landed = {p.external_id: held[p.external_id].job_work_id for p in pending if p.external_id in held}
        if landed:
            log.info("%d works of an unanswered request had landed; not sending them again", len(landed))
        created.update(landed)
        return [p for p in pending if p.external_id not in held]

    def _resolve_conflict(
        self,
        pending: list[CreateJobWorksInput],
        created: dict[str, str],
        skipped: list[str],
        exc: FiledConflictError,
    ) -> list[CreateJobWorksInput]:
        """Filed refused the request (nothing landed): ids in this job are already there; others are elsewhere."""
        held = read_held_works(self.client, self.target, job_only=True)
        in_job = {p.external_id: held[p.external_id].job_work_id for p in pending if p.external_id in held}
        created.update(in_job)
        with self._lock:
            self._found_in_job += len(in_job)
        elsewhere = [i for i in dict.fromkeys(exc.external_ids) if i not in in_job]
        if not in_job and not elsewhere:
            raise exc
        if elsewhere and self.on_existing == "fail":
            raise FiledConflictError(
                f"{len(elsewhere):,} of these clients already have a work on provider connection "
                f"{self.target.connection_id} (imported by another connection job): {first_ids(elsewhere)}; "
                "import only new clients, or set on_existing='skip' to skip them",
                external_ids=elsewhere,
                operation="createJobWorks",
            ) from exc
        skipped.extend(elsewhere)
        decided = set(in_job) | set(elsewhere)
        return [p for p in pending if p.external_id not in decided]
