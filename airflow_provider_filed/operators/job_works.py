"""Create one job work per client in a connection job, exactly once per externalId."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context

from airflow_provider_filed.operators.base import (
    CONNECTION_JOB_ID_KEY,
    FiledBaseOperator,
    fail_fast_on_permanent_errors,
)


class CreateJobWorksOperator(FiledBaseOperator):
    """Create the works (one per client) of a connection job, in concurrent batches.

    Every row is validated before any request (row number, field, reason; duplicate externalIds).
    The connection job is read first and only missing externalIds are created, so a task retry —
    or a write whose answer was lost — never creates a client twice. Map it over client batches
    with ``.partial(connection_job_id=...).expand(works=batches)``.

    :param connection_job_id: the connection job to fill (templated).
    :param works: ``[{"name": ..., "externalId": ...}]`` (templated, or an upstream XComArg), or the
        path of a ``.csv`` (columns ``name,externalId``), ``.jsonl`` or ``.json`` file.
    :param batch_size: works per request (default: the connection's ``batch_size``, 500).
    :param max_concurrency: requests in flight (default: the connection's ``max_concurrency``, 4).
    :param read_first: read the job before the first attempt too (retries always do). Off by default:
        many mapped tasks filling one new job would each read all of it; a clash surfaces as a
        ``CONFLICT`` and is reconciled the same way.
    :return: JSON-safe ``{connection_job_id, total, created, already_present, job_work_ids}``.
    """

    template_fields: Sequence[str] = (*FiledBaseOperator.template_fields, "connection_job_id", "works")

    def __init__(
        self,
        *,
        connection_job_id: str,
        works: str | Sequence[Any],
        batch_size: int | None = None,
        max_concurrency: int | None = None,
        read_first: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.read_first = read_first
        self.connection_job_id = connection_job_id
        self.works = works
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_filed.client.bulk import JobWorksImport
        from airflow_provider_filed.client.inputs import parse_job_works
        from airflow_provider_filed.operators.sources import load_rows

        context["ti"].xcom_push(key=CONNECTION_JOB_ID_KEY, value=self.connection_job_id)
        with fail_fast_on_permanent_errors():
            inputs = parse_job_works(load_rows(self.works, required=("name", "externalId")))
            target = self.hook.target(
                self.connection_job_id, workspace_id=self.workspace_id, connection_id=self.connection_id
            )
            self.log.info("Creating %s works in connection job %s", f"{len(inputs):,}", self.connection_job_id)
            importer = JobWorksImport(self.hook.client, target, on_progress=self._log_progress)
            result = importer.run(
                inputs,
                batch_size=self.batch_size,
                max_concurrency=self.max_concurrency,
                read_first=context["ti"].try_number > 1 or self.read_first,
            )
        self.log.info(
            "Connection job %s: %s works created, %s already there",
            self.connection_job_id,
            f"{result.created:,}",
            f"{result.already_present:,}",
        )
        return result.model_dump(mode="json")

    def _log_progress(self, done: int, total: int) -> None:
        self.log.info("created %s/%s works", f"{done:,}", f"{total:,}")
