"""Exactly-once bulk creation of job works and their artifacts, at tax-season scale.

Each write is preceded by a read of what the connection job already holds, so an Airflow retry
creates only what is missing. A write that fails in a way that may have landed (timeout, 5xx,
dropped connection) is never re-sent blind: the job is read again and only the rest is sent. A
``CONFLICT`` for ids this job already holds is resolved the same way; one for ids of another
import is raised. Batches run concurrently (bounded) on the client's pooled, thread-safe transport.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

import tenacity
from pydantic import BaseModel, Field

from airflow_provider_filed.client import documents, operations
from airflow_provider_filed.client.errors import (
    FiledConflictError,
    FiledError,
    FiledInputError,
    FiledPartialImportError,
    FiledResponseError,
    InputProblem,
)
from airflow_provider_filed.client.inputs import duplicate_external_ids
from airflow_provider_filed.client.models import (
    CreateJobWorkArtifactsInput,
    CreateJobWorksInput,
    JobWork,
    JobWorkFilters,
)
from airflow_provider_filed.client.retry import reconcile_retry_kwargs
from airflow_provider_filed.client.sync_client import FiledClient

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

ProgressCallback = Callable[[int, int], None]


class ConnectionJobTarget(BaseModel):
    """Where the import goes: the workspace and provider connection that own the connection job."""

    workspace_id: str
    connection_id: str
    connection_job_id: str


class JobWorksImportResult(BaseModel):
    """JSON-safe outcome: every client's job work id, and how many were new versus already there."""

    connection_job_id: str
    total: int
    created: int
    already_present: int
    job_work_ids: dict[str, str] = Field(description="client externalId -> job work id")


class ArtifactsImportResult(BaseModel):
    connection_job_id: str
    total: int
    created: int
    already_present: int
    job_works: int
    errors: dict[str, str] = Field(default_factory=dict, description="client externalId -> why it failed")


def batched(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_batches(
    work: Callable[[T], R], batches: Sequence[T], *, max_concurrency: int, on_done: Callable[[R], None]
) -> None:
    """Run ``work`` over ``batches`` with bounded threads; on the first error, start no more and re-raise it."""
    if max_concurrency <= 1 or len(batches) <= 1:
        for batch in batches:
            on_done(work(batch))
        return
    with ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="filed-bulk") as pool:
        pending: set[Future[R]] = {pool.submit(work, b) for b in batches}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            failed = next((f for f in finished if f.exception() is not None), None)
            for future in finished:
                if future.exception() is None:
                    on_done(future.result())
            if failed is not None:
                for future in pending:
                    future.cancel()
                for future in wait(pending).done:
                    if not future.cancelled() and future.exception() is None:
                        on_done(future.result())
                raise failed.exception()  # type: ignore[misc]


def read_job_works(
    client: FiledClient, target: ConnectionJobTarget, selection: str, ids: Sequence[str] | None = None
) -> list[JobWork]:
    """Every job work of the job (or these ids). After a full first page, the next pages are fetched
    ``max_concurrency`` at a time: a large job costs a few round trips, not one per page."""
    filters = JobWorkFilters(connection_job_ids=[target.connection_job_id], ids=list(ids) if ids else None)
    limit, width = client.config.page_size, client.config.max_concurrency

    def page(offset: int) -> list[JobWork]:
        return client.job_works_page(
            target.workspace_id, target.connection_id, filters, offset=offset, limit=limit, selection=selection
        )

    works = page(0)
    if len(works) < limit:
        return works
    offset = limit
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="filed-read") as pool:
        while True:
            for batch in pool.map(page, range(offset, offset + width * limit, limit)):
                works.extend(batch)
                if len(batch) < limit:
                    return works
            offset += width * limit


def _external_id(job_work: JobWork) -> str:
    return job_work.work.external_id if job_work.work and job_work.work.external_id else job_work.id


class JobWorksImport:
    """Creates one list of clients as job works in a connection job, exactly once per externalId."""

    def __init__(
        self, client: FiledClient, target: ConnectionJobTarget, *, on_progress: ProgressCallback | None = None
    ):
        self.client = client
        self.target = target
        self.on_progress = on_progress
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}
        self._found_by_conflict: set[str] = set()

    def existing(self) -> dict[str, str]:
        """externalId → job work id of what the connection job holds now."""
        works = read_job_works(self.client, self.target, documents.JOB_WORK_EXTERNAL_ID_SELECTION)
        return {_external_id(w): w.id for w in works}

    def run(
        self,
        inputs: Sequence[CreateJobWorksInput],
        *,
        batch_size: int | None = None,
        max_concurrency: int | None = None,
        read_first: bool = True,
    ) -> JobWorksImportResult:
        """Create what the job lacks. ``read_first=False`` skips the initial read for a job known to be
        new (a first attempt): anything already there then surfaces as a ``CONFLICT`` and is reconciled."""
        problems = duplicate_external_ids(w.external_id for w in inputs)
        if problems:
            raise FiledInputError(problems, source="works")
        present = self.existing() if read_first else {}
        wanted = {w.external_id for w in inputs}
        self._ids = {ext: jw for ext, jw in present.items() if ext in wanted}
        missing = [w for w in inputs if w.external_id not in present]
        already = len(inputs) - len(missing)
        if already:
            log.info(
                "Connection job %s already holds %d of these %d works; creating the other %d",
                self.target.connection_job_id,
                already,
                len(inputs),
                len(missing),
            )
        done = [already]

        def record(created: dict[str, str]) -> None:
            with self._lock:
                self._ids.update(created)
                done[0] = len(self._ids)
            if self.on_progress:
                self.on_progress(done[0], len(inputs))

        try:
            run_batches(
                self._create_batch,
                batched(missing, batch_size or self.client.config.batch_size),
                max_concurrency=max_concurrency or self.client.config.max_concurrency,
                on_done=record,
            )
        except FiledError as exc:
            if len(self._ids) == already:
                raise
            raise FiledPartialImportError(
                f"creating works in connection job {self.target.connection_job_id} stopped",
                done=len(self._ids),
                total=len(inputs),
                cause=exc,
            ) from exc
        already += len(self._found_by_conflict)
        return JobWorksImportResult(
            connection_job_id=self.target.connection_job_id,
            total=len(inputs),
            created=len(self._ids) - already,
            already_present=already,
            job_work_ids={w.external_id: self._ids[w.external_id] for w in inputs},
        )

    def _create_batch(self, batch: Sequence[CreateJobWorksInput]) -> dict[str, str]:
        created: dict[str, str] = {}
        pending = list(batch)
        for attempt in tenacity.Retrying(**reconcile_retry_kwargs(self.client.config.retry)):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    pending = self._reconcile(pending, created)
                while pending:
                    try:
                        works = self.client.create_job_works(self.target.connection_job_id, pending)
                    except FiledConflictError as exc:
                        pending = self._resolve_conflict(pending, created, exc)
                        continue
                    created.update({_external_id(w): w.id for w in works})
                    pending = []
        return created

    def _reconcile(self, pending: list[CreateJobWorksInput], created: dict[str, str]) -> list[CreateJobWorksInput]:
        present = self.existing()
        landed = {p.external_id: present[p.external_id] for p in pending if p.external_id in present}
        if landed:
            log.info("%d works of an unanswered request had landed; not sending them again", len(landed))
        created.update(landed)
        return [p for p in pending if p.external_id not in present]

    def _resolve_conflict(
        self, pending: list[CreateJobWorksInput], created: dict[str, str], exc: FiledConflictError
    ) -> list[CreateJobWorksInput]:
        still = self._reconcile(pending, created)
        with self._lock:
            self._found_by_conflict.update({p.external_id for p in pending} - {p.external_id for p in still})
        elsewhere = sorted(set(exc.external_ids) & {p.external_id for p in still})
        if elsewhere or len(still) == len(pending):
            raise FiledConflictError(
                "these externalIds are already used in this provider connection by another import "
                f"(externalIds must never be reused): {', '.join(elsewhere[:20]) or ', '.join(exc.external_ids[:20])}",
                external_ids=elsewhere or exc.external_ids,
                operation="createJobWorks",
            ) from exc
        return still


class ArtifactsImport:
    """Attaches files to the job works of a connection job, exactly once per artifact externalId."""

    def __init__(
        self, client: FiledClient, target: ConnectionJobTarget, *, on_progress: ProgressCallback | None = None
    ):
        self.client = client
        self.target = target
        self.on_progress = on_progress
        self._lock = threading.Lock()

    def _present(self, job_work_ids: Sequence[str] | None = None) -> dict[str, tuple[str, set[str]]]:
        """client externalId → (job work id, artifact externalIds it holds)."""
        works = read_job_works(self.client, self.target, documents.JOB_WORK_ARTIFACT_IDS_SELECTION, job_work_ids)
        return {
            _external_id(w): (
                w.id,
                {
                    a.work_artifact.external_id
                    for a in w.job_work_artifacts or []
                    if a.work_artifact and a.work_artifact.external_id
                },
            )
            for w in works
        }

    def run(self, artifacts: Mapping[str, Sequence[CreateJobWorkArtifactsInput]]) -> ArtifactsImportResult:
        present = self._present()
        unknown = [client for client in artifacts if client not in present]
        if unknown:
            raise FiledInputError(
                [
                    InputProblem(
                        None,
                        client,
                        f"no job work for this client in connection job {self.target.connection_job_id}",
                    )
                    for client in unknown
                ],
                source="artifacts",
            )
        total = sum(len(a) for a in artifacts.values())
        groups: list[tuple[str, str, list[CreateJobWorkArtifactsInput]]] = []
        for client, inputs in artifacts.items():
            job_work_id, held = present[client]
            missing = [a for a in inputs if a.external_id not in held]
            for part in batched(missing, self.client.config.batch_size):
                groups.append((client, job_work_id, list(part)))
        already = total - sum(len(g[2]) for g in groups)
        errors: dict[str, str] = {}
        done = [already]

        def record(outcome: tuple[int, dict[str, str]]) -> None:
            with self._lock:
                done[0] += outcome[0]
                errors.update(outcome[1])
            if self.on_progress:
                self.on_progress(done[0], total)

        try:
            run_batches(
                self._attach_requests,
                self._requests(groups),
                max_concurrency=self.client.config.max_concurrency,
                on_done=record,
            )
        except FiledError as exc:
            if done[0] == already:
                raise
            raise FiledPartialImportError(
                f"attaching artifacts in connection job {self.target.connection_job_id} stopped",
                done=done[0],
                total=total,
                cause=exc,
            ) from exc
        return ArtifactsImportResult(
            connection_job_id=self.target.connection_job_id,
            total=total,
            created=done[0] - already,
            already_present=already,
            job_works=len(artifacts),
            errors=errors,
        )

    def _requests(
        self, groups: list[tuple[str, str, list[CreateJobWorkArtifactsInput]]]
    ) -> list[list[tuple[str, str, list[CreateJobWorkArtifactsInput]]]]:
        """Pack job works into requests of at most ``artifacts_per_request`` artifacts."""
        requests: list[list[tuple[str, str, list[CreateJobWorkArtifactsInput]]]] = []
        size = limit = self.client.config.artifacts_per_request
        for group in groups:
            if size + len(group[2]) > limit:
                requests.append([])
                size = 0
            requests[-1].append(group)
            size += len(group[2])
        return requests

    def _attach_requests(
        self, groups: list[tuple[str, str, list[CreateJobWorkArtifactsInput]]]
    ) -> tuple[int, dict[str, str]]:
        created = 0
        errors: dict[str, str] = {}
        pending = groups
        for attempt in tenacity.Retrying(**reconcile_retry_kwargs(self.client.config.retry)):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    pending, landed = self._still_missing(pending)
                    created += landed
                while pending:
                    outcomes = self.client.run(
                        operations.create_job_work_artifacts_aliased([(g[1], g[2]) for g in pending])
                    )
                    conflicted = []
                    unanswered = []  # no result and no error: lost to another alias's error, or never run
                    for group, outcome in zip(pending, outcomes, strict=True):
                        if isinstance(outcome, FiledConflictError):
                            conflicted.append(group)
                        elif isinstance(outcome, FiledResponseError):
                            unanswered.append(group)
                        elif isinstance(outcome, FiledError):
                            errors[group[0]] = outcome.message
                        else:
                            created += len(outcome)
                    still, landed = self._still_missing(conflicted + unanswered)
                    created += landed
                    for group in [g for g in still if g in conflicted]:
                        errors[group[0]] = "artifact externalIds conflict with ones Filed does not show on this work"
                    resend = [g for g in still if g not in conflicted]
                    if len(resend) == len(pending) and all(g in pending for g in resend):
                        for group in resend:  # nothing was decided this round: do not loop forever
                            errors[group[0]] = "Filed answered neither a result nor an error for these artifacts"
                        resend = []
                    pending = resend
        return created, errors

    def _still_missing(
        self, groups: list[tuple[str, str, list[CreateJobWorkArtifactsInput]]]
    ) -> tuple[list[tuple[str, str, list[CreateJobWorkArtifactsInput]]], int]:
        """Re-read these job works; return what is still to send and how many artifacts had landed."""
        if not groups:
            return [], 0
        present = self._present([g[1] for g in groups])
        remaining = []
        landed = 0
        for client, job_work_id, inputs in groups:
            held = present.get(client, (job_work_id, set()))[1]
            missing = [a for a in inputs if a.external_id not in held]
            landed += len(inputs) - len(missing)
            if missing:
                remaining.append((client, job_work_id, missing))
        return remaining, landed
