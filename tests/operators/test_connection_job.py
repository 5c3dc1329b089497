"""The connection job a DAG opened is remembered until it is triggered: retries, clears and later runs reuse it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_provider_filed.operators.connection_job import CreateConnectionJobOperator, TriggerConnectionJobOperator
from airflow_provider_filed.push_import import ledger


class DiesAfterCreating(CreateConnectionJobOperator):
    """Opens the job, then dies in its first attempt, as a worker killed mid-task would."""

    def execute(self, context: Any) -> str:
        job_id = super().execute(context)
        if context["ti"].try_number == 1:
            raise RuntimeError("worker died after opening the job")
        return job_id


def remembered() -> list[str]:
    """Keys of the ledger Variables in the metadata DB."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return [k for k in session.scalars(select(Variable.key)) if k.startswith(ledger.KEY_PREFIX)]


def import_dag(dag_id: str, *, trigger: bool, **job: Any) -> DAG:
    with DAG(dag_id, schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as dag:
        opened = (job.pop("operator", CreateConnectionJobOperator))(
            task_id="connection_job", job_name="batch {{ run_id }}", **job
        )
        if trigger:
            opened >> TriggerConnectionJobOperator(task_id="trigger", connection_job_id=opened.output)
    return dag


def test_a_retry_reuses_the_job_of_the_earlier_attempt(run_dag, filed_connection, airflow_helpers) -> None:
    dag = import_dag("filed_job_retry", trigger=False, operator=DiesAfterCreating, retries=1, retry_delay=timedelta(0))
    dag_run = run_dag(dag)

    assert dag_run.state == "success"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 2
    stats = filed_connection.stats()
    assert stats["requests"]["createConnectionJob"] == {"200": 1}
    assert list(stats["jobs"]) == [airflow_helpers.xcom_value(dag_run, "connection_job")]


def test_opt_out_opens_a_new_job_per_attempt(run_dag, filed_connection) -> None:
    dag = import_dag(
        "filed_job_retry_new",
        trigger=False,
        operator=DiesAfterCreating,
        retries=1,
        retry_delay=timedelta(0),
        reuse_open_job=False,
    )
    assert run_dag(dag).state == "success"
    assert filed_connection.stats()["requests"]["createConnectionJob"] == {"200": 2}
    assert remembered() == []


def test_the_next_run_adopts_a_job_nobody_triggered_and_a_trigger_forgets_it(
    run_dag, filed_connection, airflow_helpers
) -> None:
    stopped = run_dag(import_dag("filed_job_ledger", trigger=False))  # a run that stopped before its trigger
    open_job = airflow_helpers.xcom_value(stopped, "connection_job")
    assert remembered() == [ledger.ledger_key("filed_job_ledger", filed_connection.connection_id)]

    adopted = run_dag(import_dag("filed_job_ledger", trigger=True))
    assert adopted.state == "success"
    assert airflow_helpers.xcom_value(adopted, "connection_job") == open_job  # its works are not stranded
    assert filed_connection.stats()["jobs"] == {open_job: "completed"}  # triggered (it holds no works)
    assert remembered() == []  # triggered: nothing left to remember

    fresh = run_dag(import_dag("filed_job_ledger", trigger=True))
    assert airflow_helpers.xcom_value(fresh, "connection_job") != open_job
    assert len(filed_connection.stats()["jobs"]) == 2
    assert remembered() == []


def test_a_job_left_while_triggering_is_triggered_again_then_replaced(
    run_dag, filed_connection, airflow_helpers
) -> None:
    first = run_dag(import_dag("filed_job_triggering", trigger=False))
    job = airflow_helpers.xcom_value(first, "connection_job")
    # The trigger task was killed after recording "triggering": was the trigger sent? Nobody knows.
    from airflow.models.variable import Variable

    key = ledger.ledger_key("filed_job_triggering", filed_connection.connection_id)
    Variable.set(key, ledger.OpenConnectionJob(connection_job_id=job, run_id="r", state="triggering").model_dump_json())

    second = run_dag(import_dag("filed_job_triggering", trigger=True))

    assert second.state == "success"
    assert airflow_helpers.xcom_value(second, "connection_job") != job
    assert filed_connection.stats()["jobs"][job] == "completed"  # made sure it was triggered
    assert remembered() == []


def test_a_lost_answer_to_create_is_reported_and_the_retry_opens_one_job(
    run_dag, filed_connection_with, capfd: pytest.CaptureFixture[str]
) -> None:
    # Filed lists no connection jobs: a job opened by a request whose answer was lost cannot be found
    # again. It holds no works; the task must say it may exist, and the retry must open exactly one more.
    emulator = filed_connection_with(max_attempts=1)
    emulator.configure(commit_then_fail_rate=1.0, fault_operations=["createConnectionJob"])
    failed = run_dag(import_dag("filed_job_lost_answer", trigger=False))
    assert failed.state == "failed"
    assert "may have opened connection job 'batch " in capfd.readouterr().out
    assert remembered() == []  # nothing to reuse: its id never arrived

    emulator.configure(commit_then_fail_rate=0)
    assert run_dag(import_dag("filed_job_lost_answer", trigger=False)).state == "success"
    stats = emulator.stats()
    assert sum(stats["requests"]["createConnectionJob"].values()) == len(stats["jobs"]) == 2
    assert set(stats["jobs"].values()) == {"pending"}
