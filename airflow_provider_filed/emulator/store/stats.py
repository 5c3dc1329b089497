"""What the store holds, counted for ``GET /_emulator/stats``: jobs, works, artifacts, duplicates, logins."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from airflow_provider_filed.emulator.store.imports import ARTIFACTS, WORKS
from airflow_provider_filed.emulator.store.sessions import Sessions


def _repeated(external_ids: Iterable[str]) -> list[str]:
    """The ids that occur more than once, in order of first occurrence."""
    return [external_id for external_id, n in Counter(external_ids).items() if n > 1]


class DataStats(Sessions):
    """Counts derived from the stored data (request counters live in ``emulator.stats``)."""

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
        """Jobs and their works, artifacts and statuses; duplicates refused and held; logins and live tokens."""
        with self._lock:
            jobs = list(self._jobs.values())
            return {
                "works_per_job": {job.id: len(job.job_works) for job in jobs},
                "artifacts_per_job": {job.id: job.artifact_count for job in jobs},
                "jobs": {job.id: job.status for job in jobs},
                "duplicate_external_ids_rejected": self._rejected.get(WORKS.name, 0),
                "duplicate_artifact_external_ids_rejected": self._rejected.get(ARTIFACTS.name, 0),
                **self._duplicate_stats(),
                "logins": self.logins,
                "active_tokens": self.active_tokens(),
            }
