"""The whole push import in real Airflow (``dag.test()``) against the emulator over HTTP."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_provider_filed.operators.connection_job import CreateConnectionJobOperator, TriggerConnectionJobOperator
from airflow_provider_filed.operators.job_work_artifacts import CreateJobWorkArtifactsOperator
from airflow_provider_filed.operators.job_works import CreateJobWorksOperator
from airflow_provider_filed.sensors.job_works import JobWorksSensor

CLIENTS = 30


def clients(prefix: str, n: int = CLIENTS) -> list[dict[str, str]]:
    return [{"name": f"Client {i}", "externalId": f"{prefix}-{i}"} for i in range(n)]


def artifacts(prefix: str, n: int = CLIENTS, failing: int = 0) -> dict[str, list[dict[str, str]]]:
    return {
        f"{prefix}-{i}": [
            {
                "name": "W-2",
                "type": "w2",
                "url": f"https://docs.example/{prefix}/{i}/w2.pdf",
                "externalId": f"{prefix}-{i}-w2",
            },
            {
                "name": "Receipt",
                "type": "receipt",
                "url": f"https://docs.example/{prefix}/{i}/{'fail' if i < failing else 'ok'}.pdf",
                "externalId": f"{prefix}-{i}-r",
            },
        ]
        for i in range(n)
    }


def import_dag(
    dag_id: str,
    prefix: str,
    *,
    failing: int = 0,
    n: int = CLIENTS,
    sensor: dict[str, Any] | None = None,
    **default_args: Any,
) -> DAG:
    batches = [clients(prefix, n)[i::3] for i in range(3)]
    with DAG(
        dag_id,
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
        catchup=False,
        default_args={"retries": 0, **default_args},
    ) as dag:
        job = CreateConnectionJobOperator(task_id="connection_job", job_name="import {{ run_id }}")
        works = CreateJobWorksOperator.partial(task_id="job_works", connection_job_id=job.output, batch_size=4).expand(
            works=batches
        )
        files = CreateJobWorkArtifactsOperator(
            task_id="artifacts", connection_job_id=job.output, artifacts=artifacts(prefix, n, failing=failing)
        )
        trigger = TriggerConnectionJobOperator(task_id="trigger", connection_job_id=job.output)
        wait = JobWorksSensor(
            task_id="wait",
            connection_job_id=job.output,
            include_artifacts=True,
            poke_interval=0.2,
            **({"timeout": 60} | (sensor or {})),
        )
        works >> files >> trigger >> wait
    return dag


@pytest.mark.parametrize(
    "sensor",
    [
        pytest.param({"mode": "poke", "deferrable": False}, id="poke"),
        pytest.param({"mode": "reschedule", "deferrable": False}, id="reschedule"),
        pytest.param({"deferrable": True}, id="deferrable"),
    ],
)
def test_import_succeeds_in_each_sensor_mode(run_dag, filed_connection, airflow_helpers, sensor) -> None:
    filed_connection.configure(processing_time_s=0.5)
    mode = sensor.get("mode", "deferrable")
    dag_run = run_dag(import_dag(f"filed_import_{mode}", mode, sensor=sensor))

    states = airflow_helpers.task_states(dag_run)
    assert dag_run.state == "success", states
    assert states["job_works[0]"] == states["job_works[2]"] == "success"
    summary = airflow_helpers.xcom_value(dag_run, "wait")
    assert summary["total"] == CLIENTS
    assert summary["succeeded"] == CLIENTS
    assert summary["failed"] == 0
    assert summary["works_by_status"] == {"completed": CLIENTS}
    job_id = airflow_helpers.xcom_value(dag_run, "connection_job")
    assert airflow_helpers.xcom_value(dag_run, "wait", key="connection_job_id") == job_id
    stats = filed_connection.stats()
    assert stats["works_per_job"] == {job_id: CLIENTS}
    assert stats["artifacts_per_job"] == {job_id: 2 * CLIENTS}
    assert stats["jobs"] == {job_id: "completed"}
    created = airflow_helpers.xcom_value(dag_run, "job_works", map_index=1)
    assert created["created"] == CLIENTS // 3
    assert set(created["job_work_ids"]) == {c["externalId"] for c in clients(mode)[1::3]}


def test_failing_artifacts_fail_the_sensor_naming_the_works(run_dag, filed_connection, airflow_helpers, capfd) -> None:
    filed_connection.configure(processing_time_s=0.3)
    dag_run = run_dag(import_dag("filed_import_failing", "bad", failing=2, sensor={"mode": "poke"}))

    states = airflow_helpers.task_states(dag_run)
    assert dag_run.state == "failed"
    assert states["wait"] == "failed"
    assert states["trigger"] == "success"
    log = capfd.readouterr().out
    assert "2 job works failed" in log
    assert "bad-0 (job work" in log
    assert "bad-1 (job work" in log
    assert "url matches the failure pattern" in log


MODES = [
    pytest.param({"mode": "poke", "deferrable": False}, id="poke"),
    pytest.param({"mode": "reschedule", "deferrable": False}, id="reschedule"),
    pytest.param({"deferrable": True}, id="deferrable"),
]


@pytest.mark.parametrize("sensor", MODES)
def test_works_that_never_finish_end_in_a_sensor_timeout(
    run_dag, filed_connection, airflow_helpers, sensor, capfd
) -> None:
    filed_connection.configure(processing_time_s=-1)
    mode = sensor.get("mode", "deferrable")
    started = time.monotonic()
    dag_run = run_dag(import_dag(f"filed_import_stuck_{mode}", f"stuck-{mode}", sensor={"timeout": 2, **sensor}))

    states = airflow_helpers.task_states(dag_run)
    assert dag_run.state == "failed"
    assert states["wait"] == "failed"
    assert states["trigger"] == "success"
    out = capfd.readouterr().out
    assert "AirflowSensorTimeout" in out  # the timeout itself, not any failure
    assert "job works not done by the deadline" in out or "Sensor has timed out" in out
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("sensor", MODES)
def test_max_failed_is_applied_in_every_mode(run_dag, filed_connection, airflow_helpers, sensor, capfd) -> None:
    filed_connection.configure(processing_time_s=0.3)
    mode = sensor.get("mode", "deferrable")
    tolerant = run_dag(
        import_dag(f"filed_tolerant_{mode}", f"tol-{mode}", failing=2, sensor={"max_failed": 2, **sensor})
    )
    strict = run_dag(
        import_dag(f"filed_strict_{mode}", f"strict-{mode}", failing=2, sensor={"max_failed": 1, **sensor})
    )

    assert tolerant.state == "success", airflow_helpers.task_states(tolerant)
    assert airflow_helpers.xcom_value(tolerant, "wait")["failed"] == 2
    assert strict.state == "failed"
    assert airflow_helpers.task_states(strict)["wait"] == "failed"
    assert "2 job works failed" in capfd.readouterr().out


@pytest.mark.parametrize("sensor", MODES)
def test_an_unknown_connection_job_fails_within_one_poke(
    run_dag, filed_connection, airflow_helpers, sensor, capfd
) -> None:
    mode = sensor.get("mode", "deferrable")
    with DAG(f"filed_unknown_job_{mode}", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as dag:
        JobWorksSensor(task_id="wait", connection_job_id="job_does_not_exist", poke_interval=15, timeout=20, **sensor)
    started = time.monotonic()
    dag_run = run_dag(dag)

    assert dag_run.state == "failed"
    assert time.monotonic() - started < 15  # within one poke interval, not at the timeout
    assert "connection job 'job_does_not_exist' has no job works" in capfd.readouterr().out


@pytest.mark.parametrize("sensor", [MODES[0], MODES[2]])
def test_under_a_silent_page_cap_the_sensor_waits_for_every_work(
    run_dag, filed_connection, airflow_helpers, sensor
) -> None:
    # 250 works, pages of at most 100 whatever is asked: a listing that stopped at a short page would
    # see 100 works, all terminal once processed, and succeed too early.
    filed_connection.configure(page_cap=100, processing_time_s=1.5)
    mode = sensor.get("mode", "deferrable")
    dag_run = run_dag(import_dag(f"filed_page_cap_{mode}", f"cap-{mode}", n=250, sensor=sensor))

    assert dag_run.state == "success", airflow_helpers.task_states(dag_run)
    summary = airflow_helpers.xcom_value(dag_run, "wait")
    assert (summary["total"], summary["succeeded"], summary["in_progress"]) == (250, 250, 0)
    assert filed_connection.stats()["jobs"] == {airflow_helpers.xcom_value(dag_run, "connection_job"): "completed"}


@pytest.mark.parametrize("case", ["upper", "title"])
def test_a_gateway_without_sort_by_and_other_status_case_imports_and_waits(
    run_dag, filed_connection, airflow_helpers, case
) -> None:
    filed_connection.configure(sort_by_argument=False, status_case=case, processing_time_s=0.3)
    dag_run = run_dag(import_dag(f"filed_no_sort_{case}", f"nosort-{case}", sensor={"mode": "poke"}))

    assert dag_run.state == "success", airflow_helpers.task_states(dag_run)
    summary = airflow_helpers.xcom_value(dag_run, "wait")
    assert summary["succeeded"] == CLIENTS
    assert summary["works_by_status"] == {"completed": CLIENTS}


def test_task_retry_after_commit_then_fail_creates_each_client_once(
    run_dag, filed_connection_with, airflow_helpers
) -> None:
    filed_connection = filed_connection_with(max_attempts=1, max_concurrency=1)
    filed_connection.configure(
        commit_then_fail_rate=0.5, fault_operations=["createJobWorks"], seed=7, processing_time_s=0.2
    )
    dag_run = run_dag(import_dag("filed_import_retry", "retry", retries=8, retry_delay=timedelta(0)))

    assert dag_run.state == "success", airflow_helpers.task_states(dag_run)
    stats = filed_connection.stats()
    job_id = airflow_helpers.xcom_value(dag_run, "connection_job")
    assert stats["faults_injected"]["commit_then_fail"] > 0
    assert stats["works_per_job"] == {job_id: CLIENTS}
    assert stats["duplicate_work_external_ids"] == []
    retried = [ti for ti in dag_run.get_task_instances() if ti.task_id == "job_works" and ti.try_number > 1]
    assert retried, "the fault should have made at least one mapped task retry"
