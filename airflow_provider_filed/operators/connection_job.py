"""Open a connection job (an import batch), and trigger its import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context

from airflow_provider_filed.client.documents import ALREADY_TRIGGERED, TRIGGER_CONNECTION_JOB
from airflow_provider_filed.client.errors import FiledError
from airflow_provider_filed.operators.base import (
    CONNECTION_JOB_ID_KEY,
    FiledBaseOperator,
    InConnectionJobOperator,
    fail_fast_on_permanent_errors,
)


class CreateConnectionJobOperator(FiledBaseOperator):
    """Create a connection job and return its id — or reuse the one this DAG opened and has not triggered.

    The open job is remembered in an Airflow Variable per DAG and provider connection (see
    :mod:`airflow_provider_filed.push_import.ledger`), so a retry, a cleared run or the next run adds to it instead of opening a second
    one and stranding the first one's works; it is forgotten once triggered.

    :param job_name: name of the import batch in Filed (templated), e.g. ``"tax-season {{ ds }}"``.
    :param connection_id: provider connection id; defaults to the connection's ``connection_id`` extra.
    :param reuse_open_job: set False to always open a new job (nothing is remembered).
    """

    template_fields: Sequence[str] = (*FiledBaseOperator.template_fields, "job_name")

    def __init__(self, *, job_name: str, reuse_open_job: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job_name = job_name
        self.reuse_open_job = reuse_open_job

    def execute(self, context: Context) -> str:
        from airflow_provider_filed.push_import import ledger

        ti = context["ti"]
        with fail_fast_on_permanent_errors():
            connection_id = self.hook.require(self.connection_id, "connection_id")
            if self.reuse_open_job and (open_job := ledger.open_connection_job(self.hook, ti.dag_id, connection_id)):
                by = "an earlier attempt of this run" if open_job.run_id == ti.run_id else f"run {open_job.run_id}"
                self.log.info(
                    "Reusing connection job %s, opened by %s and not triggered yet", open_job.connection_job_id, by
                )
                ti.xcom_push(key=CONNECTION_JOB_ID_KEY, value=open_job.connection_job_id)
                return open_job.connection_job_id
            try:
                job = self.hook.client.create_connection_job(connection_id, self.job_name)
            except FiledError as exc:
                if exc.maybe_applied:
                    self.log.warning(
                        "Filed may have opened connection job %r on provider connection %s though its answer was"
                        " lost; Filed lists no connection jobs, so a retry opens another. Such a job holds no"
                        " works and is never triggered.",
                        self.job_name,
                        connection_id,
                    )
                raise
        ti.xcom_push(key=CONNECTION_JOB_ID_KEY, value=job.id)
        if self.reuse_open_job:
            ledger.remember(
                ti.dag_id, connection_id, ledger.OpenConnectionJob(connection_job_id=job.id, run_id=ti.run_id)
            )
        self.log.info("Opened connection job %s (%r) on provider connection %s", job.id, job.name, connection_id)
        return job.id


class TriggerConnectionJobOperator(InConnectionJobOperator):
    """Trigger the import of a connection job; Filed then processes its works and downloads their files.

    Filed does not document this operation: the default document is the project's assumption
    (``triggerConnectionJob(connectionJobId: ID!)``). Replace it with ``document`` once Filed confirms
    the real one; it receives ``$connectionJobId``. A job triggered by an earlier attempt counts as done.
    Once triggered, the DAG no longer remembers the job as open.
    """

    template_fields: Sequence[str] = (*InConnectionJobOperator.template_fields, "document")
    template_fields_renderers = {"document": "graphql"}

    def __init__(
        self,
        *,
        document: str = TRIGGER_CONNECTION_JOB,
        already_triggered_pattern: str = ALREADY_TRIGGERED,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.document = document
        self.already_triggered_pattern = already_triggered_pattern

    def execute(self, context: Context) -> str:
        from airflow_provider_filed.push_import import ledger

        self.push_connection_job_id(context)
        ti = context["ti"]
        with fail_fast_on_permanent_errors():
            connection_id = self.hook.require(self.connection_id, "connection_id")
            record = ledger.recall(ti.dag_id, connection_id)
            remembered = record is not None and record.connection_job_id == self.connection_job_id
            if record is not None and remembered:
                custom = self.document if self.document != TRIGGER_CONNECTION_JOB else None
                ledger.remember(
                    ti.dag_id,
                    connection_id,
                    record.model_copy(update={"state": "triggering", "trigger_document": custom}),
                )
            status = self.hook.trigger_connection_job(
                self.connection_job_id, self.document, self.already_triggered_pattern
            )
        if remembered:
            ledger.forget(ti.dag_id, connection_id)
        self.log.info("Triggered connection job %s (status %s)", self.connection_job_id, status)
        return self.connection_job_id
