"""Attach each client's files to its job work, several job works per request, exactly once per artifact."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowException

from airflow_provider_filed.client.errors import FiledInputError
from airflow_provider_filed.operators.base import (
    CONNECTION_JOB_ID_KEY,
    FiledBaseOperator,
    fail_fast_on_permanent_errors,
)


def load_artifacts(source: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """The artifact mapping as given, or read from a ``.json`` file holding it."""
    if not isinstance(source, str):
        return source
    path = Path(source)
    if not path.is_file():
        raise FiledInputError(f"file not found: {path}", source="artifacts")
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise FiledInputError(f"not valid JSON: {exc}", source=str(path)) from None
    if not isinstance(loaded, Mapping):
        raise FiledInputError("must hold an object {client externalId: [artifacts]}", source=str(path))
    return loaded


class CreateJobWorkArtifactsOperator(FiledBaseOperator):
    """Attach files to the job works created upstream; Filed downloads each from its ``url``.

    :param connection_job_id: the connection job whose works receive the files (templated).
    :param artifacts: ``{client externalId: [{name, type, url, externalId, metadata}]}`` (templated,
        an XComArg, or the path of a ``.json`` file holding it). Validated before any request.
    :return: JSON-safe ``{total, created, already_present, job_works, errors}``. Per-work errors
        fail the task after every other work got its files, naming each failed client.
    """

    template_fields: Sequence[str] = (*FiledBaseOperator.template_fields, "connection_job_id", "artifacts")

    def __init__(self, *, connection_job_id: str, artifacts: str | Mapping[str, Sequence[Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.connection_job_id = connection_job_id
        self.artifacts = artifacts

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_filed.client.bulk import ArtifactsImport
        from airflow_provider_filed.client.inputs import parse_artifacts

        context["ti"].xcom_push(key=CONNECTION_JOB_ID_KEY, value=self.connection_job_id)
        with fail_fast_on_permanent_errors():
            artifacts = parse_artifacts(load_artifacts(self.artifacts))
            target = self.hook.target(
                self.connection_job_id, workspace_id=self.workspace_id, connection_id=self.connection_id
            )
            result = ArtifactsImport(self.hook.client, target, on_progress=self._log_progress).run(artifacts)
        self.log.info(
            "Connection job %s: %s artifacts attached, %s already there, %d job works failed",
            self.connection_job_id,
            f"{result.created:,}",
            f"{result.already_present:,}",
            len(result.errors),
        )
        if result.errors:
            shown = "\n".join(f"  {client}: {why}" for client, why in list(result.errors.items())[:20])
            raise AirflowException(f"artifacts failed for {len(result.errors)} client(s):\n{shown}")
        return result.model_dump(mode="json")

    def _log_progress(self, done: int, total: int) -> None:
        self.log.info("attached %s/%s artifacts", f"{done:,}", f"{total:,}")
