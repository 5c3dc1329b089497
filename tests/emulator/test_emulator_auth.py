"""Login, bearer tokens (missing, bad, expired) and partner isolation."""

from __future__ import annotations

import time
from typing import Any

import pytest

from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.emulator.gateway import CREATE_JOB, CREATE_JOB_WORKS, LOGIN, TRIGGER, Gateway

ME = "query Me { me { id email name workspaces { id slug displayName status workspaceType } } }"


def test_login_returns_an_opaque_token_usable_as_bearer(anonymous: Gateway) -> None:
    data = anonymous.data(LOGIN, {"apiKey": anonymous.emulator.api_key})
    token = data["loginViaPersonalApiToken"]["accessToken"]
    assert len(token) >= 32
    me = anonymous.data(ME, token=token)["me"]
    assert me["id"].startswith("user_")
    assert me["email"]
    assert [w["slug"] for w in me["workspaces"]] == [anonymous.emulator.workspace_slug]
    assert me["workspaces"][0]["id"] == anonymous.emulator.workspace_id


def test_each_login_issues_a_fresh_token(anonymous: Gateway) -> None:
    tokens = {
        anonymous.data(LOGIN, {"apiKey": anonymous.emulator.api_key})["loginViaPersonalApiToken"]["accessToken"]
        for _ in range(2)
    }
    assert len(tokens) == 2


def test_unknown_api_key_is_unauthenticated(anonymous: Gateway) -> None:
    error = anonymous.error(LOGIN, {"apiKey": "not-a-key"}, status=401)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Bearer not-a-token"}, id="unknown"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="wrong-scheme"),
        pytest.param({"Authorization": "Bearer"}, id="empty"),
    ],
)
def test_bad_bearer_is_http_401(anonymous: Gateway, headers: dict[str, str]) -> None:
    error = anonymous.error(ME, headers=headers, status=401)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


def test_mutations_other_than_login_need_a_token(anonymous: Gateway) -> None:
    variables = {"connectionId": anonymous.emulator.connection_id, "jobName": "x"}
    error = anonymous.error(CREATE_JOB, variables, status=401)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert anonymous.emulator.stats()["jobs"] == {}


def test_token_expires_after_its_ttl(filed_emulator: EmulatorHandle, anonymous: Gateway) -> None:
    filed_emulator.configure(token_ttl_s=0.2)
    token = filed_emulator.login()
    anonymous.data(ME, token=token)
    time.sleep(0.3)
    error = anonymous.error(ME, token=token, status=401)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "expired" in error["message"]
    anonymous.data(ME, token=filed_emulator.login())


def test_reset_forgets_tokens(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    gateway.data(ME)
    filed_emulator.reset()
    assert gateway.error(ME, status=401)["extensions"]["code"] == "UNAUTHENTICATED"


def test_every_api_key_of_the_seeded_partner_logs_in() -> None:
    from airflow_provider_filed.emulator.testing import run_emulator

    with run_emulator(api_keys=["key-one", "key-two"]) as emulator:
        assert emulator.api_key == "key-one"
        assert emulator.api_keys == ["key-one", "key-two"]
        assert emulator.login("key-one") != emulator.login("key-two")


def test_default_api_key_is_generated() -> None:
    from airflow_provider_filed.emulator.testing import run_emulator

    with run_emulator() as emulator:
        assert emulator.api_key.startswith("filed-emulator-")
        assert emulator.login()


def test_another_partner_sees_nothing_of_ours(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    job_work_id = gateway.create_works(job_id, ["ours-1"])[0]["id"]
    other = filed_emulator.add_partner("other-partner-key")
    assert other["workspace_id"] != filed_emulator.workspace_id
    assert other["workspace_slug"] != filed_emulator.workspace_slug
    token = filed_emulator.login("other-partner-key")

    me = gateway.data(ME, token=token)["me"]
    assert [w["id"] for w in me["workspaces"]] == [other["workspace_id"]]
    filtered = gateway.data(
        "query($ids: [ID!]) { me { workspaces(filters: {ids: $ids}) { id } } }",
        {"ids": [filed_emulator.workspace_id]},
        token=token,
    )
    assert filtered["me"]["workspaces"] == []

    attempts: list[tuple[str, dict[str, Any]]] = [
        (CREATE_JOB, {"connectionId": filed_emulator.connection_id, "jobName": "steal"}),
        (CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": [{"name": "x", "externalId": "x"}]}),
        (TRIGGER, {"connectionJobId": job_id}),
        (
            "mutation($id: ID!) { createJobWorkArtifacts(jobWorkId: $id, inputs: []) { id } }",
            {"id": job_work_id},
        ),
        (
            'mutation($id: ID!) { addUsersToTheWorkspace(workspaceId: $id, userEmails: ["a@b.c"]) { id } }',
            {"id": filed_emulator.workspace_id},
        ),
        (
            'mutation($id: ID!) { startProviderConnection(workspaceId: $id, providerKey: "x") { id } }',
            {"id": filed_emulator.workspace_id},
        ),
        (
            "mutation($id: ID!) { collectProviderConnection(connectionId: $id) { id } }",
            {"id": filed_emulator.connection_id},
        ),
    ]
    for query, variables in attempts:
        assert gateway.error(query, variables, token=token)["extensions"]["code"] == "NOT_FOUND", query

    theirs = Gateway(filed_emulator, token)
    their_job = theirs.create_job(connection_id=other["connection_id"])
    assert gateway.error(TRIGGER, {"connectionJobId": their_job})["extensions"]["code"] == "NOT_FOUND"
    assert filed_emulator.stats()["works_per_job"] == {job_id: 1, their_job: 0}


def test_source_platform_is_recorded_by_value(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    gateway.data(ME)
    gateway.data(ME, headers={"source-platform": "other-platform"})
    stats = filed_emulator.stats()
    assert stats["source_platforms"]["emulator-tests"] >= 1
    assert stats["source_platforms"]["other-platform"] == 1
    assert stats["requests"]["me"]["200"] == 2
