"""Push import: job works, artifacts, trigger, lifecycle after the trigger, and the jobWorks read."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.emulator.gateway import CREATE_ARTIFACTS, CREATE_JOB_WORKS, TRIGGER, Gateway

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")

DOC_CREATE_JOB_WORKS = """
mutation CreateJobWorks($connectionJobId: ID!, $inputs: [CreateJobWorksInput!]!) {
  createJobWorks(connectionJobId: $connectionJobId, inputs: $inputs) {
    id
    createdAt
    updatedAt
    workspaceId
    workId
    connectionJobId
  }
}
"""
DOC_GET_JOB_WORKS = """
query GetJobWorks($workspaceId: ID!, $connectionId: ID!, $jobId: ID!) {
  me {
    workspaces(filters: {ids: [$workspaceId]}) {
      connections(filters: {ids: [$connectionId]}) {
        jobWorks(
          filters: {connectionJobIds: [$jobId]}
          sortBy: {field: "createdAt", direction: ASC}
          offset: 0
          limit: 100
        ) {
          id
          createdAt
          updatedAt
          workspaceId
          workId
          connectionJobId
          work { id name externalId status tag }
          jobWorkArtifacts {
            id
            createdAt
            updatedAt
            workspaceId
            artifactId
            connectionJobId
            jobWorkId
            workArtifact { id externalId createdAt updatedAt workId connectionId name type status uploadedUrl metadata }
          }
        }
      }
    }
  }
}
"""


def _artifact(external_id: str, url: str | None = "https://partner.test/doc.pdf", **extra: Any) -> dict[str, Any]:
    return {"name": f"{external_id}.pdf", "type": "w2", "externalId": external_id, "url": url, **extra}


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


def test_documented_create_and_get_job_works_shapes(gateway: Gateway) -> None:
    job_id = gateway.create_job()
    inputs = [{"name": "Jane Doe", "externalId": "client-1"}, {"name": "John Roe", "externalId": "client-2"}]
    created = gateway.data(DOC_CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": inputs})["createJobWorks"]
    assert len(created) == 2
    for row in created:
        assert set(row) == {"id", "createdAt", "updatedAt", "workspaceId", "workId", "connectionJobId"}
        assert row["id"].startswith("job_work_")
        assert row["workId"].startswith("work_")
        assert (row["workspaceId"], row["connectionJobId"]) == (gateway.emulator.workspace_id, job_id)
        assert DATE.match(row["createdAt"])
        assert DATE.match(row["updatedAt"])
    gateway.create_artifacts(created[0]["id"], [_artifact("w2-2023", metadata={"year": 2023})])

    variables = {
        "workspaceId": gateway.emulator.workspace_id,
        "connectionId": gateway.emulator.connection_id,
        "jobId": job_id,
    }
    data = gateway.data(DOC_GET_JOB_WORKS, variables)
    rows = data["me"]["workspaces"][0]["connections"][0]["jobWorks"]
    assert _ids(rows) == _ids(created)
    first = rows[0]
    assert first["work"] == {
        "id": created[0]["workId"],
        "name": "Jane Doe",
        "externalId": "client-1",
        "status": "pending",
        "tag": "individual",
    }
    (job_artifact,) = first["jobWorkArtifacts"]
    assert job_artifact["id"].startswith("job_artifact_")
    assert job_artifact["artifactId"] == job_artifact["workArtifact"]["id"]
    assert job_artifact["artifactId"].startswith("artifact_")
    assert (job_artifact["jobWorkId"], job_artifact["connectionJobId"]) == (first["id"], job_id)
    artifact = job_artifact["workArtifact"]
    assert artifact["workId"] == first["workId"]
    assert artifact["connectionId"] == gateway.emulator.connection_id
    assert (artifact["status"], artifact["uploadedUrl"], artifact["metadata"]) == ("initial", None, {"year": 2023})
    assert (artifact["type"], artifact["externalId"]) == ("w2", "w2-2023")
    assert rows[1]["jobWorkArtifacts"] == []


def test_create_job_works_errors(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()

    def code(inputs: list[dict[str, str]], job: str = job_id) -> dict[str, Any]:
        return gateway.error(CREATE_JOB_WORKS, {"connectionJobId": job, "inputs": inputs})

    assert code([{"name": "a", "externalId": "a"}], "job_missing")["extensions"]["code"] == "NOT_FOUND"
    assert code([{"name": "", "externalId": "a"}])["extensions"]["code"] == "BAD_USER_INPUT"
    assert code([{"name": "a", "externalId": " "}])["extensions"]["code"] == "BAD_USER_INPUT"
    too_many = [{"name": "n", "externalId": f"e{i}"} for i in range(501)]
    assert code(too_many)["extensions"]["code"] == "BAD_USER_INPUT"
    filed_emulator.configure(max_inputs_per_request=2)
    assert code(too_many[:3])["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(gateway.create_works(job_id, ["e0", "e1"])) == 2
    assert filed_emulator.stats()["works_per_job"][job_id] == 2
    assert gateway.create_works(job_id, []) == []


def test_duplicate_external_ids_reject_the_whole_request(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    first_job = gateway.create_job("first")
    gateway.create_works(first_job, ["a", "b"])
    second_job = gateway.create_job("second")

    inputs = [{"name": n, "externalId": n} for n in ["new-1", "a", "new-2", "b", "new-2"]]
    error = gateway.error(CREATE_JOB_WORKS, {"connectionJobId": second_job, "inputs": inputs})
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["externalIds"] == ["a", "b", "new-2"]
    assert error["path"] == ["createJobWorks"]

    stats = filed_emulator.stats()
    assert stats["works_per_job"] == {first_job: 2, second_job: 0}
    assert stats["duplicate_external_ids_rejected"] == 3
    assert stats["duplicate_work_external_ids"] == []

    gateway.create_works(second_job, ["new-1", "new-2"])
    assert filed_emulator.stats()["works_per_job"][second_job] == 2


def test_works_are_refused_once_the_job_is_triggered(gateway: Gateway) -> None:
    job_id = gateway.create_job()
    job_work_id = gateway.create_works(job_id, ["a"])[0]["id"]
    gateway.trigger(job_id)
    error = gateway.error(CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": [{"name": "b", "externalId": "b"}]})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "status no longer accepts works" in error["message"]
    error = gateway.error(CREATE_ARTIFACTS, {"jobWorkId": job_work_id, "inputs": [_artifact("x")]})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "status no longer accepts works" in error["message"]


def test_create_job_work_artifacts_errors(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    job_work_id, other_job_work_id = _ids(gateway.create_works(job_id, ["a", "b"]))
    created = gateway.create_artifacts(job_work_id, [_artifact("w2"), _artifact("1099", url=None)])
    assert [a["workArtifact"]["status"] for a in created] == ["initial", "initial"]

    def error(inputs: list[dict[str, Any]], job_work: str = job_work_id) -> dict[str, Any]:
        return gateway.error(CREATE_ARTIFACTS, {"jobWorkId": job_work, "inputs": inputs})

    assert error([_artifact("x")], "job_work_missing")["extensions"]["code"] == "NOT_FOUND"
    assert error([{**_artifact("x"), "type": ""}])["extensions"]["code"] == "BAD_USER_INPUT"
    assert error([{**_artifact("x"), "name": ""}])["extensions"]["code"] == "BAD_USER_INPUT"
    assert error([_artifact("")])["extensions"]["code"] == "BAD_USER_INPUT"
    assert error([_artifact(f"x{i}") for i in range(501)])["extensions"]["code"] == "BAD_USER_INPUT"
    conflict = error([_artifact("new"), _artifact("w2"), _artifact("dup"), _artifact("dup")])
    assert conflict["extensions"] == {"code": "CONFLICT", "externalIds": ["w2", "dup"]}

    # Artifact externalIds are unique per job work, not per connection.
    assert len(gateway.create_artifacts(other_job_work_id, [_artifact("w2")])) == 1
    stats = filed_emulator.stats()
    assert stats["artifacts_per_job"][job_id] == 3
    assert stats["duplicate_artifact_external_ids_rejected"] == 2


def test_trigger_errors(gateway: Gateway) -> None:
    assert gateway.error(TRIGGER, {"connectionJobId": "job_missing"})["extensions"]["code"] == "NOT_FOUND"
    job_id = gateway.create_job()
    gateway.create_works(job_id, ["a"])
    assert gateway.trigger(job_id)["status"] == "active"
    error = gateway.error(TRIGGER, {"connectionJobId": job_id})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "already triggered" in error["message"]


def test_lifecycle_after_trigger(filed_emulator: EmulatorHandle, gateway: Gateway, fast_processing: float) -> None:
    job_id = gateway.create_job()
    ok, failing, no_url, empty = gateway.create_works(job_id, ["ok", "failing", "no-url", "empty"])
    gateway.create_artifacts(ok["id"], [_artifact("ok-1"), _artifact("ok-2", metadata={"page": 1})])
    gateway.create_artifacts(
        failing["id"],
        [_artifact("good"), _artifact("bad", url="https://partner.test/fail.pdf", metadata={"kept": True})],
    )
    gateway.create_artifacts(no_url["id"], [_artifact("nourl", url=None)])

    before = {row["id"]: row for row in gateway.job_works(job_id)}
    triggered = gateway.trigger(job_id)
    assert triggered["status"] == "active"
    assert triggered["updatedAt"] > triggered["createdAt"]
    during = {row["id"]: row for row in gateway.job_works(job_id)}
    assert {row["work"]["status"] for row in during.values()} == {"processing"}
    assert {a["workArtifact"]["status"] for row in during.values() for a in row["jobWorkArtifacts"]} == {"initial"}
    assert all(during[i]["updatedAt"] > before[i]["updatedAt"] for i in before)
    assert filed_emulator.stats()["jobs"][job_id] == "active"

    gateway.wait_for_job(job_id)
    after = {row["id"]: row for row in gateway.job_works(job_id)}
    assert after[ok["id"]]["work"]["status"] == "completed"
    assert after[failing["id"]]["work"]["status"] == "failed"
    assert after[no_url["id"]]["work"]["status"] == "failed"
    assert after[empty["id"]]["work"]["status"] == "completed"
    assert all(after[i]["updatedAt"] > during[i]["updatedAt"] for i in before)

    artifacts = {
        a["workArtifact"]["externalId"]: a["workArtifact"] for row in after.values() for a in row["jobWorkArtifacts"]
    }
    assert artifacts["ok-1"]["status"] == "success"
    assert artifacts["ok-1"]["uploadedUrl"] == f"https://files.filed.emulator/{artifacts['ok-1']['id']}"
    assert artifacts["ok-2"]["metadata"] == {"page": 1}
    assert artifacts["good"]["status"] == "success"
    assert artifacts["bad"]["status"] == "error"
    assert artifacts["bad"]["uploadedUrl"] is None
    assert artifacts["bad"]["metadata"]["kept"] is True
    assert "fail" in artifacts["bad"]["metadata"]["reason"]
    assert artifacts["nourl"]["metadata"] == {"reason": "no url"}
    assert artifacts["bad"]["updatedAt"] > artifacts["bad"]["createdAt"]


def test_failure_pattern_is_configurable(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    filed_emulator.configure(processing_time_s=0, artifact_failure_pattern=r"\.exe$")
    job_id = gateway.create_job()
    (work,) = gateway.create_works(job_id, ["a"])
    gateway.create_artifacts(work["id"], [_artifact("fail-in-name"), _artifact("virus", url="https://x.test/v.exe")])
    gateway.trigger(job_id)
    (row,) = gateway.job_works(job_id)
    statuses = {a["workArtifact"]["externalId"]: a["workArtifact"]["status"] for a in row["jobWorkArtifacts"]}
    assert statuses == {"fail-in-name": "success", "virus": "error"}
    assert row["work"]["status"] == "failed"


def test_terminated_pattern_cancels_artifacts(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    assert filed_emulator.configure()["artifact_terminated_pattern"] is None
    filed_emulator.configure(processing_time_s=0)
    first = gateway.create_job("never terminated")
    (work,) = gateway.create_works(first, ["a"])
    gateway.create_artifacts(work["id"], [_artifact("doc", url="https://x.test/cancel-me.pdf")])
    gateway.trigger(first)
    assert gateway.job_works(first)[0]["jobWorkArtifacts"][0]["workArtifact"]["status"] == "success"

    filed_emulator.configure(artifact_terminated_pattern=r"cancel")
    job_id = gateway.create_job("terminated")
    cancelled, kept = gateway.create_works(job_id, ["cancelled", "kept"])
    gateway.create_artifacts(
        cancelled["id"],
        [
            _artifact("c", url="https://x.test/cancel.pdf", metadata={"k": 1}),
            _artifact("both", url="https://x/fail-cancel"),
        ],
    )
    gateway.create_artifacts(kept["id"], [_artifact("k"), _artifact("f", url="https://x.test/fail.pdf")])
    gateway.trigger(job_id)
    rows = {row["work"]["externalId"]: row for row in gateway.job_works(job_id)}
    artifacts = {
        a["workArtifact"]["externalId"]: a["workArtifact"] for row in rows.values() for a in row["jobWorkArtifacts"]
    }
    assert {name: artifact["status"] for name, artifact in artifacts.items()} == {
        "c": "terminated",
        "both": "terminated",
        "k": "success",
        "f": "error",
    }
    assert artifacts["c"]["uploadedUrl"] is None
    assert artifacts["c"]["metadata"]["k"] == 1
    assert "cancelled" in artifacts["c"]["metadata"]["reason"]
    assert rows["cancelled"]["work"]["status"] == "failed"
    filed_emulator.configure(status_case="upper")
    assert gateway.job_works(job_id)[0]["jobWorkArtifacts"][0]["workArtifact"]["status"] == "TERMINATED"
    response = filed_emulator.http.post(
        f"{filed_emulator.base_url}/_emulator/config", json={"artifact_terminated_pattern": "("}
    )
    assert response.status_code == 400


def test_job_without_works_completes_at_once(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    filed_emulator.configure(processing_time_s=-1)
    job_id = gateway.create_job()
    assert gateway.trigger(job_id)["status"] == "completed"


def test_negative_processing_time_never_finishes(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    filed_emulator.configure(processing_time_s=-1)
    job_id = gateway.create_job()
    gateway.create_works(job_id, ["a"])
    gateway.trigger(job_id)
    filed_emulator.configure(processing_time_s=0)
    time.sleep(0.1)
    assert gateway.job_works(job_id)[0]["work"]["status"] == "processing"
    assert filed_emulator.stats()["jobs"][job_id] == "active"


def test_job_works_span_all_jobs_of_the_connection(gateway: Gateway) -> None:
    first, second = gateway.create_job("first"), gateway.create_job("second")
    a = gateway.create_works(first, ["a1", "a2"])
    b = gateway.create_works(second, ["b1"])
    c = gateway.create_works(first, ["a3"])
    assert _ids(gateway.job_works()) == _ids(a + b + c)
    assert _ids(gateway.job_works(first)) == _ids(a + c)
    assert _ids(gateway.job_works(filters={"connectionJobIds": [second, first]})) == _ids(a + b + c)
    assert _ids(gateway.job_works(filters={"ids": [c[0]["id"], a[0]["id"], "job_work_x"]})) == _ids(a[:1] + c)
    assert _ids(gateway.job_works(filters={"workIds": [b[0]["workId"]]})) == _ids(b)
    assert gateway.job_works(filters={"workIds": [b[0]["workId"]], "connectionJobIds": [first]}) == []
    assert gateway.job_works(filters={"ids": []}) == []
    assert gateway.job_works(filters={"connectionJobIds": ["job_unknown"]}) == []


def test_paging_is_stable_and_sortable(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    created = _ids(gateway.create_works(job_id, [f"w{i:03d}" for i in range(250)]))
    assert created == sorted(created)

    pages: list[str] = []
    offset = 0
    while True:
        page = _ids(gateway.job_works(job_id, offset=offset, limit=60))
        pages += page
        offset += 60
        if len(page) < 60:
            break
    assert pages == created
    assert len(gateway.job_works(job_id)) == 100
    assert _ids(gateway.job_works(job_id, sortBy={"field": "createdAt", "direction": "DESC"}, limit=3)) == list(
        reversed(created[-3:])
    )
    assert _ids(gateway.job_works(job_id, sortBy={"field": "id", "direction": "DESC"}, offset=248, limit=5)) == [
        created[1],
        created[0],
    ]
    assert _ids(gateway.job_works(job_id, sortBy={"field": "updatedAt"}, limit=1000)) == created
    assert gateway.job_works(job_id, offset=1000) == []
    assert gateway.job_works(job_id, limit=0) == []

    filed_emulator.configure(max_limit=120)
    assert len(gateway.job_works(job_id, limit=5000)) == 120


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"sortBy": {"field": "name"}}, id="unknown-sort-field"),
        pytest.param({"offset": -1}, id="negative-offset"),
        pytest.param({"limit": -5}, id="negative-limit"),
    ],
)
def test_bad_paging_arguments(gateway: Gateway, variables: dict[str, Any]) -> None:
    error = gateway.error(
        "query($ws: ID!, $sortBy: SortBy, $offset: Int, $limit: Int) { me { workspaces(filters: {ids: [$ws]}) {"
        " connections { jobWorks(sortBy: $sortBy, offset: $offset, limit: $limit) { id } } } } }",
        {"ws": gateway.emulator.workspace_id, **variables},
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_updated_at_sort_follows_status_changes(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    filed_emulator.configure(processing_time_s=0)
    old_job, new_job = gateway.create_job("old"), gateway.create_job("new")
    old = gateway.create_works(old_job, ["o"])
    new = gateway.create_works(new_job, ["n"])
    gateway.trigger(old_job)
    assert _ids(gateway.job_works(sortBy={"field": "updatedAt", "direction": "ASC"})) == _ids(new + old)
    assert _ids(gateway.job_works(sortBy={"field": "createdAt", "direction": "ASC"})) == _ids(old + new)
