"""Exactly-once bulk creation of job works and their artifacts, at tax-season scale.

Before writing, an import reads once what Filed already holds (on the whole provider connection, or
only in its connection job) and sends only the rest. A write that fails in a way that may have
landed (timeout, 5xx, dropped connection) is never re-sent blind: the job is read again and only the
missing ``externalId``s are sent — correct whether or not Filed enforces ``externalId`` uniqueness.
Clients that already have a work in another connection job are skipped (or refused, by policy), and
their documents are reported as unattachable once that job no longer accepts them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Literal, NamedTuple, TypeVar

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
from airflow_provider_filed.client.listing import JobWorksScope, Row, list_job_works
from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput, CreateJobWorksInput, JobWorkFilters
from airflow_provider_filed.client.retry import reconcile_retry_kwargs, retry_budget
from airflow_provider_filed.client.sync_client import FiledClient

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

ProgressCallback = Callable[[int, int], None]
#: What to do with clients that already have a work on the provider connection, in another connection job.
OnExisting = Literal["skip", "fail"]
#: What to do with documents of such clients that Filed does not hold yet (their job no longer accepts them).
OnUnattachable = Literal["report", "fail"]
#: Where to look for what Filed holds before writing: the whole provider connection, this job, or nowhere.
ExistingScope = Literal["connection", "job", "none"]
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


class JobWorksImportResult(BaseModel):
    """JSON-safe outcome: the job work id of every client in this job, and what was new, there, or skipped."""

    connection_job_id: str
    total: int
    created: int
    already_present: int = Field(description="already in this connection job (an earlier attempt)")
    skipped_existing: int = Field(default=0, description="already imported by another connection job")
    skipped_external_ids: list[str] = Field(default_factory=list, description=f"the first {IDS_SHOWN}")
    job_work_ids: dict[str, str] = Field(description="client externalId -> job work id, for clients in this job")


class ArtifactsImportResult(BaseModel):
    connection_job_id: str
    total: int
    created: int
    already_present: int
    unattachable: int = Field(default=0, description="documents of clients whose work is in another job")
    unattachable_external_ids: list[str] = Field(
        default_factory=list, description=f"the first {IDS_SHOWN}, as client/document externalIds"
    )
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


def _first(ids: Sequence[str]) -> str:
    more = f" (and {len(ids) - IDS_SHOWN:,} more)" if len(ids) > IDS_SHOWN else ""
    return ", ".join(ids[:IDS_SHOWN]) + more


class JobWorksImport:
    """Creates one list of clients as job works in a connection job, exactly once per externalId."""

    def __init__(
        self,
        client: FiledClient,
        target: ConnectionJobTarget,
        *,
        on_progress: ProgressCallback | None = None,
        on_existing: OnExisting = "skip",
    ):
        self.client = client
        self.target = target
        self.on_progress = on_progress
        self.on_existing = on_existing
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}
        self._skipped: list[str] = []
        self._found_in_job = 0

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
                f"{self.target.connection_id} (imported by an earlier connection job): {_first(elsewhere)}; "
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
        settled = len(inputs) - len(missing)

        def record(outcome: tuple[dict[str, str], list[str]]) -> None:
            with self._lock:
                self._ids.update(outcome[0])
                self._skipped.extend(outcome[1])
                done = len(self._ids) + len(self._skipped)
            if self.on_progress:
                self.on_progress(done, len(inputs))

        try:
            run_batches(
                self._create_batch,
                batched(missing, batch_size or self.client.config.batch_size),
                max_concurrency=max_concurrency or self.client.config.max_concurrency,
                on_done=record,
            )
        except FiledError as exc:
            done = len(self._ids) + len(self._skipped)
            if done == settled:
                raise
            raise FiledPartialImportError(
                f"creating works in connection job {job} stopped", done=done, total=len(inputs), cause=exc
            ) from exc
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
                f"these clients already have a work on provider connection {self.target.connection_id} "
                f"(imported by another connection job): {_first(elsewhere)}; set on_existing='skip' to skip them",
                external_ids=elsewhere,
                operation="createJobWorks",
            ) from exc
        skipped.extend(elsewhere)
        decided = set(in_job) | set(elsewhere)
        return [p for p in pending if p.external_id not in decided]


Group = tuple[str, str, list[CreateJobWorkArtifactsInput]]
"""One client's artifacts to attach: (client externalId, job work id, inputs)."""


class ArtifactsImport:
    """Attaches files to the job works of a connection job, exactly once per artifact externalId."""

    def __init__(
        self,
        client: FiledClient,
        target: ConnectionJobTarget,
        *,
        on_progress: ProgressCallback | None = None,
        on_unattachable: OnUnattachable = "report",
    ):
        self.client = client
        self.target = target
        self.on_progress = on_progress
        self.on_unattachable = on_unattachable
        self._lock = threading.Lock()

    def run(
        self,
        artifacts: Mapping[str, Sequence[CreateJobWorkArtifactsInput]],
        *,
        job_work_ids: Mapping[str, str] | None = None,
        fresh: bool = False,
    ) -> ArtifactsImportResult:
        """Attach what Filed lacks. ``job_work_ids`` (from the create step) say where each client's work is in
        this job; ``fresh`` says those works are new and hold nothing yet (a first attempt), so nothing is
        read — otherwise they are re-read. Clients not in ``job_work_ids`` are looked up on the provider
        connection (one read): artifacts there are skipped, and missing ones of clients whose work is in
        another job are unattachable."""
        job = self.target.connection_job_id
        held: dict[str, HeldWork] = {}
        if job_work_ids and fresh:
            held = {client: HeldWork(jw, job, frozenset()) for client, jw in job_work_ids.items()}
        elif job_work_ids:
            held = read_held_works(
                self.client, self.target, job_only=True, with_artifacts=True, job_work_ids=list(job_work_ids.values())
            )
        if any(client not in held for client in artifacts):
            held = {**read_held_works(self.client, self.target, job_only=False, with_artifacts=True), **held}
        unknown = [client for client in artifacts if client not in held]
        if unknown:
            raise FiledInputError(
                [
                    InputProblem(
                        None, client, f"no work for this client on provider connection {self.target.connection_id}"
                    )
                    for client in unknown
                ],
                source="artifacts",
            )
        total = sum(len(a) for a in artifacts.values())
        groups: list[Group] = []
        unattachable: list[str] = []
        for client, inputs in artifacts.items():
            work = held[client]
            missing = [a for a in inputs if a.external_id not in work.artifacts]
            if missing and work.connection_job_id != job:
                unattachable += [f"{client}/{a.external_id}" for a in missing]
                continue
            groups += [
                (client, work.job_work_id, list(part)) for part in batched(missing, self.client.config.batch_size)
            ]
        if unattachable and self.on_unattachable == "fail":
            raise FiledConflictError(
                f"{len(unattachable):,} documents belong to clients imported by an earlier connection job, which "
                f"no longer accepts them: {_first(unattachable)}; set on_unattachable='report' to attach the rest",
                operation="createJobWorkArtifacts",
            )
        if unattachable:
            log.warning(
                "%s documents of clients imported by an earlier connection job cannot be attached: %s",
                f"{len(unattachable):,}",
                _first(unattachable),
            )
        already = total - len(unattachable) - sum(len(g[2]) for g in groups)
        errors: dict[str, str] = {}
        done = [already]

        def record(outcome: tuple[int, dict[str, str]]) -> None:
            with self._lock:
                done[0] += outcome[0]
                errors.update(outcome[1])
            if self.on_progress:
                self.on_progress(done[0], total - len(unattachable))

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
            unattachable=len(unattachable),
            unattachable_external_ids=unattachable[:IDS_SHOWN],
            job_works=len(artifacts),
            errors=errors,
        )

    def _requests(self, groups: list[Group]) -> list[list[Group]]:
        """Pack job works into requests of at most ``artifacts_per_request`` artifacts."""
        requests: list[list[Group]] = []
        size = limit = self.client.config.artifacts_per_request
        for group in groups:
            if size + len(group[2]) > limit:
                requests.append([])
                size = 0
            requests[-1].append(group)
            size += len(group[2])
        return requests

    def _attach_requests(self, groups: list[Group]) -> tuple[int, dict[str, str]]:
        created = 0
        errors: dict[str, str] = {}
        pending = groups
        settings = self.client.config.retry
        with retry_budget(settings) as budget:
            for attempt in tenacity.Retrying(**reconcile_retry_kwargs(settings, budget)):
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
                                created += outcome
                        still, landed = self._still_missing(conflicted + unanswered)
                        created += landed
                        for group in [g for g in still if g in conflicted]:
                            errors[group[0]] = (
                                "artifact externalIds conflict with ones Filed does not show on this work"
                            )
                        resend = [g for g in still if g not in conflicted]
                        if len(resend) == len(pending) and all(g in pending for g in resend):
                            for group in resend:  # nothing was decided this round: do not loop forever
                                errors[group[0]] = "Filed answered neither a result nor an error for these artifacts"
                            resend = []
                        pending = resend
        return created, errors

    def _still_missing(self, groups: list[Group]) -> tuple[list[Group], int]:
        """Re-read these job works; return what is still to send and how many artifacts had landed."""
        if not groups:
            return [], 0
        held = read_held_works(
            self.client, self.target, job_only=True, with_artifacts=True, job_work_ids=[g[1] for g in groups]
        )
        remaining = []
        landed = 0
        for client, job_work_id, inputs in groups:
            present = held[client].artifacts if client in held else frozenset()
            missing = [a for a in inputs if a.external_id not in present]
            landed += len(inputs) - len(missing)
            if missing:
                remaining.append((client, job_work_id, missing))
        return remaining, landed
