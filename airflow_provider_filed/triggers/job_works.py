"""``JobWorksTrigger``: polls job works from the triggerer with the async client; it only ever reads."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import time
from collections.abc import AsyncIterator, Sequence
from enum import Enum
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_filed.client import job_works_progress
from airflow_provider_filed.hooks.filed import FiledHook


class JobWorksEvent(str, Enum):
    """The closed set of events the trigger emits; ``execute_complete`` refuses anything else."""

    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"
    ERROR = "error"


class JobWorksTrigger(BaseTrigger):
    """Wait until every job work is terminal (or failures exceed ``max_failed``), or until ``end_time``.

    ``end_time`` is an absolute wall-clock deadline (epoch seconds) carried by the trigger itself:
    ``dag.test()`` ignores ``defer(timeout=...)``, and a triggerer restart must not extend the wait.
    """

    def __init__(
        self,
        *,
        filed_conn_id: str,
        workspace_id: str,
        connection_id: str,
        end_time: float,
        connection_job_id: str | None = None,
        job_work_ids: Sequence[str] | None = None,
        success_statuses: Sequence[str] | None = None,
        failure_statuses: Sequence[str] | None = None,
        include_artifacts: bool = False,
        max_failed: float = 0,
        expected_works: int | None = None,
        poll_interval: float = 30.0,
    ) -> None:
        super().__init__()
        self.filed_conn_id = filed_conn_id
        self.workspace_id = workspace_id
        self.connection_id = connection_id
        self.end_time = float(end_time)
        self.connection_job_id = connection_job_id
        self.job_work_ids = list(job_work_ids) if job_work_ids else None
        self.success_statuses = list(success_statuses) if success_statuses else None
        self.failure_statuses = list(failure_statuses) if failure_statuses is not None else None
        self.include_artifacts = bool(include_artifacts)
        self.max_failed = float(max_failed)
        self.expected_works = None if expected_works is None else int(expected_works)
        self.poll_interval = float(poll_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "filed_conn_id": self.filed_conn_id,
                "workspace_id": self.workspace_id,
                "connection_id": self.connection_id,
                "end_time": self.end_time,
                "connection_job_id": self.connection_job_id,
                "job_work_ids": self.job_work_ids,
                "success_statuses": self.success_statuses,
                "failure_statuses": self.failure_statuses,
                "include_artifacts": self.include_artifacts,
                "max_failed": self.max_failed,
                "expected_works": self.expected_works,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            event = await self._wait()
        except Exception as exc:
            event = _event(JobWorksEvent.ERROR, f"polling Filed failed: {exc}")
        yield event

    async def _wait(self) -> TriggerEvent:
        await asyncio.to_thread(_import_lazy_modules)
        hook = FiledHook(self.filed_conn_id)
        settings = await hook.asettings()
        statuses = settings.statuses.overridden(self.success_statuses, self.failure_statuses)
        # One page per response, one response at a time: each parse and tally stays short, so the
        # triggerer's loop (which shares the GIL and the garbage collector) is never held for long.
        paging = dataclasses.replace(settings.client.paging, pages_per_request=1, max_concurrency=1)
        async with await hook.get_async_client() as client:
            while True:
                summary = await client.run(
                    job_works_progress(
                        self.workspace_id,
                        self.connection_id,
                        connection_job_id=self.connection_job_id,
                        job_work_ids=self.job_work_ids,
                        statuses=statuses,
                        include_artifacts=self.include_artifacts,
                        expected=self.expected_works,
                        paging=paging,
                    )
                )
                self.log.info("%s", summary.describe())
                verdict = summary.verdict(self.max_failed)
                if verdict == "success":
                    return _event(JobWorksEvent.SUCCESS, summary.describe(), summary.model_dump(mode="json"))
                if verdict == "failed":
                    return _event(JobWorksEvent.FAILED, summary.failure_message(), summary.model_dump(mode="json"))
                remaining = self.end_time - time.time()
                if remaining <= 0:
                    return _event(
                        JobWorksEvent.TIMEOUT,
                        f"job works not done by the deadline: {summary.describe()}",
                        summary.model_dump(mode="json"),
                    )
                await asyncio.sleep(min(self.poll_interval, remaining))


#: Modules the first poll would import on the triggerer's event loop, blocking it (~0.1 s): Airflow's async
#: connection lookup and httpx's async backend. Whatever a version of them lacks is simply not preloaded.
LAZY_MODULES = (
    "airflow.sdk.definitions.connection",
    "airflow.sdk.execution_time.cache",
    "airflow.sdk.execution_time.supervisor",
    "asgiref.sync",
    "sniffio",
    "anyio.abc",
    "anyio.lowlevel",
    "anyio.streams.memory",
    "anyio.streams.stapled",
    "anyio.streams.tls",
    "anyio._core._sockets",
    "anyio._core._streams",
)


def _import_lazy_modules() -> None:
    for name in LAZY_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _event(status: JobWorksEvent, message: str, summary: dict[str, Any] | None = None) -> TriggerEvent:
    return TriggerEvent({"status": status.value, "message": message, "summary": summary})
