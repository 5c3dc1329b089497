"""Bad input fails with a message naming the row or field, before any request wherever that is knowable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_filed.client import FiledClient, load_config
from airflow_provider_filed.client.models import CreateJobWorksInput
from airflow_provider_filed.hooks.filed import FiledHook
from airflow_provider_filed.operators.job_work_artifacts import CreateJobWorkArtifactsOperator
from airflow_provider_filed.operators.job_works import CreateJobWorksOperator


class FakeTI:
    try_number = 1
    dag_id = "bad_input"
    run_id = "manual"

    def xcom_push(self, key: str, value: object) -> None:
        pass


def run(operator: Any) -> Any:
    return operator.execute({"ti": FakeTI()})


def works_operator(works: Any, **kwargs: Any) -> CreateJobWorksOperator:
    return CreateJobWorksOperator(task_id="works", connection_job_id="job_x", works=works, **kwargs)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


LONG = "x" * 256

# (id, works or a callable building a file path, expected fragments of the message)
WORK_CASES: list[tuple[str, Any, list[str]]] = [
    ("missing-name", [{"externalId": "c-1"}], ["row 1", "'name'", "is required"]),
    (
        "empty-name",
        [{"name": "A", "externalId": "c-1"}, {"name": "  ", "externalId": "c-2"}],
        ["row 2", "'name'", "must not be empty"],
    ),
    ("missing-external-id", [{"name": "A"}], ["row 1", "'externalId'", "is required"]),
    ("non-string-id", [{"name": "A", "externalId": 123}], ["row 1", "'externalId'", "must be a string"]),
    (
        "duplicate-external-id",
        [{"name": "A", "externalId": "c-1"}, {"name": "B", "externalId": "c-2"}, {"name": "C", "externalId": "c-1"}],
        ["row 3", "duplicate 'c-1' (first at row 1)"],
    ),
    ("over-long-name", [{"name": LONG, "externalId": "c-1"}], ["row 1", "'name'", "longer than 255 characters"]),
    ("unknown-field", [{"name": "A", "externalId": "c-1", "email": "a@b"}], ["row 1", "'email'", "not a known field"]),
    ("empty-list", [], ["client list is empty"]),
    ("not-a-row", ["just a string"], ["row 1", "must be an object"]),
    (
        "malformed-csv",
        lambda tmp: write(tmp, "c.csv", "name,externalId\nA,c-1\nB,c-2,extra\n"),
        ["line 3", "has 3 cells, the header has 2"],
    ),
    ("csv-without-column", lambda tmp: write(tmp, "c.csv", "name,id\nA,c-1\n"), ["lacks column", "externalId"]),
    ("missing-file", lambda tmp: str(tmp / "nope.csv"), ["file not found", "nope.csv"]),
    (
        "bad-json-lines",
        lambda tmp: write(tmp, "c.jsonl", '{"name": "A", "externalId": "c-1"}\n{oops\n'),
        ["line 2", "not valid JSON"],
    ),
]


@pytest.mark.parametrize(("works", "expected"), [pytest.param(w, e, id=i) for i, w, e in WORK_CASES])
def test_bad_works_fail_before_any_request(filed_connection, tmp_path, works, expected) -> None:
    before = filed_connection.stats()["total_requests"]
    with pytest.raises(AirflowFailException) as failure:
        run(works_operator(works(tmp_path) if callable(works) else works))
    message = str(failure.value)
    for fragment in expected:
        assert fragment in message
    assert "nothing was sent" in message
    assert filed_connection.stats()["total_requests"] == before


ARTIFACT_CASES = [
    ("no-url", {"c-1": [{"name": "W-2", "type": "w2", "externalId": "a-1"}]}, ["c-1[1].url", "is required"]),
    (
        "no-type",
        {"c-1": [{"name": "W-2", "url": "https://d/1.pdf", "externalId": "a-1"}]},
        ["c-1[1].type", "is required"],
    ),
    (
        "not-a-url",
        {"c-1": [{"name": "W-2", "type": "w2", "url": "ftp://d/1", "externalId": "a-1"}]},
        ["c-1[1].url", "http(s) URL"],
    ),
    (
        "duplicate-artifact",
        {"c-1": [{"name": "a", "type": "w2", "url": "https://d/1", "externalId": "a-1"}] * 2},
        ["c-1[2].externalId", "duplicate 'a-1'"],
    ),
    ("not-a-list", {"c-1": "https://d/1.pdf"}, ["'c-1'", "must be a list"]),
    ("nothing", {"c-1": []}, ["no artifacts"]),
]


@pytest.mark.parametrize(("artifacts", "expected"), [pytest.param(a, e, id=i) for i, a, e in ARTIFACT_CASES])
def test_bad_artifacts_fail_before_any_request(filed_connection, artifacts, expected) -> None:
    before = filed_connection.stats()["total_requests"]
    with pytest.raises(AirflowFailException) as failure:
        run(CreateJobWorkArtifactsOperator(task_id="files", connection_job_id="job_x", artifacts=artifacts))
    for fragment in expected:
        assert fragment in str(failure.value)
    assert filed_connection.stats()["total_requests"] == before


CONNECTION_CASES = [
    ("no-api-key", {"host": "EMULATOR"}, ["has no API key"]),
    ("bad-url", {"host": "not a url", "password": "KEY"}, ["bad URL"]),
    (
        "plain-http-remote",
        {"host": "http://filed.example.com/graphql", "password": "KEY"},
        ["refusing plain http://", "filed.example.com"],
    ),
    ("unknown-extra", {"host": "EMULATOR", "password": "KEY", "extra": {"bach_size": 5}}, ["extra bach_size"]),
    ("bad-extra-type", {"host": "EMULATOR", "password": "KEY", "extra": {"batch_size": "many"}}, ["extra batch_size"]),
]


@pytest.mark.parametrize(("conn", "expected"), [pytest.param(c, e, id=i) for i, c, e in CONNECTION_CASES])
def test_unusable_connections_fail_clearly(filed_emulator, monkeypatch, conn, expected) -> None:
    import json

    payload = {"conn_type": "filed", **conn}
    if payload.get("host") == "EMULATOR":
        payload["host"] = filed_emulator.url
    if payload.get("password") == "KEY":
        payload["password"] = filed_emulator.api_key
    payload.setdefault("extra", {})
    payload["extra"] |= {"workspace_id": filed_emulator.workspace_id, "connection_id": filed_emulator.connection_id}
    monkeypatch.setenv("AIRFLOW_CONN_FILED_DEFAULT", json.dumps(payload))
    with pytest.raises(AirflowFailException) as failure:
        run(works_operator([{"name": "A", "externalId": "c-1"}]))
    for fragment in expected:
        assert fragment in str(failure.value)
    assert filed_emulator.stats()["total_requests"] == 0


def test_unknown_connection_job_is_named(filed_connection) -> None:
    with pytest.raises(AirflowFailException, match="job_unknown"):
        run(
            CreateJobWorksOperator(
                task_id="works", connection_job_id="job_unknown", works=[{"name": "A", "externalId": "c-1"}]
            )
        )
    assert filed_connection.stats()["works_per_job"] == {}


def test_job_already_triggered_is_refused_and_nothing_is_half_created(filed_connection) -> None:
    with FiledClient(load_config(url=filed_connection.url, api_key=filed_connection.api_key)) as client:
        job = client.create_connection_job(filed_connection.connection_id, "done already")
        client.create_job_works(job.id, [CreateJobWorksInput(name="A", external_id="c-0")])
        client.trigger_connection_job(job.id)
    works = [{"name": f"N{i}", "externalId": f"c-{i}"} for i in range(1, 4)]
    with pytest.raises(AirflowFailException, match="no longer accepts works"):
        run(CreateJobWorksOperator(task_id="works", connection_job_id=job.id, works=works))
    assert filed_connection.stats()["works_per_job"] == {job.id: 1}
    # A second trigger is refused by Filed, and counts as done.
    assert FiledHook().trigger_connection_job(job.id) == "already triggered"
