"""Attach each client's files to its job work, several job works per request, exactly once per artifact."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowException

from airflow_provider_filed.client.errors import FiledInputError
from airflow_provider_filed.operators.base import InConnectionJobOperator, fail_fast_on_permanent_errors, one_of

if TYPE_CHECKING:
    from airflow_provider_filed.client.bulk import OnUnattachable


def load_artifacts(source: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """The artifact mapping as given, or read from a ``.json`` file (path or URI) holding it."""
    if not isinstance(source, str):
        return source
    from airflow_provider_filed.push_import.files import read_json

    loaded = read_json(source)
    if not isinstance(loaded, Mapping):
        raise FiledInputError("must hold an object {client externalId: [artifacts]}", source=source)
    return loaded


def job_work_ids_of(value: Mapping[str, Any] | None) -> dict[str, str] | None:
    """``{client externalId: job work id}`` from a mapping, or from the result of ``CreateJobWorksOperator``."""
    from airflow_provider_filed.client.models import normalise_text

    if value is None:
        return None
    nested = value.get("job_work_ids")
    ids: Mapping[str, Any] = nested if isinstance(nested, Mapping) else value
    return {normalise_text(str(client)): str(job_work) for client, job_work in ids.items()}


class CreateJobWorkArtifactsOperator(InConnectionJobOperator):
    """Attach files to the job works of a connection job; Filed downloads each from its ``url``.

    Exactly once per artifact ``externalId``: what Filed already holds is skipped. Documents of clients
    imported by an earlier connection job cannot be attached once that job was triggered: they are
    reported (count and first ids, ``unattachable`` in the result) and do not fail the task unless
    ``on_unattachable="fail"``.

    :param connection_job_id: the connection job whose works receive the files (templated).
    :param artifacts: ``{client externalId: [{name, type, url, externalId, metadata}]}`` (templated,
        an XComArg, or the path or URI of a ``.json`` file holding it). Validated before any request.
        ``None``: a batch with no documents (nothing to attach; logged).
    :param job_work_ids: which job work each client has in this job — a mapping, or the result of
        ``CreateJobWorksOperator`` (templated/XComArg). A first attempt then reads nothing before
        attaching; clients not in it are looked up on the provider connection (one read).
    :param on_unattachable: ``"report"`` (default) or ``"fail"`` (before anything is attached).
    :return: JSON-safe ``{total, created, already_present, unattachable, unattachable_external_ids,
        job_works, errors}``. Per-work errors fail the task after every other work got its files,
        naming each failed client.
    """

    template_fields: Sequence[str] = (*InConnectionJobOperator.template_fields, "artifacts", "job_work_ids")

    def __init__(
        self,
        *,
        artifacts: str | Mapping[str, Sequence[Any]] | None,
        job_work_ids: Mapping[str, Any] | None = None,
        on_unattachable: OnUnattachable = "report",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.on_unattachable = one_of("on_unattachable", on_unattachable, ("report", "fail"))
        self.artifacts = artifacts
        self.job_work_ids = job_work_ids

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_filed.client.bulk import ArtifactsImport, ArtifactsImportResult
        from airflow_provider_filed.client.inputs import parse_artifacts

        self.push_connection_job_id(context)
        if self.artifacts is None:
            self.log.info("No documents in this batch: nothing to attach in connection job %s", self.connection_job_id)
            return ArtifactsImportResult.empty(self.connection_job_id).model_dump(mode="json")
        with fail_fast_on_permanent_errors():
            artifacts = parse_artifacts(load_artifacts(self.artifacts))
            target = self.job_target()
            importer = ArtifactsImport(
                self.hook.client, target, on_progress=self._log_progress, on_unattachable=self.on_unattachable
            )
            fresh = context["ti"].try_number == 1
            result = importer.run(artifacts, job_work_ids=job_work_ids_of(self.job_work_ids), fresh=fresh)
        self.log.info(
            "Connection job %s: %s artifacts attached, %s already there, %s unattachable, %d job works failed",
            self.connection_job_id,
            f"{result.created:,}",
            f"{result.already_present:,}",
            f"{result.unattachable:,}",
            len(result.errors),
        )
        if result.errors:
            shown = "\n".join(f"  {client}: {why}" for client, why in list(result.errors.items())[:20])
            raise AirflowException(f"artifacts failed for {len(result.errors)} client(s):\n{shown}")
        return result.model_dump(mode="json")

    def _log_progress(self, done: int, total: int) -> None:
        self.log.info("attached %s/%s artifacts", f"{done:,}", f"{total:,}")
