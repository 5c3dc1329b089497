"""Create one job work per client in a connection job, exactly once per externalId."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import Context

from airflow_provider_filed.operators.base import InConnectionJobOperator, fail_fast_on_permanent_errors, one_of

if TYPE_CHECKING:
    from airflow_provider_filed.client.bulk import ExistingScope, OnExisting


class CreateJobWorksOperator(InConnectionJobOperator):
    """Create the works (one per client) of a connection job, in concurrent batches, exactly once per externalId.

    Every row is validated before any request (row number, field, reason; duplicate externalIds). The
    provider connection's existing externalIds are read once, so a client imported by an earlier
    connection job is skipped (``on_existing="skip"``, logged with a count and reported as
    ``skipped_existing``) or refused (``"fail"``), and a task retry — or a write whose answer was lost —
    never creates a client twice. Map it over client batches with
    ``.partial(connection_job_id=...).expand(works=batches)``.

    :param connection_job_id: the connection job to fill (templated).
    :param works: ``[{"name": ..., "externalId": ...}]`` (templated, or an upstream XComArg), or the
        path or URI (``file://``, ``s3://``…) of a ``.csv`` (columns ``name,externalId``), ``.jsonl`` or
        ``.json`` file. ``None``: a batch with no clients (nothing to create; logged).
    :param on_existing: ``"skip"`` (default) or ``"fail"`` for clients already imported by another job.
    :param check_existing: read the connection's existing externalIds first (default). Set False only when
        an upstream step already excluded them (the example DAGs' ``plan_import`` does): a first attempt
        then creates without reading, and a retry reads this connection job only.
    :param batch_size: works per request (default: the connection's ``batch_size``, 500).
    :param max_concurrency: requests in flight (default: the connection's ``max_concurrency``, 4).
    :return: JSON-safe ``{connection_job_id, total, created, already_present, skipped_existing,
        skipped_external_ids, job_work_ids}``.
    """

    template_fields: Sequence[str] = (*InConnectionJobOperator.template_fields, "works")

    def __init__(
        self,
        *,
        works: str | Sequence[Any] | None,
        on_existing: OnExisting = "skip",
        check_existing: bool = True,
        batch_size: int | None = None,
        max_concurrency: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.on_existing = one_of("on_existing", on_existing, ("skip", "fail"))
        self.works = works
        self.check_existing = check_existing
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_filed.client.bulk import JobWorksImport, JobWorksImportResult
        from airflow_provider_filed.client.inputs import parse_job_works
        from airflow_provider_filed.push_import.files import load_rows

        self.push_connection_job_id(context)
        if self.works is None:
            self.log.info("No clients in this batch: nothing to create in connection job %s", self.connection_job_id)
            return JobWorksImportResult.empty(self.connection_job_id).model_dump(mode="json")
        with fail_fast_on_permanent_errors():
            rows, numbers, unit = load_rows(self.works, required=("name", "externalId"))
            inputs = parse_job_works(rows, numbers=numbers, unit=unit)
            target = self.job_target()
            self.log.info("Creating %s works in connection job %s", f"{len(inputs):,}", self.connection_job_id)
            importer = JobWorksImport(
                self.hook.client, target, on_progress=self._log_progress, on_existing=self.on_existing
            )
            retry = context["ti"].try_number > 1
            existing: ExistingScope = "connection" if self.check_existing else "job" if retry else "none"
            result = importer.run(
                inputs, existing=existing, batch_size=self.batch_size, max_concurrency=self.max_concurrency
            )
        self.log.info(
            "Connection job %s: %s works created, %s already there, %s skipped (imported by an earlier job)",
            self.connection_job_id,
            f"{result.created:,}",
            f"{result.already_present:,}",
            f"{result.skipped_existing:,}",
        )
        return result.model_dump(mode="json")

    def _log_progress(self, done: int, total: int) -> None:
        self.log.info("created %s/%s works", f"{done:,}", f"{total:,}")
