from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG

from airflow_provider_filed.operators.connection_job import CreateConnectionJobOperator


class DiesAfterCreating(CreateConnectionJobOperator):
    """Opens the job, then dies in its first attempt, as a worker killed mid-task would."""

    def execute(self, context: Any) -> str:
        job_id = super().execute(context)
        if context["ti"].try_number == 1:
            raise RuntimeError("worker died after opening the job")
        return job_id


def test_a_retry_reuses_the_job_of_the_earlier_attempt(run_dag, filed_connection, airflow_helpers) -> None:
    with DAG("filed_job_retry", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as dag:
        DiesAfterCreating(task_id="connection_job", job_name="batch {{ run_id }}", retries=1, retry_delay=timedelta(0))
    dag_run = run_dag(dag)

    assert dag_run.state == "success"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 2
    stats = filed_connection.stats()
    assert stats["requests"]["createConnectionJob"] == {"200": 1}
    assert list(stats["jobs"]) == [airflow_helpers.xcom_value(dag_run, "connection_job")]


def test_opt_out_opens_a_new_job_per_attempt(run_dag, filed_connection) -> None:
    with DAG("filed_job_retry_new", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as dag:
        DiesAfterCreating(
            task_id="connection_job", job_name="batch", retries=1, retry_delay=timedelta(0), reuse_job_on_retry=False
        )
    assert run_dag(dag).state == "success"
    assert filed_connection.stats()["requests"]["createConnectionJob"] == {"200": 2}
