"""Chaos: the example DAG imports 2,000 clients while the emulator injects every fault it has.

10% 5xx, 5% 429, 5% commit-then-fail (the write lands, the answer is lost), a token TTL shorter than
the run, and one create_job_works attempt that dies mid-batch so Airflow retries it — against a Filed
that does not enforce externalId uniqueness, so a client re-sent blind would exist twice. Each client
and document must still exist exactly once, and the run must succeed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_provider_filed.client.bulk import JobWorksImport
from tests.conftest import TransientFaults, assert_imported_once
from tests.dags.exports import write_exports

CLIENTS = 2_000
FAULTS = TransientFaults(
    error_rate=0.10, rate_limit_rate=0.05, commit_then_fail_rate=0.05, retry_after_s=0.05, seed=2026
)


@pytest.fixture
def dies_once_mid_batch(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The first create_job_works attempt to reach its third batch dies there, after two batches landed."""
    create_batch = JobWorksImport._create_batch
    calls: list[int] = []

    def create_then_die(self: JobWorksImport, batch):  # type: ignore[no-untyped-def]
        calls.append(len(batch))
        if len(calls) == 3:
            raise RuntimeError("worker killed mid-batch")
        return create_batch(self, batch)

    monkeypatch.setattr(JobWorksImport, "_create_batch", create_then_die)
    return calls


# Batches of 5 make ~400 createJobWorks requests, so the 5% commit-then-fail rate fires (P(none) < 0.1%).
@pytest.mark.timeout(240)
def test_chaos_import_creates_every_client_exactly_once(
    run_dag, filed_connection_with, airflow_helpers, tmp_path, dies_once_mid_batch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    emulator = filed_connection_with(batch_size=5, artifacts_per_request=40, max_concurrency=4, max_attempts=20)
    FAULTS.inject(emulator, lenient_duplicates=True, token_ttl_s=1.0, processing_time_s=0.5)
    clients, documents = write_exports(tmp_path, CLIENTS)
    dag = DagBag().get_dag("filed_tax_season_import")
    for task in dag.tasks:
        task.retry_delay = timedelta(0)
        task.retry_exponential_backoff = False
    dag.get_task("wait_for_job_works").poke_interval = 0.5

    dag_run = run_dag(dag, run_conf={"clients_path": str(clients), "documents_path": str(documents), "batch_size": 500})

    states = airflow_helpers.task_states(dag_run)
    assert dag_run.state == "success", states
    stats = emulator.stats()
    job_id = airflow_helpers.xcom_value(dag_run, "create_connection_job")
    assert_imported_once(stats, job_id, CLIENTS)
    assert stats["duplicate_external_ids_rejected"] == 0  # decided by reading, never by Filed refusing
    assert stats["jobs"] == {job_id: "completed"}
    FAULTS.assert_each_fired(stats)
    assert stats["logins"] > 1
    retried = [
        ti for ti in dag_run.get_task_instances() if ti.task_id == "import_batch.create_job_works" and ti.try_number > 1
    ]
    assert len(retried) == 1, "exactly one create_job_works attempt died mid-batch and was retried"
    report = airflow_helpers.xcom_value(dag_run, "summary")
    assert report["works_completed"] == CLIENTS
    assert report["works_created"] + report["works_already_present"] == CLIENTS
    assert report["documents_attached"] + report["documents_already_present"] == 2 * CLIENTS
