"""The whole recurring push import as Airflow tasks, for a DAG to call once.

``plan_import`` → ``anything_to_import`` → ``create_connection_job`` → ``import_batch`` (mapped over
the staged batches: ``create_job_works`` → ``create_job_work_artifacts``) → ``trigger_connection_job``
→ ``wait_for_job_works`` (deferrable) → ``summary``. A run with nothing new skips from
``anything_to_import`` to ``summary``: no connection job is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple, TypeVar

from airflow.sdk import AssetAlias, Context, Param, XComArg, task, task_group

from airflow_provider_filed.hooks import DEFAULT_CONN_ID
from airflow_provider_filed.operators.connection_job import CreateConnectionJobOperator, TriggerConnectionJobOperator
from airflow_provider_filed.operators.job_work_artifacts import CreateJobWorkArtifactsOperator
from airflow_provider_filed.operators.job_works import CreateJobWorksOperator
from airflow_provider_filed.operators.plan_import import PlanImportOperator
from airflow_provider_filed.sensors.job_works import JobWorksSensor

#: The sensor waits until *every* work is terminal, however many fail (a count no import reaches), so the
#: summary reports them all; the run's tolerance, ``max_failed``, is applied by the summary.
WAIT_FOR_EVERY_WORK = 1_000_000_000
#: The alias an import's summary publishes the ``filed://{workspace}/{connection}`` asset event through.
ASSET_ALIAS = "filed_import"

_Task = TypeVar("_Task")


class PushImportTasks(NamedTuple):
    """The tasks :func:`push_import_tasks` added, to set dependencies or read XComs."""

    plan: PlanImportOperator
    connection_job: CreateConnectionJobOperator
    trigger: TriggerConnectionJobOperator
    wait: JobWorksSensor
    summary: Any


def _anything_to_import(plan: dict[str, Any]) -> bool:
    """False (skip to the summary, no connection job) when the plan staged nothing."""
    return not plan["nothing_to_import"]


def push_import_default_args(
    retry_delay: timedelta = timedelta(minutes=1), max_retry_delay: timedelta = timedelta(minutes=10)
) -> dict[str, Any]:
    """An import DAG's ``default_args``: every task of the recipe reads before it writes, so each is retried."""
    return {
        "retries": 2,
        "retry_delay": retry_delay,
        "retry_exponential_backoff": True,
        "max_retry_delay": max_retry_delay,
        "execution_timeout": timedelta(minutes=30),
    }


def push_import_params(*, clients_path: Param, documents_path: Param, batch_size: int = 1_000) -> dict[str, Param]:
    """An import DAG's params: where the exports are (each DAG says), and the ones every import shares."""
    return {
        "clients_path": clients_path,
        "documents_path": documents_path,
        "staging_path": Param(
            None,
            type=["null", "string"],
            description="Where batches are staged for the mapped tasks (a folder every worker can read). "
            "Empty: filed-staging beside the clients file.",
        ),
        "encoding": Param(
            "utf-8",
            type="string",
            minLength=1,
            description="The exports' text encoding: utf-8 (with or without a BOM), or e.g. cp1252, latin-1.",
        ),
        "batch_size": Param(
            batch_size, type="integer", minimum=1, maximum=10_000, description="Clients per import_batch task."
        ),
        "max_failed": Param(
            0,
            type="number",
            minimum=0,
            description="Failed clients tolerated: a count (>= 1) or a fraction of the clients (< 1).",
        ),
    }


def push_import_tasks(
    *,
    clients: str = "{{ params.clients_path }}",
    documents: str | None = "{{ params.documents_path or '' }}",
    staging: str | None = "{{ params.staging_path or '' }}",
    batch_size: int | str = "{{ params.batch_size }}",
    storage_conn_id: str | None = None,
    encoding: str = "{{ params.encoding }}",
    job_name: str = "tax-season import {{ dag.dag_id }} {{ run_id }}",
    max_failed: float | str = "{{ params.max_failed }}",
    poke_interval: float = 30.0,
    timeout: timedelta = timedelta(hours=2),
    publish_asset: bool = True,
    filed_conn_id: str = DEFAULT_CONN_ID,
) -> PushImportTasks:
    """Add the import's tasks to the DAG being defined; every argument but the timings is templated, and by
    default reads the params of :func:`push_import_params`."""
    from airflow.providers.standard.operators.python import ShortCircuitOperator

    def on_filed(operator: Callable[..., _Task], task_id: str, **arguments: Any) -> _Task:
        """A task of this import: every one talks to Filed through ``filed_conn_id``."""
        return operator(task_id=task_id, filed_conn_id=filed_conn_id, **arguments)

    plan = on_filed(
        PlanImportOperator,
        "plan_import",
        clients=clients,
        documents=documents,
        staging=staging,
        batch_size=batch_size,
        storage_conn_id=storage_conn_id,
        encoding=encoding,
        reject_unknown_conf=True,
    )
    planned: Any = XComArg(plan, key="plan")  # XComArgs: resolved when each task runs
    batches_to_import: Any = plan.output
    expected_works: Any = XComArg(plan, key="expected_works")
    anything = ShortCircuitOperator(
        task_id="anything_to_import",
        python_callable=_anything_to_import,
        op_args=[planned],
        ignore_downstream_trigger_rules=False,
    )
    job = on_filed(CreateConnectionJobOperator, "create_connection_job", job_name=job_name)
    job_id: Any = job.output

    def in_job(operator: Callable[..., _Task], task_id: str, **arguments: Any) -> _Task:
        """A task working in the connection job ``create_connection_job`` opened (or reused)."""
        return on_filed(operator, task_id, connection_job_id=job_id, **arguments)

    @task_group(group_id="import_batch")
    def import_batch(works: str | None, artifacts: str | None) -> None:
        created = in_job(CreateJobWorksOperator, "create_job_works", works=works, check_existing=False)
        created_ids: Any = created.output
        in_job(
            CreateJobWorkArtifactsOperator, "create_job_work_artifacts", artifacts=artifacts, job_work_ids=created_ids
        )

    batches = import_batch.expand_kwargs(batches_to_import)
    trigger = in_job(TriggerConnectionJobOperator, "trigger_connection_job")
    wait = in_job(
        JobWorksSensor,
        "wait_for_job_works",
        expected_works=expected_works,
        include_artifacts=True,
        deferrable=True,
        max_failed=WAIT_FOR_EVERY_WORK,
        poke_interval=poke_interval,
        timeout=timeout.total_seconds(),
        execution_timeout=timeout + timedelta(minutes=10),
    )

    @task(task_id="summary", trigger_rule="none_failed", outlets=[AssetAlias(ASSET_ALIAS)] if publish_asset else [])
    def summary(plan: dict[str, Any], max_failed: float | str, **context: Any) -> dict[str, Any]:
        """Report created / skipped / unattachable; fail when more clients failed than ``max_failed``;
        publish the connection's asset when anything reached Filed; remove the staged batches."""
        return finish_import(plan, max_failed, filed_conn_id, publish_asset, context)  # type: ignore[arg-type]

    report = summary(planned, max_failed)
    plan >> anything >> job >> batches >> trigger >> wait >> report
    return PushImportTasks(plan=plan, connection_job=job, trigger=trigger, wait=wait, summary=report)


def _pull_all(ti: Any, task_id: str) -> list[dict[str, Any]]:
    """Every map index's result of a task in ``import_batch``."""
    pulled = ti.xcom_pull(task_ids=f"import_batch.{task_id}")
    return [r for r in (pulled if isinstance(pulled, list) else [pulled]) if isinstance(r, dict)]


def finish_import(
    plan: dict[str, Any], max_failed: float | str, filed_conn_id: str, publish_asset: bool, context: Context
) -> dict[str, Any]:
    """The summary task's work (see :func:`push_import_tasks`)."""
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_provider_filed.assets import filed_asset
    from airflow_provider_filed.client.progress import allowed_failures
    from airflow_provider_filed.hooks.filed import FiledHook
    from airflow_provider_filed.push_import.report import build_report
    from airflow_provider_filed.push_import.staging import remove_staging

    ti = context["ti"]
    if plan.get("nothing_to_import"):
        report = build_report(plan, [], [], None, None)
    else:
        report = build_report(
            plan,
            _pull_all(ti, "create_job_works"),
            _pull_all(ti, "create_job_work_artifacts"),
            ti.xcom_pull(task_ids="wait_for_job_works"),
            ti.xcom_pull(task_ids="create_connection_job"),
        )
    print(report.describe())
    for failed in report.failed_works:
        print(f"  failed: {failed.get('external_id')} ({failed.get('status')}): {failed.get('reason')}")
    try:
        tolerated = allowed_failures(float(max_failed), report.works_total)
    except ValueError as exc:
        raise AirflowFailException(f"max_failed must be a count or a fraction >= 0, got {max_failed!r}") from exc
    if report.works_failed > tolerated:
        raise AirflowFailException(
            f"{report.works_failed:,} clients failed in Filed, more than max_failed allows ({tolerated:,}): "
            f"{', '.join(report.failed_external_ids)}"
        )
    if publish_asset and report.imported_anything:
        settings = FiledHook(filed_conn_id).settings
        if settings.workspace_id and settings.connection_id:
            asset = filed_asset(settings.workspace_id, settings.connection_id)
            context["outlet_events"][AssetAlias(ASSET_ALIAS)].add(
                asset, extra={"works_created": report.works_created, "documents_attached": report.documents_attached}
            )
            print(f"Published {asset.uri} for downstream DAGs")
    if plan.get("staging"):
        remove_staging(plan["staging"])
    return report.model_dump(mode="json")
