"""The store's shared state: the indexes, the id and time sources, one lock, and the lookups by id.

Every resource module (sessions, workspaces, imports, stats) is a mixin over :class:`StoreState`, so a
``Store`` is one object with one lock, and each behaviour lives in the module named after its resource.
"""

from __future__ import annotations

import itertools
import re
import threading
from typing import Any, TypeVar

from airflow_provider_filed.emulator.errors import bad_input, not_found
from airflow_provider_filed.emulator.models import (
    ConnectionJob,
    JobWork,
    Partner,
    ProviderConnection,
    Session,
    Workspace,
    now,
)


def slugify(text: str) -> str:
    """A URL-safe lowercase slug of a display name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "workspace"


def required_text(value: Any, what: str) -> str:
    """``value`` if it is a non-blank string, else BAD_USER_INPUT naming ``what``."""
    if not isinstance(value, str) or not value.strip():
        raise bad_input(f"{what} must not be empty")
    return value


def json_object(value: Any, what: str) -> dict[str, Any]:
    """A JSON object argument (None: empty), else BAD_USER_INPUT naming ``what``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_input(f"{what} must be a JSON object")
    return value


class StoreState:
    """Indexes by id, the creation counter and clock, guarded by one re-entrant lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._counter = itertools.count(1)
        self._last_time = 0.0
        self._clear()

    def _clear(self) -> None:
        """Empty indexes (ids keep increasing, so an id from before never names new data)."""
        self._partners: dict[str, Partner] = {}
        self._partner_by_key: dict[str, Partner] = {}
        self._workspaces: dict[str, Workspace] = {}
        self._slugs: set[str] = set()
        self._connections: dict[str, ProviderConnection] = {}
        self._jobs: dict[str, ConnectionJob] = {}
        self._job_works: dict[str, JobWork] = {}
        self._job_work_by_work: dict[str, JobWork] = {}
        self._tokens: dict[str, Session] = {}
        self._rejected: dict[str, int] = {}
        self.logins = 0

    def _new_id(self, prefix: str) -> tuple[int, str]:
        """A creation sequence number and the id made of it (``job_000000000042``): ids sort in creation order."""
        seq = next(self._counter)
        return seq, prefix + "_" + str(seq).zfill(12)

    def _next_id(self, prefix: str) -> str:
        return prefix + "_" + str(next(self._counter)).zfill(12)

    def _timestamp(self) -> float:
        """Now, never earlier than a time already handed out."""
        self._last_time = max(self._last_time, now())
        return self._last_time

    def _unique_slug(self, display_name: str) -> str:
        base = slugify(display_name)
        slug = base
        for number in itertools.count(2):
            if slug not in self._slugs:
                break
            slug = f"{base}-{number}"
        self._slugs.add(slug)
        return slug

    def _workspace_for(self, partner: Partner, workspace_id: str) -> Workspace:
        return _owned(self._workspaces.get(workspace_id), partner, "workspace", workspace_id)

    def _connection_for(self, partner: Partner, connection_id: str) -> ProviderConnection:
        return _owned(self._connections.get(connection_id), partner, "provider connection", connection_id)

    def _job_for(self, partner: Partner, job_id: str) -> ConnectionJob:
        return _owned(self._jobs.get(job_id), partner, "connection job", job_id)

    def _job_work_for(self, partner: Partner, job_work_id: str) -> JobWork:
        return _owned(self._job_works.get(job_work_id), partner, "job work", job_work_id)


R = TypeVar("R", Workspace, ProviderConnection, ConnectionJob, JobWork)


def _owned(record: R | None, partner: Partner, kind: str, ident: str) -> R:
    """``record`` if it exists and belongs to ``partner``; NOT_FOUND otherwise (another partner's ids included)."""
    if record is None or record.partnerId != partner.id:
        raise not_found(kind, ident)
    return record
