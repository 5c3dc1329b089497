"""Attaching files to the job works of a connection job, exactly once per artifact externalId."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import tenacity
from pydantic import Field

from airflow_provider_filed.client import operations
from airflow_provider_filed.client.bulk.batches import ImportResult, batched, run_reported
from airflow_provider_filed.client.bulk.held import IDS_SHOWN, BulkImport, HeldWork, first_ids, read_held_works
from airflow_provider_filed.client.errors import (
    FiledConflictError,
    FiledError,
    FiledInputError,
    FiledResponseError,
    InputProblem,
)
from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput
from airflow_provider_filed.client.retry import reconcile_retry_kwargs, retry_budget

log = logging.getLogger(__name__)

#: What to do with documents of clients whose work is in another connection job (which no longer takes them).
OnUnattachable = Literal["report", "fail"]


class ArtifactsImportResult(ImportResult):
    """JSON-safe outcome: documents attached, already there, or unattachable, and the job works that failed."""

    unattachable: int = Field(default=0, description="documents of clients whose work is in another job")
    unattachable_external_ids: list[str] = Field(
        default_factory=list, description=f"the first {IDS_SHOWN}, as client/document externalIds"
    )
    job_works: int = 0
    errors: dict[str, str] = Field(default_factory=dict, description="client externalId -> why it failed")


Group = tuple[str, str, list[CreateJobWorkArtifactsInput]]
"""One client's artifacts to attach: (client externalId, job work id, inputs)."""


@dataclass
class ArtifactsImport(BulkImport):
    """Attaches files to the job works of a connection job, exactly once per artifact externalId."""

    on_unattachable: OnUnattachable = field(default="report", kw_only=True)

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
        total = sum(len(a) for a in artifacts.values())
        if fresh and job_work_ids and job_work_ids.keys() >= artifacts.keys():
            groups = self._split((client, job_work_ids[client], list(inputs)) for client, inputs in artifacts.items())
            unattachable: list[str] = []
        else:
            groups, unattachable = self._missing(artifacts, self._held(artifacts, job_work_ids, fresh=fresh))
        if unattachable and self.on_unattachable == "fail":
            raise FiledConflictError(
                f"{len(unattachable):,} documents belong to clients imported by an earlier connection job, which "
                f"no longer accepts them: {first_ids(unattachable)}; set on_unattachable='report' to attach the rest",
                operation="createJobWorkArtifacts",
            )
        if unattachable:
            log.warning(
                "%s documents of clients imported by an earlier connection job cannot be attached: %s",
                f"{len(unattachable):,}",
                first_ids(unattachable),
            )
        already = total - len(unattachable) - sum(len(g[2]) for g in groups)
        errors: dict[str, str] = {}
        done = [already]

        def record(outcome: tuple[int, dict[str, str]]) -> None:
            with self._lock:
                done[0] += outcome[0]
                errors.update(outcome[1])
            self.report_progress(done[0], total - len(unattachable))

        run_reported(
            self._attach_requests,
            self._requests(groups),
            max_concurrency=self.client.config.max_concurrency,
            on_done=record,
            done=lambda: done[0],
            total=total,
            what=f"attaching artifacts in connection job {job}",
        )
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

    def _held(
        self,
        artifacts: Mapping[str, Sequence[CreateJobWorkArtifactsInput]],
        job_work_ids: Mapping[str, str] | None,
        *,
        fresh: bool,
    ) -> dict[str, HeldWork]:
        """Each client's work and the artifacts it holds: new works hold none (``fresh``), known ones are
        re-read in this job, the others looked up on the provider connection; a client with no work fails."""
        job = self.target.connection_job_id
        held: dict[str, HeldWork] = {}
        if job_work_ids and fresh:
            held = {client: HeldWork(jw, job, frozenset()) for client, jw in job_work_ids.items()}
        elif job_work_ids:
            held = read_held_works(
                self.client, self.target, job_only=True, with_artifacts=True, job_work_ids=list(job_work_ids.values())
            )
        if not held.keys() >= artifacts.keys():
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
        return held

    def _missing(
        self, artifacts: Mapping[str, Sequence[CreateJobWorkArtifactsInput]], held: Mapping[str, HeldWork]
    ) -> tuple[list[Group], list[str]]:
        """What each client's work lacks, as groups to send, and the documents (``client/document``) whose
        work is in another connection job, which no longer takes them."""
        job = self.target.connection_job_id
        to_send: list[Group] = []
        unattachable: list[str] = []
        for client, inputs in artifacts.items():
            work = held[client]
            missing = [a for a in inputs if a.external_id not in work.artifacts] if work.artifacts else list(inputs)
            if missing and work.connection_job_id != job:
                unattachable += [f"{client}/{a.external_id}" for a in missing]
            elif missing:
                to_send.append((client, work.job_work_id, missing))
        return self._split(to_send), unattachable

    def _split(self, groups: Iterable[Group]) -> list[Group]:
        """The groups, a client's with more than ``batch_size`` artifacts cut into parts of that size; empty
        ones dropped."""
        size = self.client.config.batch_size
        split: list[Group] = []
        for client, job_work_id, inputs in groups:
            if len(inputs) <= size:
                if inputs:
                    split.append((client, job_work_id, inputs))
            else:
                split += [(client, job_work_id, list(part)) for part in batched(inputs, size)]
        return split

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
