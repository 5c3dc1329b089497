"""The push import: connection jobs, their job works (one per client) and artifacts (one per file).

Works and artifacts are made by one create path: check the job still accepts works, check the inputs,
refuse reused externalIds (unless lenient), then build the records, all or nothing.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from airflow_provider_filed.emulator.errors import CONFLICT, ApiError, bad_input
from airflow_provider_filed.emulator.models import (
    CONNECTION_ACTIVE,
    PHASE_PENDING,
    ConnectionJob,
    JobArtifact,
    JobWork,
    Partner,
    ProviderConnection,
    Work,
    WorkArtifact,
    cased,
    now,
)
from airflow_provider_filed.emulator.paging import Page, in_creation_order, window
from airflow_provider_filed.emulator.store.state import StoreState, required_text

DEFAULT_WORK_TAG = "individual"
NO_LONGER_ACCEPTS_WORKS = "connection job {id} has status {status!r}: this status no longer accepts works"
ALREADY_TRIGGERED = "connection job {id} was already triggered (status {status!r})"
_MESSAGE_ID_LIMIT = 10

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Kind:
    """What a create request makes: its name in the stats, the input fields that must not be empty, and the
    owner within which an externalId is used once (its kind, and the ids it holds)."""

    name: str
    required: tuple[str, ...]
    owner: str
    used_external_ids: Callable[[Any], set[str]]


WORKS = Kind("works", ("name", "externalId"), "provider connection", operator.attrgetter("work_external_ids"))
ARTIFACTS = Kind("artifacts", ("name", "type", "externalId"), "job work", operator.attrgetter("artifact_external_ids"))


class CreateRules(NamedTuple):
    """The live settings a create request is checked against (``RequestContext.create_rules``)."""

    max_inputs: int
    lenient: bool = False
    status_case: str = "lower"


def _listed(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_MESSAGE_ID_LIMIT])
    return shown + (f" (and {len(ids) - _MESSAGE_ID_LIMIT} more)" if len(ids) > _MESSAGE_ID_LIMIT else "")


def _duplicates(external_ids: Sequence[str], existing: set[str]) -> tuple[list[str], int]:
    """Offending ids in request order and how many inputs were duplicates."""
    if existing.isdisjoint(external_ids) and len(set(external_ids)) == len(external_ids):
        return [], 0
    seen: set[str] = set()
    offending: dict[str, None] = {}
    attempts = 0
    for external_id in external_ids:
        if external_id in existing or external_id in seen:
            attempts += 1
            offending[external_id] = None
        seen.add(external_id)
    return list(offending), attempts


def _settle(artifact: WorkArtifact, failure: re.Pattern[str], termination: re.Pattern[str] | None) -> None:
    """Decide how Filed's download of ``artifact`` ends: cancelled, failed, or (no reason) a success."""
    if artifact.url is None:
        artifact.failure_reason = "no url"
    elif termination is not None and termination.search(artifact.url):
        artifact.failure_reason = f"cancelled: url matches the termination pattern {termination.pattern!r}"
        artifact.terminated = True
    elif failure.search(artifact.url):
        artifact.failure_reason = f"download failed: url matches the failure pattern {failure.pattern!r}"


class Imports(StoreState):
    """``createConnectionJob``, ``createJobWorks``, ``createJobWorkArtifacts``, the trigger, and ``jobWorks``."""

    def create_job(
        self, partner: Partner, connection_id: str, job_name: str, *, status_case: str = "lower"
    ) -> ConnectionJob:
        with self._lock:
            connection = self._connection_for(partner, connection_id)
            if connection.status != CONNECTION_ACTIVE:
                status = cased(connection.status, status_case)
                raise bad_input(
                    f"provider connection {connection.id} is {status!r}, not {cased(CONNECTION_ACTIVE, status_case)!r}",
                    connectionId=connection.id,
                )
            name = required_text(job_name, "jobName").strip()
            seq, job_id = self._new_id("job")
            job = ConnectionJob(
                id=job_id,
                seq=seq,
                partnerId=partner.id,
                connectionId=connection.id,
                workspaceId=connection.workspaceId,
                name=name,
                createdAt=self._timestamp(),
            )
            self._jobs[job.id] = job
            return job

    @staticmethod
    def _require_pending(job: ConnectionJob, status_case: str, refusal: str = NO_LONGER_ACCEPTS_WORKS) -> None:
        """BAD_USER_INPUT unless ``job`` is still pending: ``refusal`` says why (``{id}``, ``{status}``)."""
        if job.phase(now()) != PHASE_PENDING:
            status = cased(job.status, status_case)
            raise bad_input(refusal.format(id=job.id, status=status), connectionJobId=job.id, status=status)

    def _create(
        self,
        job: ConnectionJob,
        inputs: Sequence[Mapping[str, Any]],
        rules: CreateRules,
        kind: Kind,
        owner: ProviderConnection | JobWork,
        build: Callable[[Sequence[Mapping[str, Any]], float], list[T]],
    ) -> list[T]:
        """The one create path of works and artifacts: check, refuse externalIds ``owner`` already holds
        (unless lenient), build."""
        self._require_pending(job, rules.status_case)
        if len(inputs) > rules.max_inputs:
            raise bad_input(
                f"too many inputs: {len(inputs)} > {rules.max_inputs} per request", maxInputs=rules.max_inputs
            )
        for index, item in enumerate(inputs):
            for name in kind.required:
                value = item.get(name)
                if not isinstance(value, str) or not value.strip():
                    raise bad_input(f"inputs[{index}].{name} must not be empty")
        external_ids = [item["externalId"] for item in inputs]
        existing = kind.used_external_ids(owner)
        if not rules.lenient:
            conflicts, attempts = _duplicates(external_ids, existing)
            if conflicts:
                self._rejected[kind.name] = self._rejected.get(kind.name, 0) + attempts
                message = f"externalId already used in {kind.owner} {owner.id}: {_listed(conflicts)}"
                raise ApiError(CONFLICT, message, externalIds=conflicts)
        records = build(inputs, self._timestamp())
        existing.update(external_ids)
        return records

    def create(
        self, kind: Kind, partner: Partner, owner_id: str, inputs: Sequence[Mapping[str, Any]], rules: CreateRules
    ) -> list[JobWork] | list[JobArtifact]:
        """``createJobWorks`` (``owner_id``: a connection job) or ``createJobWorkArtifacts`` (a job work), all or
        nothing; an externalId is used once in the provider connection, or in the job work, unless lenient."""
        with self._lock:
            return self._create_one(kind, partner, owner_id, inputs, rules)

    def create_in_turn(
        self,
        kind: Kind,
        partner: Partner,
        requests: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
        rules: CreateRules,
    ) -> tuple[list[list[JobWork] | list[JobArtifact]], Exception | None]:
        """``create`` of each ``(owner id, inputs)`` in turn under one lock, as the aliased fields of one
        mutation run: the records of each up to the first error, and that error (None when all landed)."""
        created: list[list[JobWork] | list[JobArtifact]] = []
        with self._lock:
            for owner_id, inputs in requests:
                try:
                    created.append(self._create_one(kind, partner, owner_id, inputs, rules))
                except Exception as error:
                    return created, error
        return created, None

    def _create_one(
        self, kind: Kind, partner: Partner, owner_id: str, inputs: Sequence[Mapping[str, Any]], rules: CreateRules
    ) -> list[JobWork] | list[JobArtifact]:
        if kind is WORKS:
            return self._create_job_works(self._job_for(partner, owner_id), inputs, rules)
        return self._create_artifacts(self._job_work_for(partner, owner_id), inputs, rules)

    def _create_job_works(
        self, job: ConnectionJob, inputs: Sequence[Mapping[str, Any]], rules: CreateRules
    ) -> list[JobWork]:
        connection = self._connections[job.connectionId]
        created = self._create(job, inputs, rules, WORKS, connection, functools.partial(self._job_works_of, job))
        for job_work in created:
            self._job_works[job_work.id] = job_work
            self._job_work_by_work[job_work.workId] = job_work
        job.job_works.extend(created)
        connection.job_works.extend(created)
        return created

    def _job_works_of(self, job: ConnectionJob, inputs: Sequence[Mapping[str, Any]], created: float) -> list[JobWork]:
        """Records of new job works (fields passed by position: keyword calls cost a third more here)."""
        job_works: list[JobWork] = []
        for item in inputs:
            work_id = self._next_id("work")
            seq, job_work_id = self._new_id("job_work")
            work = Work(work_id, item["name"], item["externalId"], DEFAULT_WORK_TAG, job)
            job_works.append(JobWork(job_work_id, created, job.workspaceId, job.id, seq, work_id, work, job))
        return job_works

    def _create_artifacts(
        self, job_work: JobWork, inputs: Sequence[Mapping[str, Any]], rules: CreateRules
    ) -> list[JobArtifact]:
        build = functools.partial(self._artifacts_of, job_work)
        created = self._create(job_work.job, inputs, rules, ARTIFACTS, job_work, build)
        job_work.jobWorkArtifacts.extend(created)
        job_work.job.artifact_count += len(created)
        return created

    def _artifacts_of(
        self, job_work: JobWork, inputs: Sequence[Mapping[str, Any]], created: float
    ) -> list[JobArtifact]:
        """Records of new artifacts (fields passed by position: keyword calls cost a third more here)."""
        job = job_work.job
        job_artifacts: list[JobArtifact] = []
        for item in inputs:
            artifact_id = self._next_id("artifact")
            artifact = WorkArtifact(
                artifact_id,
                item["externalId"],
                created,
                job_work.workId,
                job.connectionId,
                item["name"],
                item["type"],
                item.get("url"),
                item.get("metadata"),
                job,
            )
            job_artifact_id = self._next_id("job_artifact")
            job_artifacts.append(
                JobArtifact(job_artifact_id, created, job.workspaceId, job.id, artifact_id, job_work.id, artifact)
            )
        return job_artifacts

    def trigger_job(
        self,
        partner: Partner,
        job_id: str,
        processing_time_s: float,
        failure_pattern: str,
        *,
        terminated_pattern: str | None = None,
        status_case: str = "lower",
    ) -> ConnectionJob:
        """Start processing: outcomes are decided now, statuses follow the clock on every read."""
        failure = re.compile(failure_pattern)
        termination = re.compile(terminated_pattern) if terminated_pattern is not None else None
        with self._lock:
            job = self._job_for(partner, job_id)
            self._require_pending(job, status_case, ALREADY_TRIGGERED)
            for job_work in job.job_works:
                failed = False
                for job_artifact in job_work.jobWorkArtifacts:
                    _settle(job_artifact.workArtifact, failure, termination)
                    failed = failed or job_artifact.workArtifact.failure_reason is not None
                job_work.work.failed = failed
            triggered = self._timestamp()
            job.triggered_at = triggered
            if not job.job_works:
                job.finish_at = triggered
            elif processing_time_s >= 0:
                job.finish_at = triggered + processing_time_s
            return job

    def list_job_works(
        self, connection: ProviderConnection, filters: Mapping[str, Any] | None, page: Page
    ) -> list[JobWork]:
        """A page of the connection's job works (all its jobs) narrowed by ids, job ids and work ids."""
        filters = filters or {}
        ids = filters.get("ids")
        job_ids = filters.get("connectionJobIds")
        work_ids = filters.get("workIds")
        with self._lock:
            items: Sequence[JobWork]
            if ids is not None:
                found = (self._job_works.get(i) for i in dict.fromkeys(ids))
                items = in_creation_order([jw for jw in found if jw and jw.job.connectionId == connection.id])
            elif work_ids is not None:
                found = (self._job_work_by_work.get(i) for i in dict.fromkeys(work_ids))
                items = in_creation_order([jw for jw in found if jw and jw.job.connectionId == connection.id])
            elif job_ids is not None:
                jobs = [self._jobs.get(i) for i in dict.fromkeys(job_ids)]
                lists = [job.job_works for job in jobs if job and job.connectionId == connection.id]
                items = lists[0] if len(lists) == 1 else in_creation_order(list(itertools.chain(*lists)))
            else:
                items = connection.job_works
            if ids is not None or work_ids is not None:
                if job_ids is not None:
                    wanted_jobs = set(job_ids)
                    items = [jw for jw in items if jw.connectionJobId in wanted_jobs]
                if ids is not None and work_ids is not None:
                    wanted_works = set(work_ids)
                    items = [jw for jw in items if jw.workId in wanted_works]
            return window(items, page)
