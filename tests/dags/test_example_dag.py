"""The example DAG in ``dags/``: it parses cleanly, its sample data is valid, and it imports end to end."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from airflow_provider_filed.emulator.testing import EmulatorHandle

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS = REPO_ROOT / "dags"
DAG_FILE = DAGS / "filed_tax_season_import.py"
DAG_ID = "filed_tax_season_import"


def load_dag_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("filed_tax_season_import_under_test", DAG_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_import_files(directory: Path, clients: int, docs_per_client: int = 2) -> tuple[Path, Path]:
    clients_path, documents_path = directory / "clients.csv", directory / "documents.csv"
    with clients_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["externalId", "name"])
        writer.writerows([f"test-client-{i:04d}", f"Client {i}"] for i in range(clients))
    with documents_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["clientExternalId", "externalId", "name", "type", "url"])
        for i in range(clients):
            for j in range(docs_per_client):
                url = f"https://files.example.test/c{i}/w2-{j}.pdf"
                writer.writerow([f"test-client-{i:04d}", f"test-client-{i:04d}-doc-{j}", f"W-2 #{j}", "w2", url])
    return clients_path, documents_path


def test_dags_folder_parses_without_import_errors() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))

    assert bag.import_errors == {}
    dag = bag.dags[DAG_ID]
    tasks = {t.task_id: t for t in dag.tasks}
    assert set(tasks) == {
        "read_import_files",
        "split_into_batches",
        "create_connection_job",
        "create_job_works",
        "create_job_work_artifacts",
        "trigger_connection_job",
        "wait_for_job_works",
        "summary",
    }
    assert type(tasks["create_job_works"]).__name__ == "MappedOperator"
    sensor: Any = tasks["wait_for_job_works"]
    assert sensor.deferrable is True
    assert sensor.include_artifacts is True
    assert tasks["create_connection_job"].retries == 2
    assert set(dag.params.keys()) >= {"clients_path", "documents_path", "batch_size", "max_failed"}


def test_sample_data_is_valid_and_has_no_failing_urls() -> None:
    module = load_dag_module()

    clients, documents = module.read_clients_and_documents("data/clients.csv", "data/documents.csv")

    assert 200 <= len(clients) <= 500
    urls = [doc["url"] for docs in documents.values() for doc in docs]
    assert urls
    assert not [url for url in urls if "fail" in url.lower()], "the emulator fails artifacts whose url has 'fail'"


def test_bad_files_are_refused_with_their_rows(tmp_path: Path) -> None:
    from airflow_provider_filed.client.errors import FiledInputError

    module = load_dag_module()
    clients_path, documents_path = write_import_files(tmp_path, clients=3)
    with documents_path.open("a", newline="") as handle:
        csv.writer(handle).writerow(["nobody", "nobody-doc", "W-2", "w2", "https://files.example.test/x.pdf"])

    with pytest.raises(FiledInputError, match="nobody"):
        module.read_clients_and_documents(str(clients_path), str(documents_path))


@pytest.mark.usefixtures("airflow_db")
def test_example_dag_imports_clients_end_to_end(
    filed_connection: EmulatorHandle, airflow_helpers: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("FILED_POKE_INTERVAL_S", "0.3")  # read when the DAG file is parsed
    filed_connection.configure(processing_time_s=0.2)
    clients_path, documents_path = write_import_files(tmp_path, clients=30, docs_per_client=2)
    dag = DagBag(dag_folder=str(DAG_FILE)).dags[DAG_ID]

    dag_run = dag.test(
        run_conf={"clients_path": str(clients_path), "documents_path": str(documents_path), "batch_size": 10}
    )

    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    assert sum(1 for task_id, _ in states if task_id == "create_job_works") == 3
    stats = filed_connection.stats()
    assert list(stats["works_per_job"].values()) == [30]
    assert list(stats["artifacts_per_job"].values()) == [60]
    assert list(stats["jobs"].values()) == ["completed"]
    assert stats["duplicate_work_external_ids"] == []
    report = airflow_helpers.xcom_value(dag_run, "summary")
    assert report["works_created"] == 30
    assert report["works_completed"] == 30
    assert report["works_failed"] == 0
    assert report["artifacts_created"] == 60
