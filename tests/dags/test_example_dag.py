"""The example DAGs in ``dags/``: they parse cleanly, their sample data is valid, and they import end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.dags.exports import write_exports

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS = REPO_ROOT / "dags"
DAG_FILE = DAGS / "filed_tax_season_import.py"
DAG_ID = "filed_tax_season_import"
TASKS = {
    "plan_import",
    "anything_to_import",
    "create_connection_job",
    "import_batch.create_job_works",
    "import_batch.create_job_work_artifacts",
    "trigger_connection_job",
    "wait_for_job_works",
    "summary",
}


def example_dag(dag_id: str = DAG_ID) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS)).dags[dag_id]


def test_dags_folder_parses_without_import_errors() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))

    assert bag.import_errors == {}
    for dag_id in (DAG_ID, "filed_tax_season_daily"):
        dag = bag.dags[dag_id]
        tasks = {t.task_id: t for t in dag.tasks}
        assert set(tasks) == TASKS
        assert type(tasks["import_batch.create_job_works"].task_group).__name__ == "MappedTaskGroup"
        sensor: Any = tasks["wait_for_job_works"]
        assert sensor.deferrable is True
        assert sensor.include_artifacts is True
        assert tasks["create_connection_job"].retries == 2
        assert dag.max_active_runs == 1
    assert set(bag.dags[DAG_ID].params.keys()) == {
        "clients_path",
        "documents_path",
        "staging_path",
        "encoding",
        "batch_size",
        "max_failed",
    }


def test_sample_data_is_valid_and_has_no_failing_urls() -> None:
    from airflow_provider_filed.push_import.plan import read_clients, read_documents
    from airflow_provider_filed.push_import.working_set import WorkingSet

    with WorkingSet() as working:
        read_clients(working, DAGS / "data" / "clients.csv", None)
        read_documents(working, DAGS / "data" / "documents.csv", "clients.csv", None)
        clients, documents = working.counts()
    assert 200 <= clients <= 500
    assert documents > clients
    assert "fail" not in (DAGS / "data" / "documents.csv").read_text().lower()  # the emulator fails such urls


@pytest.mark.usefixtures("airflow_db")
def test_example_dag_imports_clients_end_to_end(
    filed_connection: EmulatorHandle, airflow_helpers: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FILED_POKE_INTERVAL_S", "0.3")  # read when the DAG file is parsed
    filed_connection.configure(processing_time_s=0.2)
    clients_path, documents_path = write_exports(tmp_path, clients=30, docs_per_client=2)

    dag_run = example_dag().test(
        run_conf={"clients_path": str(clients_path), "documents_path": f"file://{documents_path}", "batch_size": 10}
    )

    states = airflow_helpers.task_states(dag_run)
    assert dag_run.state == "success", states
    assert sum(1 for task in states if task.startswith("import_batch.create_job_works[")) == 3
    stats = filed_connection.stats()
    job_id = airflow_helpers.xcom_value(dag_run, "create_connection_job")
    assert stats["works_per_job"] == {job_id: 30}
    assert stats["artifacts_per_job"] == {job_id: 60}
    assert stats["jobs"] == {job_id: "completed"}
    report = airflow_helpers.xcom_value(dag_run, "summary")
    assert (report["works_created"], report["works_completed"], report["works_failed"]) == (30, 30, 0)
    assert (report["documents_attached"], report["skipped_existing"], report["unattachable"]) == (60, 0, 0)
    staged = [p for p in (tmp_path / "filed-staging").rglob("*") if p.is_file()]
    assert staged == [], "the staged batches are removed after success"


@pytest.mark.usefixtures("airflow_db")
def test_a_typo_in_the_run_conf_fails_before_anything_is_read(
    filed_connection: EmulatorHandle, airflow_helpers: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    dag_run = example_dag().test(run_conf={"client_path": "/tmp/mine.csv"})

    assert dag_run.state == "failed"
    assert airflow_helpers.task_states(dag_run)["plan_import"] == "failed"
    out = capfd.readouterr().out
    assert "unknown key(s) in the run's conf: 'client_path'" in out
    assert "clients_path" in out  # the valid ones are named
    assert filed_connection.stats()["total_requests"] == 0  # no sample client reached Filed
