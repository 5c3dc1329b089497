"""Decide what a run of a recurring import must do, and stage it for the mapped tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_filed.operators.base import FiledBaseOperator, fail_fast_on_permanent_errors


def check_run_conf(context: Context) -> None:
    """Fail when the run's conf holds a key the DAG has no param for, naming it and the valid ones."""
    dag_run, dag = context.get("dag_run"), context.get("dag")
    conf = (getattr(dag_run, "conf", None) or {}) if dag_run is not None else {}
    known = set(dag.params) if dag is not None else set()  # the declared params, not merged with the conf
    unknown = sorted(set(conf) - known)
    if unknown:
        raise AirflowFailException(
            f"unknown key(s) in the run's conf: {', '.join(map(repr, unknown))}; "
            f"this DAG's params are: {', '.join(sorted(known)) or 'none'}"
        )


class PlanImportOperator(FiledBaseOperator):
    """Read the firm's whole export, compare it with what the provider connection holds, stage what is new.

    Validates every client and document first (each problem with its file line, before any request);
    then reads the connection's works once, and writes the new clients — and documents still missing
    on the connection job this DAG left open — as batch files under ``staging`` (next to the clients
    file by default). XComs carry counts and URIs, never rows: it returns the staged batches
    (``[{works, artifacts}]``, what the batch tasks map over), and pushes the whole plan under the key
    ``plan`` and the works the job will hold under ``expected_works`` (for the sensor).

    :param clients: path or URI of the clients export (``.csv`` with ``externalId,name``, or ``.jsonl``).
    :param documents: path or URI of the documents export (``.csv`` with
        ``clientExternalId,externalId,name,type,url``, or ``.jsonl``); optional.
    :param staging: folder (path or URI) every worker can read; default ``filed-staging`` beside ``clients``.
    :param batch_size: clients (or documents) per staged batch, i.e. per mapped task.
    :param storage_conn_id: Airflow connection for object storage URIs (``s3://``, ``gs://``…).
    :param encoding: the exports' text encoding (default UTF-8, with or without a BOM), e.g. ``cp1252``.
    :param reject_unknown_conf: fail, before anything is read, when the run's conf has a key that is not a
        DAG param (a typo such as ``client_path`` would otherwise import the default file).
    """

    template_fields: Sequence[str] = (
        *FiledBaseOperator.template_fields,
        "clients",
        "documents",
        "staging",
        "batch_size",
        "storage_conn_id",
        "encoding",
    )

    def __init__(
        self,
        *,
        clients: str,
        documents: str | None = None,
        staging: str | None = None,
        batch_size: int | str = 1_000,
        storage_conn_id: str | None = None,
        encoding: str = "utf-8",
        reject_unknown_conf: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.clients = clients
        self.documents = documents
        self.staging = staging
        self.batch_size = batch_size
        self.storage_conn_id = storage_conn_id
        self.encoding = encoding
        self.reject_unknown_conf = reject_unknown_conf

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from airflow_provider_filed.push_import.plan import plan_import

        ti = context["ti"]
        if self.reject_unknown_conf:
            check_run_conf(context)
        if not self.clients:
            raise AirflowFailException(
                "no clients export given: `clients` rendered empty — set where the firm's export is "
                "(in filed_tax_season_daily: the Airflow Variable filed_clients_uri, or the run's clients_path)"
            )
        try:
            batch_size = int(self.batch_size)
        except (TypeError, ValueError):
            raise AirflowFailException(f"batch_size must be a whole number, got {self.batch_size!r}") from None
        with fail_fast_on_permanent_errors():
            plan = plan_import(
                self.hook,
                dag_id=ti.dag_id,
                run_id=ti.run_id,
                clients=self.clients,
                documents=self.documents or None,
                staging=self.staging or None,
                batch_size=batch_size,
                storage_conn_id=self.storage_conn_id or None,
                encoding=self.encoding or "utf-8",
                workspace_id=self.workspace_id,
                connection_id=self.connection_id,
            )
        ti.xcom_push(
            key="plan",
            value={**plan.model_dump(mode="json", exclude={"batches"}), "nothing_to_import": plan.nothing_to_import},
        )
        ti.xcom_push(key="expected_works", value=plan.expected_works)
        return [batch.model_dump(mode="json") for batch in plan.batches]
