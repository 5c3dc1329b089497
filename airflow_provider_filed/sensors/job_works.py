"""``JobWorksSensor``: wait until the job works of an import are done — poke, reschedule or deferrable."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, Context, PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

from airflow_provider_filed.operators.base import CONNECTION_JOB_ID_KEY, FiledTask, fail_fast_on_permanent_errors

if TYPE_CHECKING:
    from airflow_provider_filed.client.statuses import StatusSets


class JobWorksSensor(FiledTask, BaseSensorOperator):
    """Succeed when every job work (and, if asked, every artifact) is terminal with few enough failures.

    Each poke reads ``jobWorks`` to an empty page with a minimal selection and logs one line (counts by
    status, percent done). Failures beyond ``max_failed`` fail the task at once, naming the first 20
    failed works with Filed's reason; so does a job with no works at all (a wrong id, or nothing was
    created). Returns (XCom) a JSON summary: counts and failed externalIds.

    :param connection_job_id: wait for all works of this connection job (templated), or
    :param job_work_ids: wait for these job works only (templated).
    :param expected_works: how many works the import created (templated, e.g. from upstream): the sensor
        never succeeds having seen fewer, and 0 means an empty job is a success.
    :param success_statuses: / :param failure_statuses: override the connection's status sets.
    :param include_artifacts: also require every artifact to be terminal, and count failed artifacts.
    :param max_failed: failures tolerated: a count (>= 1) or a fraction (< 1) of the works; default 0.
    :param deferrable: wait in the triggerer; defaults to ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = (
        *FiledTask.template_fields,
        "connection_job_id",
        "job_work_ids",
        "max_failed",
        "expected_works",
    )

    def __init__(
        self,
        *,
        connection_job_id: str | None = None,
        job_work_ids: Sequence[str] | None = None,
        success_statuses: Sequence[str] | None = None,
        failure_statuses: Sequence[str] | None = None,
        include_artifacts: bool = False,
        max_failed: float | str = 0,
        expected_works: int | str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not connection_job_id and not job_work_ids:
            raise ValueError("JobWorksSensor needs connection_job_id or job_work_ids")
        if not isinstance(max_failed, str) and max_failed < 0:
            raise ValueError("max_failed must be a count or a fraction >= 0")
        self.connection_job_id = connection_job_id
        self.job_work_ids = job_work_ids
        self.success_statuses = list(success_statuses) if success_statuses else None
        self.failure_statuses = list(failure_statuses) if failure_statuses is not None else None
        self.include_artifacts = include_artifacts
        self.max_failed = max_failed
        self.expected_works = expected_works
        self.deferrable = deferrable

    def _max_failed(self) -> float:
        """``max_failed`` as rendered (a template such as ``{{ params.max_failed }}`` arrives as text)."""
        from airflow_provider_filed.client.progress import allowed_failures

        try:
            value = float(self.max_failed)
            allowed_failures(value, 0)
        except ValueError as exc:
            raise AirflowFailException(
                f"max_failed must be a count or a fraction >= 0, got {self.max_failed!r}"
            ) from exc
        return value

    def _expected_works(self) -> int | None:
        """``expected_works`` as rendered (an XCom or template arrives as text); None when not given."""
        if self.expected_works is None or self.expected_works == "":
            return None
        try:
            value = int(self.expected_works)
        except (TypeError, ValueError):
            value = -1
        if value < 0:
            raise AirflowFailException(f"expected_works must be a count >= 0, got {self.expected_works!r}")
        return value

    def _statuses(self) -> StatusSets:
        return self.hook.settings.statuses.overridden(self.success_statuses, self.failure_statuses)

    @contextmanager
    def _ending_the_wait(self, ti: Any) -> Iterator[None]:
        """Forget the deadline once the wait has ended for good: success, failure, timeout, or a last try."""
        from airflow.sdk.exceptions import TaskDeferred

        from airflow_provider_filed.sensors.deadline import forget_deadline

        try:
            yield
        except (AirflowFailException, AirflowSensorTimeout):
            forget_deadline(ti)
            raise
        except Exception as exc:
            waiting_on = isinstance(exc, TaskDeferred) or "Reschedule" in type(exc).__name__
            if not waiting_on and ti.try_number > ti.max_tries:  # no retry will read it
                forget_deadline(ti)
            raise
        forget_deadline(ti)

    def execute(self, context: Context) -> Any:
        from airflow_provider_filed.sensors.deadline import absolute_deadline

        ti = context["ti"]
        if self.connection_job_id:
            ti.xcom_push(key=CONNECTION_JOB_ID_KEY, value=self.connection_job_id)
        self._deadline = absolute_deadline(ti, self.timeout)
        with self._ending_the_wait(ti):
            if not self.deferrable:
                return super().execute(context)
            self._defer()

    def _defer(self) -> None:
        from airflow_provider_filed.triggers.job_works import JobWorksTrigger

        with fail_fast_on_permanent_errors():
            self._statuses()
            trigger = JobWorksTrigger(
                filed_conn_id=self.filed_conn_id,
                workspace_id=self.hook.require(self.workspace_id, "workspace_id"),
                connection_id=self.hook.require(self.connection_id, "connection_id"),
                end_time=self._deadline,
                connection_job_id=self.connection_job_id,
                job_work_ids=list(self.job_work_ids) if self.job_work_ids else None,
                success_statuses=self.success_statuses,
                failure_statuses=self.failure_statuses,
                include_artifacts=self.include_artifacts,
                max_failed=self._max_failed(),
                expected_works=self._expected_works(),
                poll_interval=self.poke_interval,
            )
        remaining = max(0.0, self._deadline - time.time())
        self.defer(trigger=trigger, method_name="execute_complete", timeout=timedelta(seconds=remaining))

    def poke(self, context: Context) -> PokeReturnValue:
        from airflow_provider_filed.client.progress import job_works_progress

        if time.time() >= self._deadline:
            raise AirflowSensorTimeout(
                f"job works not done by the deadline ({self.timeout:,.0f} s after this sensor's first try began)"
            )
        with fail_fast_on_permanent_errors():
            summary = self.hook.client.run(
                job_works_progress(
                    self.hook.require(self.workspace_id, "workspace_id"),
                    self.hook.require(self.connection_id, "connection_id"),
                    connection_job_id=self.connection_job_id,
                    job_work_ids=self.job_work_ids,
                    statuses=self._statuses(),
                    include_artifacts=self.include_artifacts,
                    expected=self._expected_works(),
                    paging=self.hook.settings.client.paging,
                )
            )
        self.log.info("%s", summary.describe())
        verdict = summary.verdict(self._max_failed())
        if verdict == "failed":
            raise AirflowFailException(summary.failure_message())
        return PokeReturnValue(is_done=verdict == "success", xcom_value=summary.model_dump(mode="json"))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume from the trigger; only the closed set of events is accepted, anything else fails."""
        with self._ending_the_wait(context["ti"]):
            return self._resumed(event)

    def _resumed(self, event: dict[str, Any] | None) -> Any:
        from airflow_provider_filed.triggers.job_works import JobWorksEvent

        status = event.get("status") if isinstance(event, dict) else None
        message = str(event.get("message", "")) if isinstance(event, dict) else ""
        if status == JobWorksEvent.SUCCESS.value:
            self.log.info("%s", message)
            return event["summary"]  # type: ignore[index]
        if status == JobWorksEvent.FAILED.value:
            raise AirflowFailException(message)
        if status == JobWorksEvent.TIMEOUT.value:
            raise AirflowSensorTimeout(message)
        if status == JobWorksEvent.ERROR.value:
            raise AirflowException(message)
        raise AirflowException(f"unexpected trigger event {event!r}: refusing to treat it as success")
