"""Switches for what Filed's docs leave open: a silent page cap, lenient duplicates, no sortBy, status case."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_filed.emulator.cli import build_parser, config_from_args
from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.testing import EmulatorHandle, run_emulator
from tests.emulator.gateway import CREATE_ARTIFACTS, CREATE_JOB, CREATE_JOB_WORKS, GET_JOB_WORKS, TRIGGER, Gateway

JOB_WORKS_WITHOUT_SORT_BY = """
query($ws: ID!, $conn: ID!, $filters: JobWorkFilters, $offset: Int, $limit: Int) {
  me { workspaces(filters: {ids: [$ws]}) { connections(filters: {ids: [$conn]}) {
    jobWorks(filters: $filters, offset: $offset, limit: $limit) {
      id work { externalId status } jobWorkArtifacts { workArtifact { externalId status } }
    }
  } } }
}
"""
CONNECTIONS = """
query($ws: ID!, $limit: Int, $statuses: [String!]) {
  me { workspaces(filters: {ids: [$ws]}) { connections(limit: $limit, filters: {statuses: $statuses}) { id status } } }
}
"""
CONNECTIONS_SORTED = """
query($ws: ID!) {
  me { workspaces(filters: {ids: [$ws]}) { connections(sortBy: {field: "id", direction: DESC}) { id } } }
}
"""
START_CONNECTION = 'mutation($ws: ID!) { startProviderConnection(workspaceId: $ws, providerKey: "k") { id status } }'
ARGUMENTS = '{ __type(name: "%s") { fields { name args { name } } } }'


def _rows(gateway: Gateway, job_id: str, **variables: Any) -> list[dict[str, Any]]:
    emulator = gateway.emulator
    data = gateway.data(
        JOB_WORKS_WITHOUT_SORT_BY,
        {
            "ws": emulator.workspace_id,
            "conn": emulator.connection_id,
            "filters": {"connectionJobIds": [job_id]},
            **variables,
        },
    )
    rows: list[dict[str, Any]] = data["me"]["workspaces"][0]["connections"][0]["jobWorks"]
    return rows


def _artifact(external_id: str, url: str = "https://partner.test/doc.pdf") -> dict[str, Any]:
    return {"name": f"{external_id}.pdf", "type": "w2", "externalId": external_id, "url": url}


def _arguments(gateway: Gateway, type_name: str, field: str) -> list[str]:
    fields = gateway.data(ARGUMENTS % type_name)["__type"]["fields"]
    return next([arg["name"] for arg in f["args"]] for f in fields if f["name"] == field)


def test_page_cap_silently_shortens_every_page(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    gateway.create_works(job_id, [f"w{n:02d}" for n in range(30)])
    for _ in range(2):
        gateway.data(START_CONNECTION, {"ws": filed_emulator.workspace_id})
    filed_emulator.configure(page_cap=7)

    response = gateway.post(
        JOB_WORKS_WITHOUT_SORT_BY,
        {"ws": filed_emulator.workspace_id, "conn": filed_emulator.connection_id, "limit": 100},
    )
    assert response.status_code == 200
    assert set(response.json()) == {"data"}
    assert len(response.json()["data"]["me"]["workspaces"][0]["connections"][0]["jobWorks"]) == 7
    assert len(_rows(gateway, job_id)) == 7
    assert len(_rows(gateway, job_id, limit=5)) == 5
    assert [row["work"]["externalId"] for row in _rows(gateway, job_id, offset=28, limit=100)] == ["w28", "w29"]
    filed_emulator.configure(max_limit=4)
    assert len(_rows(gateway, job_id, limit=100)) == 4

    filed_emulator.configure(page_cap=2, max_limit=1000)
    connections = gateway.data(CONNECTIONS, {"ws": filed_emulator.workspace_id, "limit": 10})
    assert len(connections["me"]["workspaces"][0]["connections"]) == 2
    assert filed_emulator.configure(page_cap=None)["page_cap"] is None
    assert len(_rows(gateway, job_id)) == 30


def test_strict_duplicates_report_no_duplicates(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    gateway.create_works(job_id, ["a"])
    stats = filed_emulator.stats()
    assert stats["duplicate_work_external_ids"] == []
    assert stats["duplicate_work_external_ids_by_job"] == {}
    assert stats["duplicate_artifact_external_ids"] == {}


def test_lenient_duplicates_create_and_report_them(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    assert filed_emulator.configure(lenient_duplicates=True)["lenient_duplicates"] is True
    first, second = gateway.create_job("first"), gateway.create_job("second")
    (a1, _) = gateway.create_works(first, ["a", "b"])
    created = gateway.create_works(second, ["a", "c", "c"])
    assert len({row["id"] for row in created}) == 3
    assert len(gateway.create_artifacts(a1["id"], [_artifact("x"), _artifact("x")])) == 2
    assert len(gateway.create_artifacts(a1["id"], [_artifact("x"), _artifact("y")])) == 2
    gateway.create_artifacts(created[0]["id"], [_artifact("x")])

    stats = filed_emulator.stats()
    assert stats["works_per_job"] == {first: 2, second: 3}
    assert stats["artifacts_per_job"] == {first: 4, second: 1}
    assert stats["duplicate_work_external_ids"] == ["a", "c"]
    assert stats["duplicate_work_external_ids_by_job"] == {second: ["c"]}
    assert stats["duplicate_artifact_external_ids"] == {a1["id"]: ["x"]}
    assert (stats["duplicate_external_ids_rejected"], stats["duplicate_artifact_external_ids_rejected"]) == (0, 0)
    externals = [row["work"]["externalId"] for row in _rows(gateway, second)]
    assert externals == ["a", "c", "c"]

    filed_emulator.configure(lenient_duplicates=False)
    conflict = gateway.error(
        CREATE_JOB_WORKS, {"connectionJobId": second, "inputs": [{"name": "b", "externalId": "b"}]}
    )
    assert conflict["extensions"] == {"code": "CONFLICT", "externalIds": ["b"]}
    conflict = gateway.error(CREATE_ARTIFACTS, {"jobWorkId": a1["id"], "inputs": [_artifact("y")]})
    assert conflict["extensions"] == {"code": "CONFLICT", "externalIds": ["y"]}
    stats = filed_emulator.stats()
    assert (stats["duplicate_external_ids_rejected"], stats["duplicate_artifact_external_ids_rejected"]) == (1, 1)
    assert stats["duplicate_work_external_ids_by_job"] == {second: ["c"]}


def test_without_the_sort_by_argument(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    gateway.create_works(job_id, ["a", "b"])
    assert "sortBy" in _arguments(gateway, "ProviderConnection", "jobWorks")
    assert len(gateway.job_works(job_id, sortBy={"field": "id", "direction": "DESC"})) == 2

    filed_emulator.configure(sort_by_argument=False)
    assert _arguments(gateway, "ProviderConnection", "jobWorks") == ["filters", "offset", "limit"]
    assert _arguments(gateway, "Workspace", "connections") == ["filters", "limit", "offset"]
    variables = {"workspaceId": filed_emulator.workspace_id, "connectionId": filed_emulator.connection_id}
    for query, args in ((GET_JOB_WORKS, variables), (CONNECTIONS_SORTED, {"ws": filed_emulator.workspace_id})):
        error = gateway.error(query, args, status=400)
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "sortBy" in error["message"]
    assert [row["work"]["externalId"] for row in _rows(gateway, job_id)] == ["a", "b"]

    filed_emulator.configure(sort_by_argument=True)
    assert len(gateway.job_works(job_id)) == 2
    assert filed_emulator.stats()["requests"]["me"]["400"] == 2


@pytest.mark.parametrize(
    ("case", "pending", "active"), [("upper", "PENDING", "ACTIVE"), ("title", "Pending", "Active")]
)
def test_status_case(filed_emulator: EmulatorHandle, gateway: Gateway, case: str, pending: str, active: str) -> None:
    filed_emulator.configure(status_case=case, processing_time_s=0.2)
    job = gateway.data(CREATE_JOB, {"connectionId": filed_emulator.connection_id, "jobName": "x"})
    job_id = job["createConnectionJob"]["id"]
    assert job["createConnectionJob"]["status"] == pending
    (ok, failing) = gateway.create_works(job_id, ["ok", "failing"])
    created = gateway.create_artifacts(ok["id"], [_artifact("doc")])
    assert created[0]["workArtifact"]["status"] == case_of(case, "initial")
    gateway.create_artifacts(failing["id"], [_artifact("bad", url="https://partner.test/fail.pdf")])
    assert {row["work"]["status"] for row in _rows(gateway, job_id)} == {pending}
    connections = gateway.data(CONNECTIONS, {"ws": filed_emulator.workspace_id, "statuses": ["active"]})
    assert [c["status"] for c in connections["me"]["workspaces"][0]["connections"]] == [active]

    assert gateway.trigger(job_id)["status"] == active
    error = gateway.error(CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": [{"name": "n", "externalId": "n"}]})
    assert error["extensions"]["status"] == active
    assert "no longer accepts works" in error["message"]
    error = gateway.error(TRIGGER, {"connectionJobId": job_id})
    assert error["extensions"]["status"] == active
    assert filed_emulator.stats()["jobs"][job_id] == "active"

    gateway.wait_for_job(job_id)
    rows = {row["work"]["externalId"]: row for row in _rows(gateway, job_id)}
    assert rows["ok"]["work"]["status"] == case_of(case, "completed")
    assert rows["failing"]["work"]["status"] == case_of(case, "failed")
    assert rows["ok"]["jobWorkArtifacts"][0]["workArtifact"]["status"] == case_of(case, "success")
    assert rows["failing"]["jobWorkArtifacts"][0]["workArtifact"]["status"] == case_of(case, "error")


def case_of(case: str, status: str) -> str:
    return status.upper() if case == "upper" else status.title()


def test_invalid_switch_values_are_refused(filed_emulator: EmulatorHandle) -> None:
    for bad in ({"page_cap": 0}, {"status_case": "camel"}, {"lenient_duplicates": "maybe"}):
        response = filed_emulator.http.post(f"{filed_emulator.base_url}/_emulator/config", json=bad)
        assert response.status_code == 400, bad


def test_cli_flags_set_the_switches() -> None:
    args = ["--page-cap", "50", "--lenient-duplicates", "--no-sort-by-argument", "--status-case", "upper"]
    config = config_from_args(build_parser().parse_args([*args, "--no-fast-path"]))
    assert config.fast_path is False
    assert (config.page_cap, config.lenient_duplicates, config.sort_by_argument, config.status_case) == (
        50,
        True,
        False,
        "upper",
    )
    defaults = config_from_args(build_parser().parse_args([]))
    assert defaults.fast_path is True
    assert (defaults.page_cap, defaults.lenient_duplicates, defaults.sort_by_argument, defaults.status_case) == (
        None,
        False,
        True,
        "lower",
    )


def test_switches_set_at_start_survive_a_reset() -> None:
    start = EmulatorConfig(page_cap=3, lenient_duplicates=True, sort_by_argument=False, status_case="title")
    with run_emulator(config=start) as emulator:
        emulator.configure(page_cap=None, lenient_duplicates=False, sort_by_argument=True, status_case="upper")
        emulator.reset()
        config = emulator.configure()
        assert (config["page_cap"], config["lenient_duplicates"]) == (3, True)
        assert (config["sort_by_argument"], config["status_case"]) == (False, "title")
        gateway = Gateway(emulator, emulator.login())
        job_id = gateway.create_job()
        assert len(gateway.create_works(job_id, ["a", "a", "b", "c", "d"])) == 5
        assert [row["work"]["status"] for row in _rows(gateway, job_id)] == ["Pending"] * 3
        assert gateway.post(GET_JOB_WORKS, {"workspaceId": "w", "connectionId": "c"}).status_code == 400
