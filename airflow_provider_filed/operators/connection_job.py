"""Open a connection job (an import batch), and trigger its import."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context, Variable

from airflow_provider_filed.client.documents import TRIGGER_CONNECTION_JOB
from airflow_provider_filed.client.errors import FiledValidationError
from airflow_provider_filed.operators.base import (
    CONNECTION_JOB_ID_KEY,
    FiledBaseOperator,
    fail_fast_on_permanent_errors,
)

#: Filed's answer when a connection job was triggered before (by an earlier attempt of this task).
ALREADY_TRIGGERED = r"already triggered|no longer accepts works"


def ledger_key(context: Context) -> str:
    """The Airflow Variable that remembers which connection job this task instance opened."""
    ti = context["ti"]
    return f"filed_connection_job::{ti.dag_id}::{ti.run_id}::{ti.task_id}::{ti.map_index}"


class CreateConnectionJobOperator(FiledBaseOperator):
    """Create a connection job and return its id.

    The id is recorded in an Airflow Variable keyed by DAG run and task, so a retry of this task
    (or a cleared re-run) reuses the job its earlier attempt opened instead of opening a second one.

    :param job_name: name of the import batch in Filed (templated), e.g. ``"tax-season {{ ds }}"``.
    :param connection_id: provider connection id; defaults to the connection's ``connection_id`` extra.
    :param reuse_job_on_retry: set False to always open a new job.
    """

    template_fields: Sequence[str] = (*FiledBaseOperator.template_fields, "job_name")

    def __init__(self, *, job_name: str, reuse_job_on_retry: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job_name = job_name
        self.reuse_job_on_retry = reuse_job_on_retry

    def execute(self, context: Context) -> str:
        key = ledger_key(context)
        if self.reuse_job_on_retry and (job_id := Variable.get(key, default=None)):
            self.log.info("Reusing connection job %s opened by an earlier attempt of this task", job_id)
            return str(job_id)
        with fail_fast_on_permanent_errors():
            connection_id = self.hook.require(self.connection_id, "connection_id")
            job = self.hook.client.create_connection_job(connection_id, self.job_name)
        if self.reuse_job_on_retry:
            Variable.set(key, job.id, description="Filed connection job opened by this task (reused on retry)")
        self.log.info("Opened connection job %s (%r) on provider connection %s", job.id, job.name, connection_id)
        return job.id


class TriggerConnectionJobOperator(FiledBaseOperator):
    """Trigger the import of a connection job; Filed then processes its works and downloads their files.

    Filed does not document this operation: the default document is the project's assumption
    (``triggerConnectionJob(connectionJobId: ID!)``). Replace it with ``document`` once Filed confirms
    the real one; it receives ``$connectionJobId``. A job triggered by an earlier attempt counts as done.
    """

    template_fields: Sequence[str] = (*FiledBaseOperator.template_fields, "connection_job_id", "document")
    template_fields_renderers = {"document": "graphql"}

    def __init__(
        self,
        *,
        connection_job_id: str,
        document: str = TRIGGER_CONNECTION_JOB,
        already_triggered_pattern: str = ALREADY_TRIGGERED,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.connection_job_id = connection_job_id
        self.document = document
        self.already_triggered_pattern = already_triggered_pattern

    def execute(self, context: Context) -> str:
        context["ti"].xcom_push(key=CONNECTION_JOB_ID_KEY, value=self.connection_job_id)
        with fail_fast_on_permanent_errors():
            try:
                job = self.hook.client.trigger_connection_job(self.connection_job_id, self.document)
            except FiledValidationError as exc:
                if not re.search(self.already_triggered_pattern, exc.message, re.IGNORECASE):
                    raise
                self.log.info("Connection job %s was already triggered: %s", self.connection_job_id, exc.message)
                return self.connection_job_id
        self.log.info("Triggered connection job %s (status %s)", job.id, job.status)
        return self.connection_job_id
