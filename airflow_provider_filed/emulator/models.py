"""Records held by the emulator's store; statuses after a trigger are derived lazily from timestamps.

Attribute names follow the GraphQL field names so graphql-core's default resolvers read them directly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

JOB_PENDING = "pending"
JOB_ACTIVE = "active"
JOB_COMPLETED = "completed"

WORK_PENDING = "pending"
WORK_PROCESSING = "processing"
WORK_COMPLETED = "completed"
WORK_FAILED = "failed"

ARTIFACT_INITIAL = "initial"
ARTIFACT_SUCCESS = "success"
ARTIFACT_ERROR = "error"
ARTIFACT_TERMINATED = "terminated"

CONNECTION_PENDING = "pending"
CONNECTION_ACTIVE = "active"
CONNECTION_FAILED = "failed"
CONNECTION_DISCONNECTED = "disconnected"

UPLOADED_URL_PREFIX = "https://files.filed.emulator/"

STATUS_CASES = {"lower": str.lower, "upper": str.upper, "title": str.title}

PHASE_PENDING = 0
PHASE_RUNNING = 1
PHASE_DONE = 2

_request_time: ContextVar[float | None] = ContextVar("filed_emulator_request_time", default=None)


def wall_clock() -> float:
    """The epoch time every record and token is stamped with (tests swap it for a deterministic clock)."""
    return time.time()


def now() -> float:
    """The current epoch time, frozen for the duration of a request so one response is consistent."""
    frozen = _request_time.get()
    return wall_clock() if frozen is None else frozen


def cased(status: str, case: str) -> str:
    """A status string as the API returns it under ``EmulatorConfig.status_case``."""
    return STATUS_CASES[case](status)


@contextmanager
def frozen_clock() -> Iterator[float]:
    """Freeze ``now()`` for the block (one GraphQL request)."""
    at = wall_clock()
    token = _request_time.set(at)
    try:
        yield at
    finally:
        _request_time.reset(token)


@dataclass(slots=True, eq=False)
class User:
    """A person with access to a workspace; the partner's own user is what ``me`` returns."""

    id: str
    email: str
    name: str | None
    role: str | None


@dataclass(slots=True, eq=False)
class Partner:
    """The integrator holding API keys; it sees only its own workspaces."""

    id: str
    name: str
    user: User
    api_keys: list[str]
    workspaces: list[Workspace] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Me:
    """The ``Me`` object: the user behind an access token and its partner."""

    id: str
    email: str | None
    name: str | None
    partner: Partner


@dataclass(slots=True, eq=False)
class PartnerRecord:
    """A record a partner owns (others get NOT_FOUND), numbered in creation order as its id is."""

    id: str
    seq: int
    partnerId: str


@dataclass(slots=True, eq=False)
class EditableRecord(PartnerRecord):
    """A partner's record that can change after creation: ``updatedAt`` starts at ``createdAt``."""

    createdAt: float
    updatedAt: float = field(init=False)

    def __post_init__(self) -> None:
        self.updatedAt = self.createdAt


@dataclass(slots=True, eq=False)
class Workspace(EditableRecord):
    """One tax firm."""

    slug: str
    displayName: str
    status: str
    workspaceType: str
    metadata: Any
    firmSize: str | None
    connection_list: list[ProviderConnection] = field(default_factory=list)
    users: list[User] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class ProviderConnection(EditableRecord):
    """A workspace's link to a provider; push-import jobs hang off active ones."""

    workspaceId: str
    providerKey: str
    status: str
    action: str | None
    displayName: str | None
    settings: Any
    provider: dict[str, str]
    start_inputs: dict[str, Any] = field(default_factory=dict)
    job_works: list[JobWork] = field(default_factory=list)
    work_external_ids: set[str] = field(default_factory=set)


@dataclass(slots=True, eq=False)
class ConnectionJob(PartnerRecord):
    """An import batch; owns the trigger and finish times every derived status is computed from."""

    connectionId: str
    workspaceId: str
    name: str
    createdAt: float
    triggered_at: float | None = None
    finish_at: float | None = None
    job_works: list[JobWork] = field(default_factory=list)
    artifact_count: int = 0

    def phase(self, at: float) -> int:
        """Pending until triggered, running until ``finish_at`` (forever if None), then done."""
        if self.triggered_at is None:
            return PHASE_PENDING
        if self.finish_at is None or at < self.finish_at:
            return PHASE_RUNNING
        return PHASE_DONE

    def changed_at(self, created_at: float, at: float) -> float:
        """When a record of this job created at ``created_at`` last changed status, as seen at ``at``."""
        phase = self.phase(at)
        if phase == PHASE_DONE and self.finish_at is not None:
            return max(created_at, self.finish_at)
        if phase == PHASE_RUNNING and self.triggered_at is not None:
            return max(created_at, self.triggered_at)
        return created_at

    @property
    def status(self) -> str:
        return (JOB_PENDING, JOB_ACTIVE, JOB_COMPLETED)[self.phase(now())]

    @property
    def updatedAt(self) -> float:
        return self.changed_at(self.createdAt, now())


@dataclass(slots=True, eq=False)
class Work:
    """One client's tax preparation; its outcome follows its artifacts."""

    id: str
    name: str
    externalId: str
    tag: str | None
    job: ConnectionJob
    failed: bool = False

    @property
    def status(self) -> str:
        phase = self.job.phase(now())
        if phase == PHASE_PENDING:
            return WORK_PENDING
        if phase == PHASE_RUNNING:
            return WORK_PROCESSING
        return WORK_FAILED if self.failed else WORK_COMPLETED


@dataclass(slots=True, eq=False)
class WorkArtifact:
    """One file Filed downloads from ``url``; ends in success, in error, or terminated (cancelled).

    Error and terminated carry their reason in ``metadata``; only a success has an ``uploadedUrl``.
    """

    id: str
    externalId: str
    createdAt: float
    workId: str
    connectionId: str
    name: str
    type: str
    url: str | None
    input_metadata: Any
    job: ConnectionJob
    failure_reason: str | None = None
    terminated: bool = False

    def _done(self) -> bool:
        return self.job.phase(now()) == PHASE_DONE

    @property
    def status(self) -> str:
        if not self._done():
            return ARTIFACT_INITIAL
        if self.failure_reason is None:
            return ARTIFACT_SUCCESS
        return ARTIFACT_TERMINATED if self.terminated else ARTIFACT_ERROR

    @property
    def uploadedUrl(self) -> str | None:
        if self.failure_reason is None and self._done():
            return UPLOADED_URL_PREFIX + self.id
        return None

    @property
    def metadata(self) -> Any:
        if self.failure_reason is None or not self._done():
            return self.input_metadata
        if isinstance(self.input_metadata, dict):
            return {**self.input_metadata, "reason": self.failure_reason}
        if self.input_metadata is None:
            return {"reason": self.failure_reason}
        return {"input": self.input_metadata, "reason": self.failure_reason}

    @property
    def updatedAt(self) -> float:
        return self.job.changed_at(self.createdAt, now()) if self._done() else self.createdAt


@dataclass(slots=True, eq=False)
class JobRecord:
    """What Filed records of one connection job's import: the id, when, in which workspace and job."""

    id: str
    createdAt: float
    workspaceId: str
    connectionJobId: str


@dataclass(slots=True, eq=False)
class JobArtifact(JobRecord):
    """The link between a job work and one of its work artifacts."""

    artifactId: str
    jobWorkId: str
    workArtifact: WorkArtifact

    @property
    def updatedAt(self) -> float:
        return self.workArtifact.updatedAt


@dataclass(slots=True, eq=False)
class JobWork(JobRecord):
    """A work as imported by one connection job, with the artifacts attached to it."""

    seq: int
    workId: str
    work: Work
    job: ConnectionJob
    jobWorkArtifacts: list[JobArtifact] = field(default_factory=list)
    artifact_external_ids: set[str] = field(default_factory=set)

    @property
    def updatedAt(self) -> float:
        return self.job.changed_at(self.createdAt, now())

    @property
    def partnerId(self) -> str:
        return self.job.partnerId


@dataclass(slots=True, eq=False)
class Session:
    """An access token's owner and expiry."""

    partner: Partner
    user: User
    expires_at: float


#: The GraphQL object types stored as records (read by attribute); the others (Provider, LoginResult) are dicts.
RECORD_TYPES: dict[str, type] = {
    record.__name__: record
    for record in (User, Me, Workspace, ProviderConnection, ConnectionJob, Work, WorkArtifact, JobArtifact, JobWork)
}
