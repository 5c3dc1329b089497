"""The wire: malformed requests, parse and validation errors, scalars, operation selection, stats keys."""

from __future__ import annotations

import re

import pytest
from graphql import OperationDefinitionNode, parse

from airflow_provider_filed.emulator.documents import PreparedDocument
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.emulator.gateway import Gateway

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(b"not json", "BAD_REQUEST", id="not-json"),
        pytest.param(b'{"variables": {}}', "BAD_REQUEST", id="no-query"),
        pytest.param(b'{"query": "{ me { id } }", "variables": [1]}', "BAD_REQUEST", id="bad-variables"),
        pytest.param(b'{"query": "{ me { id "}', "GRAPHQL_PARSE_FAILED", id="parse-error"),
        pytest.param(b'{"query": "{ me { nope } }"}', "GRAPHQL_VALIDATION_FAILED", id="unknown-field"),
    ],
)
def test_malformed_requests_are_http_400(gateway: Gateway, content: bytes, code: str) -> None:
    response = gateway.http.post(
        gateway.emulator.url,
        content=content,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {gateway.token}"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == code


def test_bad_variables_are_bad_user_input(gateway: Gateway) -> None:
    query = "mutation($j: ID!, $i: [CreateJobWorksInput!]!) { createJobWorks(connectionJobId: $j, inputs: $i) { id } }"
    error = gateway.error(query, {"j": "job_x", "i": [{"name": "only-name"}]}, status=400)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_get_is_not_allowed(filed_emulator: EmulatorHandle) -> None:
    assert filed_emulator.http.get(filed_emulator.url).status_code == 405


def test_dates_are_iso_utc_with_z(gateway: Gateway) -> None:
    job_id = gateway.create_job()
    gateway.create_works(job_id, ["a"])
    (row,) = gateway.job_works(job_id)
    assert DATE.match(row["createdAt"])
    assert DATE.match(row["updatedAt"])


def test_operation_name_selects_among_several(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    document = "query A { me { id } } query B { me { email } }"
    assert "email" in gateway.data(document, operation_name="B")["me"]
    assert gateway.post(document).status_code == 400
    stats = filed_emulator.stats()
    assert stats["requests"]["me"] == {"200": 1}
    assert stats["requests"]["<unknown>"] == {"400": 1}


def test_root_fields_are_counted_through_fragments(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    gateway.data("query { ...Root } fragment Root on Query { me { id } }")
    assert filed_emulator.stats()["requests"]["me"] == {"200": 1}


def test_stats_keys(filed_emulator: EmulatorHandle) -> None:
    stats = filed_emulator.stats()
    assert set(stats) >= {
        "requests",
        "total_requests",
        "source_platforms",
        "works_per_job",
        "artifacts_per_job",
        "duplicate_external_ids_rejected",
        "duplicate_work_external_ids",
        "jobs",
        "faults_injected",
    }
    assert stats["faults_injected"] == {"error": 0, "rate_limit": 0, "commit_then_fail": 0}


def test_seed_endpoint_describes_the_seeded_partner(filed_emulator: EmulatorHandle) -> None:
    seed = filed_emulator.http.get(f"{filed_emulator.base_url}/_emulator/seed").json()
    assert seed["workspace_id"] == filed_emulator.workspace_id
    assert seed["connection_id"] == filed_emulator.connection_id
    assert seed["workspace_slug"] == filed_emulator.workspace_slug == "demo-tax-firm"
    assert seed["api_key"] == filed_emulator.api_key


def test_a_prepared_document_names_its_root_fields_once_per_operation() -> None:
    """Names by operation, found once (a 250-alias mutation is walked once); none for a document that did not parse."""
    document = parse("query A { me { id } } mutation B { a0: createJobWorks(connectionJobId: 1, inputs: []) { id } }")
    a, b = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    prepared = PreparedDocument(document, (), None)
    assert (prepared.root_fields(a), prepared.root_fields(b)) == (["me"], ["createJobWorks"])
    assert prepared.root_fields(b) is prepared.root_fields(b)
    assert PreparedDocument(None, (), "GRAPHQL_PARSE_FAILED").root_fields(a) == []
