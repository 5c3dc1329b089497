"""The in-memory Filed data: partner -> workspaces -> connections -> jobs -> job works -> artifacts.

One lock guards every change; per-connection and per-job lists in creation order keep reads cheap.
"""

from __future__ import annotations

import functools
import itertools
import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from airflow_provider_filed.emulator.errors import (
    CONFLICT,
    UNAUTHENTICATED,
    ApiError,
    bad_input,
    not_found,
)
from airflow_provider_filed.emulator.models import (
    CONNECTION_ACTIVE,
    CONNECTION_FAILED,
    CONNECTION_PENDING,
    PHASE_PENDING,
    ConnectionJob,
    JobArtifact,
    JobWork,
    Me,
    Partner,
    ProviderConnection,
    Session,
    User,
    Work,
    WorkArtifact,
    Workspace,
    cased,
    now,
)
from airflow_provider_filed.emulator.paging import Page, in_creation_order, window

FIRM_SIZES = ("xs", "sm", "md", "lg", "xl")
SEED_PROVIDER_KEY = "partner-push"
PROVIDERS: dict[str, dict[str, str]] = {
    SEED_PROVIDER_KEY: {"name": "Partner push import", "category": "partner"},
}
DEFAULT_WORK_TAG = "individual"
_MESSAGE_ID_LIMIT = 10

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Kind:
    """What a create request makes: its name in the stats and the input fields that must not be empty."""

    name: str
    required: tuple[str, ...]


WORKS = _Kind("works", ("name", "externalId"))
ARTIFACTS = _Kind("artifacts", ("name", "type", "externalId"))


class CreateRules(NamedTuple):
    """The live settings a create request is checked against."""

    max_inputs: int
    lenient: bool = False
    status_case: str = "lower"


@dataclass(frozen=True, slots=True)
class SeedInfo:
    """What a script needs to talk to a seeded partner."""

    partner_id: str
    api_keys: tuple[str, ...]
    user_id: str
    workspace_id: str
    workspace_slug: str
    connection_id: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner_id": self.partner_id,
            "api_key": self.api_keys[0],
            "api_keys": list(self.api_keys),
            "user_id": self.user_id,
            "workspace_id": self.workspace_id,
            "workspace_slug": self.workspace_slug,
            "connection_id": self.connection_id,
        }


@dataclass(frozen=True, slots=True)
class _PartnerPlan:
    """Fixed ids and times of a seeded partner, so a reset restores exactly the same state."""

    number: int
    api_keys: tuple[str, ...]
    partner_id: str
    user_id: str
    workspace_id: str
    workspace_seq: int
    connection_id: str
    connection_seq: int
    created_at: float


def slugify(text: str) -> str:
    """A URL-safe lowercase slug of a display name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "workspace"


def _listed(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_MESSAGE_ID_LIMIT])
    return shown + (f" (and {len(ids) - _MESSAGE_ID_LIMIT} more)" if len(ids) > _MESSAGE_ID_LIMIT else "")


def _repeated(external_ids: Iterable[str]) -> list[str]:
    """The ids that occur more than once, in order of first occurrence."""
    return [external_id for external_id, n in Counter(external_ids).items() if n > 1]


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


def _required_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_input(f"{what} must not be empty")
    return value


def _json_object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_input(f"{what} must be a JSON object")
    return value


class Store:
    """Thread-safe in-memory state of one emulated Filed gateway."""

    def __init__(self, api_keys: Sequence[str]) -> None:
        if not api_keys:
            raise ValueError("at least one API key is required")
        self._lock = threading.RLock()
        self._counter = itertools.count(1)
        self._last_time = 0.0
        self._seed_plan = self._plan_partner(1, tuple(api_keys))
        self.reset()

    def _new_id(self, prefix: str) -> tuple[int, str]:
        """A creation sequence number and the id made of it (``job_000000000042``): ids sort in creation order."""
        seq = next(self._counter)
        return seq, "%s_%012d" % (prefix, seq)

    def _next_id(self, prefix: str) -> str:
        return "%s_%012d" % (prefix, next(self._counter))

    def _timestamp(self) -> float:
        self._last_time = max(self._last_time, now())
        return self._last_time

    def _plan_partner(self, number: int, api_keys: tuple[str, ...]) -> _PartnerPlan:
        _, partner_id = self._new_id("partner")
        _, user_id = self._new_id("user")
        workspace_seq, workspace_id = self._new_id("workspace")
        connection_seq, connection_id = self._new_id("connection")
        return _PartnerPlan(
            number=number,
            api_keys=api_keys,
            partner_id=partner_id,
            user_id=user_id,
            workspace_id=workspace_id,
            workspace_seq=workspace_seq,
            connection_id=connection_id,
            connection_seq=connection_seq,
            created_at=self._timestamp(),
        )

    def _install_partner(self, plan: _PartnerPlan) -> SeedInfo:
        suffix = "" if plan.number == 1 else f" {plan.number}"
        user = User(
            id=plan.user_id,
            email=f"partner{plan.number}@partner.filed.emulator",
            name=f"Demo Partner{suffix}",
            role="owner",
        )
        partner = Partner(id=plan.partner_id, name=f"Demo Partner{suffix}", user=user, api_keys=list(plan.api_keys))
        display_name = f"Demo Tax Firm{suffix}"
        slug = self._unique_slug(display_name)
        workspace = Workspace(
            id=plan.workspace_id,
            seq=plan.workspace_seq,
            partnerId=partner.id,
            slug=slug,
            displayName=display_name,
            status="active",
            workspaceType="partner",
            metadata=None,
            firmSize="sm",
            createdAt=plan.created_at,
            updatedAt=plan.created_at,
            users=[user],
        )
        connection = ProviderConnection(
            id=plan.connection_id,
            seq=plan.connection_seq,
            partnerId=partner.id,
            workspaceId=workspace.id,
            providerKey=SEED_PROVIDER_KEY,
            status=CONNECTION_ACTIVE,
            action=None,
            displayName=PROVIDERS[SEED_PROVIDER_KEY]["name"],
            settings={},
            provider=dict(PROVIDERS[SEED_PROVIDER_KEY]),
            createdAt=plan.created_at,
            updatedAt=plan.created_at,
        )
        partner.workspaces.append(workspace)
        workspace.connection_list.append(connection)
        self._partners[partner.id] = partner
        for key in plan.api_keys:
            self._partner_by_key[key] = partner
        self._workspaces[workspace.id] = workspace
        self._connections[connection.id] = connection
        return SeedInfo(
            partner_id=partner.id,
            api_keys=plan.api_keys,
            user_id=user.id,
            workspace_id=workspace.id,
            workspace_slug=slug,
            connection_id=connection.id,
        )

    def reset(self) -> SeedInfo:
        """Back to the seeded partner, workspace and connection, with the same ids and API keys."""
        with self._lock:
            self._partners: dict[str, Partner] = {}
            self._partner_by_key: dict[str, Partner] = {}
            self._workspaces: dict[str, Workspace] = {}
            self._slugs: set[str] = set()
            self._connections: dict[str, ProviderConnection] = {}
            self._jobs: dict[str, ConnectionJob] = {}
            self._job_works: dict[str, JobWork] = {}
            self._job_work_by_work: dict[str, JobWork] = {}
            self._tokens: dict[str, Session] = {}
            self._rejected = {WORKS.name: 0, ARTIFACTS.name: 0}
            self.logins = 0
            self.seed = self._install_partner(self._seed_plan)
            return self.seed

    def add_partner(self, api_key: str | None = None) -> SeedInfo:
        """Another partner (with its own workspace and active connection), to test isolation."""
        with self._lock:
            key = api_key or f"filed-emulator-{secrets.token_hex(16)}"
            if key in self._partner_by_key:
                raise bad_input("API key already belongs to a partner")
            plan = self._plan_partner(len(self._partners) + 1, (key,))
            return self._install_partner(plan)

    def _unique_slug(self, display_name: str) -> str:
        base = slugify(display_name)
        slug = base
        for number in itertools.count(2):
            if slug not in self._slugs:
                break
            slug = f"{base}-{number}"
        self._slugs.add(slug)
        return slug

    def login(self, api_key: str, ttl_s: float) -> str:
        """Exchange a known API key for a fresh opaque access token."""
        with self._lock:
            partner = self._partner_by_key.get(api_key)
            if partner is None:
                raise ApiError(UNAUTHENTICATED, "invalid API key")
            token = secrets.token_urlsafe(32)
            self._tokens[token] = Session(partner=partner, user=partner.user, expires_at=now() + ttl_s)
            self.logins += 1
            return token

    def authenticate(self, token: str | None) -> Session:
        """The session of a bearer token; missing, unknown or expired tokens are UNAUTHENTICATED."""
        if not token:
            raise ApiError(UNAUTHENTICATED, "missing bearer access token")
        with self._lock:
            session = self._tokens.get(token)
            if session is None:
                raise ApiError(UNAUTHENTICATED, "invalid access token")
            if now() >= session.expires_at:
                del self._tokens[token]
                raise ApiError(UNAUTHENTICATED, "access token expired")
            return session

    @staticmethod
    def me(session: Session) -> Me:
        return Me(id=session.user.id, email=session.user.email, name=session.user.name, partner=session.partner)

    def _workspace_for(self, partner: Partner, workspace_id: str) -> Workspace:
        workspace = self._workspaces.get(workspace_id)
        if workspace is None or workspace.partnerId != partner.id:
            raise not_found("workspace", workspace_id)
        return workspace

    def _connection_for(self, partner: Partner, connection_id: str) -> ProviderConnection:
        connection = self._connections.get(connection_id)
        if connection is None or connection.partnerId != partner.id:
            raise not_found("provider connection", connection_id)
        return connection

    def _job_for(self, partner: Partner, job_id: str) -> ConnectionJob:
        job = self._jobs.get(job_id)
        if job is None or job.partnerId != partner.id:
            raise not_found("connection job", job_id)
        return job

    @staticmethod
    def _require_pending(job: ConnectionJob, status_case: str) -> None:
        if job.phase(now()) != PHASE_PENDING:
            status = cased(job.status, status_case)
            raise bad_input(
                f"connection job {job.id} has status {status!r}: this status no longer accepts works",
                connectionJobId=job.id,
                status=status,
            )

    def workspaces(self, partner: Partner, ids: Sequence[str] | None) -> list[Workspace]:
        with self._lock:
            if ids is None:
                return list(partner.workspaces)
            wanted = set(ids)
            return [workspace for workspace in partner.workspaces if workspace.id in wanted]

    def create_workspace(self, partner: Partner, display_name: str, metadata: Any, firm_size: str | None) -> Workspace:
        name = _required_text(display_name, "displayName").strip()
        if firm_size is not None and firm_size not in FIRM_SIZES:
            raise bad_input(f"firmSize must be one of {', '.join(FIRM_SIZES)}, got {firm_size!r}", field="firmSize")
        with self._lock:
            seq, workspace_id = self._new_id("workspace")
            created = self._timestamp()
            workspace = Workspace(
                id=workspace_id,
                seq=seq,
                partnerId=partner.id,
                slug=self._unique_slug(name),
                displayName=name,
                status="active",
                workspaceType="partner",
                metadata=metadata,
                firmSize=firm_size,
                createdAt=created,
                updatedAt=created,
                users=[partner.user],
            )
            self._workspaces[workspace.id] = workspace
            partner.workspaces.append(workspace)
            return workspace

    def add_users(self, partner: Partner, workspace_id: str, emails: Sequence[str]) -> list[User]:
        """Add users by email (an email already in the workspace returns that user); all-or-nothing."""
        cleaned = [email.strip() for email in emails]
        for email in cleaned:
            local, at, domain = email.partition("@")
            if not (local and at and domain):
                raise bad_input(f"invalid email {email!r}", field="userEmails")
        with self._lock:
            workspace = self._workspace_for(partner, workspace_id)
            by_email = {user.email.lower(): user for user in workspace.users}
            result: list[User] = []
            for email in cleaned:
                user = by_email.get(email.lower())
                if user is None:
                    _, user_id = self._new_id("user")
                    user = User(id=user_id, email=email, name=email.partition("@")[0], role="member")
                    workspace.users.append(user)
                    by_email[email.lower()] = user
                result.append(user)
            return result

    def start_connection(
        self, partner: Partner, workspace_id: str, provider_key: str, inputs: Any
    ) -> ProviderConnection:
        key = _required_text(provider_key, "providerKey").strip()
        start_inputs = _json_object(inputs, "inputs")
        with self._lock:
            workspace = self._workspace_for(partner, workspace_id)
            provider = dict(PROVIDERS.get(key, {"name": key, "category": "partner"}))
            display_name = start_inputs.get("displayName")
            seq, connection_id = self._new_id("connection")
            created = self._timestamp()
            connection = ProviderConnection(
                id=connection_id,
                seq=seq,
                partnerId=partner.id,
                workspaceId=workspace.id,
                providerKey=key,
                status=CONNECTION_PENDING,
                action="collect",
                displayName=display_name if isinstance(display_name, str) else provider["name"],
                settings=None,
                provider=provider,
                createdAt=created,
                updatedAt=created,
                start_inputs=start_inputs,
            )
            self._connections[connection.id] = connection
            workspace.connection_list.append(connection)
            return connection

    def collect_connection(self, partner: Partner, connection_id: str, inputs: Any) -> ProviderConnection:
        """Verify a connection: active with its settings echoed, or failed when inputs say ``fail``."""
        collect_inputs = _json_object(inputs, "inputs")
        with self._lock:
            connection = self._connection_for(partner, connection_id)
            if collect_inputs.get("fail") is True:
                connection.status = CONNECTION_FAILED
                connection.action = "collect"
            else:
                connection.status = CONNECTION_ACTIVE
                connection.action = None
                connection.settings = {**connection.start_inputs, **collect_inputs}
            connection.updatedAt = self._timestamp()
            return connection

    def list_connections(
        self, workspace: Workspace, filters: Mapping[str, Any] | None, page: Page
    ) -> list[ProviderConnection]:
        with self._lock:
            items: list[ProviderConnection] = list(workspace.connection_list)
        filters = filters or {}
        if filters.get("ids") is not None:
            ids = set(filters["ids"])
            items = [c for c in items if c.id in ids]
        if filters.get("statuses") is not None:
            statuses = {status.lower() for status in filters["statuses"]}
            items = [c for c in items if c.status.lower() in statuses]
        if filters.get("providerKeys") is not None:
            keys = set(filters["providerKeys"])
            items = [c for c in items if c.providerKey in keys]
        if filters.get("categories") is not None:
            categories = set(filters["categories"])
            items = [c for c in items if c.provider["category"] in categories]
        return window(items, page)

    def create_job(self, partner: Partner, connection_id: str, job_name: str) -> ConnectionJob:
        with self._lock:
            connection = self._connection_for(partner, connection_id)
            if connection.status != CONNECTION_ACTIVE:
                raise bad_input(
                    f"provider connection {connection.id} is {connection.status!r}, not 'active'",
                    connectionId=connection.id,
                )
            name = _required_text(job_name, "jobName").strip()
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

    def _create(
        self,
        job: ConnectionJob,
        inputs: Sequence[Mapping[str, Any]],
        rules: CreateRules,
        kind: _Kind,
        existing: set[str],
        owner: str,
        build: Callable[[Sequence[Mapping[str, Any]], float], list[T]],
    ) -> list[T]:
        """The one create path of works and artifacts: check, refuse reused externalIds (unless lenient), build.

        ``existing`` holds the externalIds already used in ``owner`` (its connection, or its job work).
        """
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
        if not rules.lenient:
            conflicts, attempts = _duplicates(external_ids, existing)
            if conflicts:
                self._rejected[kind.name] += attempts
                raise ApiError(
                    CONFLICT, f"externalId already used in {owner}: {_listed(conflicts)}", externalIds=conflicts
                )
        records = build(inputs, self._timestamp())
        existing.update(external_ids)
        return records

    def create_job_works(
        self,
        partner: Partner,
        job_id: str,
        inputs: Sequence[Mapping[str, Any]],
        max_inputs: int,
        *,
        lenient: bool = False,
        status_case: str = "lower",
    ) -> list[JobWork]:
        """Create one work per input, all or nothing; an externalId is unique within the connection unless lenient."""
        with self._lock:
            job = self._job_for(partner, job_id)
            connection = self._connections[job.connectionId]
            created = self._create(
                job,
                inputs,
                CreateRules(max_inputs, lenient, status_case),
                WORKS,
                connection.work_external_ids,
                f"provider connection {connection.id}",
                functools.partial(self._job_works_of, job),
            )
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
            job_works.append(JobWork(job_work_id, seq, created, job.workspaceId, work_id, job.id, work, job))
        return job_works

    def create_job_work_artifacts(
        self,
        partner: Partner,
        job_work_id: str,
        inputs: Sequence[Mapping[str, Any]],
        max_inputs: int,
        *,
        lenient: bool = False,
        status_case: str = "lower",
    ) -> list[JobArtifact]:
        """Attach artifacts to a job work, all or nothing; an externalId is unique within the job work unless lenient."""
        with self._lock:
            job_work = self._job_works.get(job_work_id)
            if job_work is None or job_work.job.partnerId != partner.id:
                raise not_found("job work", job_work_id)
            created = self._create(
                job_work.job,
                inputs,
                CreateRules(max_inputs, lenient, status_case),
                ARTIFACTS,
                job_work.artifact_external_ids,
                f"job work {job_work.id}",
                functools.partial(self._artifacts_of, job_work),
            )
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
                JobArtifact(job_artifact_id, created, job.workspaceId, artifact_id, job.id, job_work.id, artifact)
            )
        return job_artifacts

    def trigger_job(
        self,
        partner: Partner,
        job_id: str,
        processing_time_s: float,
        failure_pattern: str,
        *,
        status_case: str = "lower",
    ) -> ConnectionJob:
        """Start processing: outcomes are decided now, statuses follow the clock on every read."""
        pattern = re.compile(failure_pattern)
        with self._lock:
            job = self._job_for(partner, job_id)
            if job.phase(now()) != PHASE_PENDING:
                status = cased(job.status, status_case)
                raise bad_input(
                    f"connection job {job.id} was already triggered (status {status!r})",
                    connectionJobId=job.id,
                    status=status,
                )
            for job_work in job.job_works:
                failed = False
                for job_artifact in job_work.jobWorkArtifacts:
                    artifact = job_artifact.workArtifact
                    if artifact.url is None:
                        artifact.failure_reason = "no url"
                    elif pattern.search(artifact.url):
                        artifact.failure_reason = (
                            f"download failed: url matches the failure pattern {pattern.pattern!r}"
                        )
                    failed = failed or artifact.failure_reason is not None
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

    def _duplicate_stats(self) -> dict[str, Any]:
        """externalIds held more than once: works per connection and per job, artifacts per job work."""
        by_connection: list[str] = []
        by_job: dict[str, list[str]] = {}
        artifacts: dict[str, list[str]] = {}
        for connection in self._connections.values():
            if len(connection.work_external_ids) < len(connection.job_works):
                by_connection += _repeated(job_work.work.externalId for job_work in connection.job_works)
                for job in {job_work.job.id: job_work.job for job_work in connection.job_works}.values():
                    repeated = _repeated(job_work.work.externalId for job_work in job.job_works)
                    if repeated:
                        by_job[job.id] = repeated
            for job_work in connection.job_works:
                if len(job_work.artifact_external_ids) < len(job_work.jobWorkArtifacts):
                    artifacts[job_work.id] = _repeated(a.workArtifact.externalId for a in job_work.jobWorkArtifacts)
        return {
            "duplicate_work_external_ids": by_connection,
            "duplicate_work_external_ids_by_job": by_job,
            "duplicate_artifact_external_ids": artifacts,
        }

    def stats(self) -> dict[str, Any]:
        """Counts derived from the stored data (jobs, works, duplicates) for ``/_emulator/stats``."""
        with self._lock:
            jobs = list(self._jobs.values())
            return {
                "works_per_job": {job.id: len(job.job_works) for job in jobs},
                "artifacts_per_job": {job.id: job.artifact_count for job in jobs},
                "jobs": {job.id: job.status for job in jobs},
                "duplicate_external_ids_rejected": self._rejected[WORKS.name],
                "duplicate_artifact_external_ids_rejected": self._rejected[ARTIFACTS.name],
                **self._duplicate_stats(),
                "logins": self.logins,
                "active_tokens": sum(1 for s in self._tokens.values() if s.expires_at > now()),
            }
