"""A finished or failed run of the example DAG, cleared and run again: success, and nothing created twice.

``dag.test`` with the same logical date replaces the run (same run id), as clearing it in the UI does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
import pytest

from tests.dags.exports import write_exports

CLIENTS = 40
WHEN = pendulum.datetime(2026, 2, 2, 6, tz="UTC")


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("FILED_POKE_INTERVAL_S", "0.2")
    dag = DagBag(dag_folder="dags/filed_tax_season_import.py").dags["filed_tax_season_import"]
    for task in dag.tasks:
        task.retries = 0  # a failure is final: the run fails, and is then cleared
    return dag


def run(dag: Any, clients: Path, documents: Path) -> Any:
    return dag.test(
        logical_date=WHEN, run_conf={"clients_path": str(clients), "documents_path": str(documents), "batch_size": 10}
    )


def totals(stats: dict[str, Any]) -> tuple[int, int, list[Any], dict[str, Any], dict[str, Any]]:
    return (
        sum(stats["works_per_job"].values()),
        sum(stats["artifacts_per_job"].values()),
        stats["duplicate_work_external_ids"],
        stats["duplicate_work_external_ids_by_job"],
        stats["duplicate_artifact_external_ids"],
    )


@pytest.mark.usefixtures("airflow_db")
def test_a_finished_run_cleared_opens_no_job_and_creates_nothing(
    example: Any, filed_connection_with: Any, airflow_helpers: Any, tmp_path: Path
) -> None:
    emulator = filed_connection_with()
    emulator.configure(lenient_duplicates=True, processing_time_s=0.2)
    clients, documents = write_exports(tmp_path, CLIENTS)
    assert run(example, clients, documents).state == "success"

    again = run(example, clients, documents)

    assert again.state == "success"
    assert airflow_helpers.task_states(again)["create_connection_job"] == "skipped"
    stats = emulator.stats()
    assert len(stats["jobs"]) == 1  # the old job was triggered, and nothing is left: no new job
    assert totals(stats) == (CLIENTS, 2 * CLIENTS, [], {}, {})

    write_exports(tmp_path, CLIENTS + 5)  # the export grew meanwhile: a new job for what is left
    grown = run(example, clients, documents)
    assert grown.state == "success"
    assert len(emulator.stats()["jobs"]) == 2
    assert totals(emulator.stats()) == (CLIENTS + 5, 2 * (CLIENTS + 5), [], {}, {})
    assert airflow_helpers.xcom_value(grown, "summary")["works_created"] == 5


@pytest.mark.usefixtures("airflow_db")
def test_a_run_failed_before_its_trigger_cleared_reuses_its_open_job(
    example: Any, filed_connection_with: Any, airflow_helpers: Any, tmp_path: Path
) -> None:
    emulator = filed_connection_with(max_attempts=1)
    emulator.configure(lenient_duplicates=True, processing_time_s=0.2)
    clients, documents = write_exports(tmp_path, CLIENTS)
    emulator.configure(error_rate=1.0, fault_operations=["createJobWorkArtifacts"])  # Filed is down for documents
    failed = run(example, clients, documents)
    assert failed.state == "failed"
    job = airflow_helpers.xcom_value(failed, "create_connection_job")
    assert emulator.stats()["works_per_job"] == {job: CLIENTS}

    emulator.configure(error_rate=0.0)
    cleared = run(example, clients, documents)

    assert cleared.state == "success", airflow_helpers.task_states(cleared)
    assert airflow_helpers.xcom_value(cleared, "create_connection_job") == job  # still open: reused
    stats = emulator.stats()
    assert stats["jobs"] == {job: "completed"}
    assert totals(stats) == (CLIENTS, 2 * CLIENTS, [], {}, {})
    report = airflow_helpers.xcom_value(cleared, "summary")
    assert (report["works_created"], report["works_already_present"]) == (0, CLIENTS)
    assert (report["documents_attached"], report["works_completed"]) == (2 * CLIENTS, CLIENTS)


@pytest.mark.usefixtures("airflow_db")
def test_a_run_failed_while_triggering_cleared_makes_sure_the_job_is_triggered(
    example: Any, filed_connection_with: Any, airflow_helpers: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = filed_connection_with(max_attempts=1)
    emulator.configure(lenient_duplicates=True, processing_time_s=0.2)
    clients, documents = write_exports(tmp_path, CLIENTS)
    emulator.configure(commit_then_fail_rate=1.0, fault_operations=["triggerConnectionJob"])  # sent, answer lost
    failed = run(example, clients, documents)
    assert failed.state == "failed"
    job = airflow_helpers.xcom_value(failed, "create_connection_job")

    emulator.configure(commit_then_fail_rate=0.0)
    cleared = run(example, clients, documents)

    assert cleared.state == "success", airflow_helpers.task_states(cleared)
    assert "triggering it again to be sure" in caplog.text
    stats = emulator.stats()
    assert stats["jobs"] == {job: "completed"}  # no longer open: nothing left, so no new job
    assert totals(stats) == (CLIENTS, 2 * CLIENTS, [], {}, {})
