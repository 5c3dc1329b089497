"""The scheduled tax-season DAG over three mornings: a growing export, imported exactly once, nothing twice.

Filed runs without enforcing externalId uniqueness (``lenient_duplicates``): a client sent twice would be
created twice, so only the provider's own reads keep the count exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_filed.assets import filed_asset_uri
from tests.dags.exports import add_documents, write_exports

DAY_1, NEW_ON_DAY_2 = 1_000, 200
FAULTS = {
    "error_rate": 0.05,
    "rate_limit_rate": 0.05,
    "retry_after_s": 0.02,
    "commit_then_fail_rate": 0.05,
    "token_ttl_s": 1.0,
    "seed": 11,
}


def asset_events(uri: str) -> int:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AssetEvent)
                .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                .where(AssetModel.uri == uri)
            )
            or 0
        )


def variables() -> list[str]:
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(session.scalars(select(Variable.key)))


def morning(dag: Any, airflow_helpers: Any) -> tuple[Any, dict[str, Any]]:
    dag_run = dag.test()
    assert dag_run.state == "success", airflow_helpers.task_states(dag_run)
    return dag_run, airflow_helpers.xcom_value(dag_run, "summary")


@pytest.mark.timeout(420)
@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize("faults", [False, True], ids=["calm", "faults"])
def test_three_mornings_import_each_client_and_document_exactly_once(
    filed_connection_with: Any, airflow_helpers: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, faults: bool
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    emulator = filed_connection_with(batch_size=100, max_attempts=30)
    emulator.configure(lenient_duplicates=True, processing_time_s=0.3, **(FAULTS if faults else {}))
    monkeypatch.setenv("FILED_POKE_INTERVAL_S", "0.3")
    export = tmp_path / "exports"
    clients, documents = write_exports(export, DAY_1)
    # Where a scheduled run reads the firm's export (no run conf).
    monkeypatch.setenv("AIRFLOW_VAR_FILED_CLIENTS_URI", f"file://{clients}")
    monkeypatch.setenv("AIRFLOW_VAR_FILED_DOCUMENTS_URI", str(documents))
    dag = DagBag(dag_folder="dags/filed_tax_season_daily.py").dags["filed_tax_season_daily"]
    dag.params["batch_size"] = 250  # four import_batch tasks on day 1
    asset = filed_asset_uri(emulator.workspace_id, emulator.connection_id)
    events = asset_events(asset)  # the metadata DB lives for the whole session

    _, report1 = morning(dag, airflow_helpers)
    assert (report1["works_created"], report1["skipped_existing"], report1["documents_attached"]) == (
        DAY_1,
        0,
        2 * DAY_1,
    )
    assert asset_events(asset) == events + 1

    write_exports(export, DAY_1 + NEW_ON_DAY_2)  # the same list, grown by 200 clients and their documents
    add_documents(documents, [(f"client-{i:06d}", f"client-{i:06d}-late") for i in range(3)])  # too late
    _, report2 = morning(dag, airflow_helpers)
    assert (report2["works_created"], report2["skipped_existing"]) == (NEW_ON_DAY_2, DAY_1)
    assert report2["documents_attached"] == 2 * NEW_ON_DAY_2
    assert report2["unattachable"] == 3
    assert report2["unattachable_external_ids"] == [f"client-{i:06d}/client-{i:06d}-late" for i in range(3)]
    assert report2["works_completed"] == NEW_ON_DAY_2
    assert asset_events(asset) == events + 2

    stats_before_day3 = emulator.stats()
    day3, report3 = morning(dag, airflow_helpers)
    states = airflow_helpers.task_states(day3)
    assert states["create_connection_job"] == "skipped"  # nothing new: no connection job
    assert report3["nothing_to_import"] is True
    assert (report3["works_created"], report3["skipped_existing"], report3["unattachable"]) == (0, 1_200, 3)
    assert asset_events(asset) == events + 2  # nothing new reached Filed: no event

    stats = emulator.stats()
    assert stats["requests"].get("createConnectionJob") == stats_before_day3["requests"].get("createConnectionJob")
    # A createConnectionJob whose answer was lost may leave an empty job behind (Filed lists no jobs):
    # it must hold nothing and stay pending; the works live in exactly one job per importing morning.
    importing = {job for job, works in stats["works_per_job"].items() if works}
    assert len(importing) == 2
    lost_answers = len(stats["jobs"]) - 2
    assert lost_answers == 0 or faults
    assert all(stats["jobs"][job] == "pending" for job in set(stats["jobs"]) - importing)
    assert sum(stats["works_per_job"].values()) == 1_200
    assert sum(stats["artifacts_per_job"].values()) == 2_400
    assert stats["duplicate_work_external_ids"] == []
    assert stats["duplicate_work_external_ids_by_job"] == {}
    assert stats["duplicate_artifact_external_ids"] == {}
    assert {stats["jobs"][job] for job in importing} == {"completed"}
    assert variables() == []  # no remembered job, no sensor deadline: nothing piles up over a season
    if faults:
        assert sum(stats["faults_injected"].values()) > 0
        assert stats["logins"] > 3
