"""A third-party client (gql over httpx) introspects the emulator and runs the push-import flow."""

from __future__ import annotations

import time
from typing import Any

import pytest
from gql import Client
from gql.graphql_request import GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport
from graphql import print_schema

from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.emulator.gateway import CREATE_ARTIFACTS, CREATE_JOB, CREATE_JOB_WORKS, GET_JOB_WORKS, LOGIN, TRIGGER


def _client(emulator: EmulatorHandle, token: str | None, *, fetch_schema: bool) -> Client:
    headers = {"source-platform": "gql-tests"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    transport = HTTPXTransport(url=emulator.url, headers=headers, timeout=10, trust_env=False)
    return Client(transport=transport, fetch_schema_from_transport=fetch_schema)


def _run(session: Any, document: str, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = session.execute(GraphQLRequest(document, variable_values=variables))
    return result


def test_gql_introspects_and_runs_the_push_import(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(processing_time_s=0.2)
    with _client(filed_emulator, None, fetch_schema=False) as anonymous:
        token = _run(anonymous, LOGIN, apiKey=filed_emulator.api_key)["loginViaPersonalApiToken"]["accessToken"]

    client = _client(filed_emulator, token, fetch_schema=True)
    with client as session:
        assert client.schema is not None
        sdl = print_schema(client.schema)
        for name in ("createJobWorks", "triggerConnectionJob", "jobWorks", "scalar Date", "scalar JSON"):
            assert name in sdl

        job = _run(session, CREATE_JOB, connectionId=filed_emulator.connection_id, jobName="gql import")
        job_id = job["createConnectionJob"]["id"]
        inputs = [{"name": f"Client {n}", "externalId": f"gql-{n}"} for n in range(3)]
        works = _run(session, CREATE_JOB_WORKS, connectionJobId=job_id, inputs=inputs)["createJobWorks"]
        assert len(works) == 3
        artifacts = [{"name": "w2.pdf", "type": "w2", "externalId": "w2", "url": "https://p.test/w2.pdf"}]
        for work in works:
            _run(session, CREATE_ARTIFACTS, jobWorkId=work["id"], inputs=artifacts)
        assert _run(session, TRIGGER, connectionJobId=job_id)["triggerConnectionJob"]["status"] == "active"

        with pytest.raises(TransportQueryError) as refused:
            _run(session, CREATE_JOB_WORKS, connectionJobId=job_id, inputs=inputs[:1])
        assert refused.value.errors
        assert refused.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"

    deadline = time.monotonic() + 5
    while filed_emulator.stats()["jobs"][job_id] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with client as session:
        rows = _run(
            session,
            GET_JOB_WORKS,
            workspaceId=filed_emulator.workspace_id,
            connectionId=filed_emulator.connection_id,
            filters={"connectionJobIds": [job_id]},
            sortBy={"field": "createdAt", "direction": "ASC"},
            offset=0,
            limit=100,
        )["me"]["workspaces"][0]["connections"][0]["jobWorks"]
    assert [row["id"] for row in rows] == [work["id"] for work in works]
    assert {row["work"]["externalId"] for row in rows} == {"gql-0", "gql-1", "gql-2"}
    assert {row["work"]["status"] for row in rows} == {"completed"}
    statuses = {a["workArtifact"]["status"] for row in rows for a in row["jobWorkArtifacts"]}
    assert statuses == {"success"}
    assert filed_emulator.stats()["source_platforms"]["gql-tests"] >= 6
