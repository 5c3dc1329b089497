"""Partner set-up: workspaces, users, provider connections, connection jobs."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from airflow_provider_filed.emulator.store import COLLECT_AFTER_RESET, Store
from airflow_provider_filed.emulator.store.imports import WORKS, CreateRules
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.emulator.gateway import CREATE_JOB, CREATE_JOB_WORKS, Gateway

CREATE_WORKSPACE = """
mutation CreateWorkspace($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) { id slug displayName status workspaceType metadata firmSize createdAt }
}
"""
ADD_USERS = """
mutation AddUsers($workspaceId: ID!, $userEmails: [String!]!) {
  addUsersToTheWorkspace(workspaceId: $workspaceId, userEmails: $userEmails) { id email name role }
}
"""
CONNECTION_FIELDS = "id workspaceId providerKey status action displayName settings createdAt updatedAt"
START_CONNECTION = f"""
mutation Start($workspaceId: ID!, $providerKey: String!, $inputs: JSON) {{
  startProviderConnection(workspaceId: $workspaceId, providerKey: $providerKey, inputs: $inputs) {{
    {CONNECTION_FIELDS} provider {{ name category }}
  }}
}}
"""
COLLECT_CONNECTION = f"""
mutation Collect($connectionId: ID!, $inputs: JSON) {{
  collectProviderConnection(connectionId: $connectionId, inputs: $inputs) {{ {CONNECTION_FIELDS} }}
}}
"""
LIST_CONNECTIONS = """
query Connections($workspaceId: ID!, $filters: ConnectionFilters, $limit: Int, $offset: Int, $sortBy: SortBy) {
  me { workspaces(filters: {ids: [$workspaceId]}) {
    connections(filters: $filters, limit: $limit, offset: $offset, sortBy: $sortBy) {
      id status providerKey provider { name category }
    }
  } }
}
"""


def _start(gateway: Gateway, provider_key: str = "karbon", **inputs: Any) -> dict[str, Any]:
    variables = {"workspaceId": gateway.emulator.workspace_id, "providerKey": provider_key, "inputs": inputs}
    connection: dict[str, Any] = gateway.data(START_CONNECTION, variables)["startProviderConnection"]
    return connection


def _connections(gateway: Gateway, **variables: Any) -> list[dict[str, Any]]:
    data = gateway.data(LIST_CONNECTIONS, {"workspaceId": gateway.emulator.workspace_id, **variables})
    rows: list[dict[str, Any]] = data["me"]["workspaces"][0]["connections"]
    return rows


def test_create_workspace_derives_a_unique_slug(gateway: Gateway) -> None:
    first = gateway.data(
        CREATE_WORKSPACE, {"input": {"displayName": "Smith & Co. Tax", "firmSize": "md", "metadata": {"a": 1}}}
    )["createWorkspace"]
    assert first["id"].startswith("workspace_")
    assert first["slug"] == "smith-co-tax"
    assert (first["status"], first["workspaceType"], first["firmSize"]) == ("active", "partner", "md")
    assert first["metadata"] == {"a": 1}
    second = gateway.data(CREATE_WORKSPACE, {"input": {"displayName": "Smith & Co Tax"}})["createWorkspace"]
    assert second["slug"] == "smith-co-tax-2"
    seeded = gateway.data(CREATE_WORKSPACE, {"input": {"displayName": "Demo Tax Firm"}})["createWorkspace"]
    assert seeded["slug"] == "demo-tax-firm-2"
    workspaces = gateway.data("{ me { workspaces { id } } }")["me"]["workspaces"]
    assert [w["id"] for w in workspaces] == [gateway.emulator.workspace_id, first["id"], second["id"], seeded["id"]]


@pytest.mark.parametrize(
    "workspace_input",
    [
        pytest.param({"displayName": "Firm", "firmSize": "huge"}, id="bad-firm-size"),
        pytest.param({"displayName": "   "}, id="empty-name"),
    ],
)
def test_create_workspace_rejects_bad_input(gateway: Gateway, workspace_input: dict[str, str]) -> None:
    error = gateway.error(CREATE_WORKSPACE, {"input": workspace_input})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_add_users_to_the_workspace(gateway: Gateway) -> None:
    variables = {"workspaceId": gateway.emulator.workspace_id, "userEmails": ["ann@firm.test", "bob@firm.test"]}
    users = gateway.data(ADD_USERS, variables)["addUsersToTheWorkspace"]
    assert [u["email"] for u in users] == ["ann@firm.test", "bob@firm.test"]
    assert all(u["id"].startswith("user_") and u["role"] == "member" for u in users)
    again = gateway.data(ADD_USERS, {**variables, "userEmails": ["ANN@firm.test"]})["addUsersToTheWorkspace"]
    assert again[0]["id"] == users[0]["id"]


def test_add_users_errors(gateway: Gateway) -> None:
    bad_email = {"workspaceId": gateway.emulator.workspace_id, "userEmails": ["ok@firm.test", "nope"]}
    assert gateway.error(ADD_USERS, bad_email)["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = {"workspaceId": "workspace_missing", "userEmails": ["ok@firm.test"]}
    assert gateway.error(ADD_USERS, unknown)["extensions"]["code"] == "NOT_FOUND"


def test_start_then_collect_a_provider_connection(gateway: Gateway) -> None:
    started = _start(gateway, "karbon", displayName="Karbon", region="us")
    assert started["id"].startswith("connection_")
    assert (started["status"], started["action"], started["displayName"]) == ("pending", "collect", "Karbon")
    assert started["workspaceId"] == gateway.emulator.workspace_id
    assert started["provider"] == {"name": "karbon", "category": "partner"}
    assert started["updatedAt"] == started["createdAt"]
    error = gateway.error(CREATE_JOB, {"connectionId": started["id"], "jobName": "too early"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"

    collected = gateway.data(COLLECT_CONNECTION, {"connectionId": started["id"], "inputs": {"apiToken": "t"}})[
        "collectProviderConnection"
    ]
    assert collected["status"] == "active"
    assert collected["settings"] == {"displayName": "Karbon", "region": "us", "apiToken": "t"}
    assert collected["updatedAt"] >= started["updatedAt"]
    assert gateway.create_job(connection_id=started["id"]).startswith("job_")


def test_collect_can_fail(gateway: Gateway) -> None:
    started = _start(gateway)
    failed = gateway.data(COLLECT_CONNECTION, {"connectionId": started["id"], "inputs": {"fail": True}})[
        "collectProviderConnection"
    ]
    assert failed["status"] == "failed"
    error = gateway.error(CREATE_JOB, {"connectionId": started["id"], "jobName": "x"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_connection_errors(gateway: Gateway) -> None:
    unknown_ws = {"workspaceId": "workspace_nope", "providerKey": "karbon"}
    assert gateway.error(START_CONNECTION, unknown_ws)["extensions"]["code"] == "NOT_FOUND"
    empty_key = {"workspaceId": gateway.emulator.workspace_id, "providerKey": ""}
    assert gateway.error(START_CONNECTION, empty_key)["extensions"]["code"] == "BAD_USER_INPUT"
    not_object = {"workspaceId": gateway.emulator.workspace_id, "providerKey": "k", "inputs": [1]}
    assert gateway.error(START_CONNECTION, not_object)["extensions"]["code"] == "BAD_USER_INPUT"
    unknown_conn = {"connectionId": "connection_nope"}
    assert gateway.error(COLLECT_CONNECTION, unknown_conn)["extensions"]["code"] == "NOT_FOUND"


def test_connections_filter_sort_and_page(gateway: Gateway) -> None:
    seeded = gateway.emulator.connection_id
    pending = _start(gateway, "karbon")["id"]
    other = _start(gateway, "taxdome")["id"]
    assert [c["id"] for c in _connections(gateway)] == [seeded, pending, other]
    assert [c["id"] for c in _connections(gateway, filters={"statuses": ["ACTIVE"]})] == [seeded]
    assert [c["id"] for c in _connections(gateway, filters={"providerKeys": ["taxdome"]})] == [other]
    assert [c["id"] for c in _connections(gateway, filters={"categories": ["partner"]})] == [seeded, pending, other]
    assert [c["id"] for c in _connections(gateway, filters={"ids": [pending, "connection_x"]})] == [pending]
    assert [c["id"] for c in _connections(gateway, sortBy={"field": "id", "direction": "DESC"})] == [
        other,
        pending,
        seeded,
    ]
    assert [c["id"] for c in _connections(gateway, offset=1, limit=1)] == [pending]
    assert _connections(gateway, offset=5) == []
    seeded_row = _connections(gateway, filters={"ids": [seeded]})[0]
    assert seeded_row["provider"] == {"name": "Partner push import", "category": "partner"}


def test_create_connection_job(gateway: Gateway) -> None:
    variables = {"connectionId": gateway.emulator.connection_id, "jobName": "Tax season 2024"}
    job = gateway.data(CREATE_JOB, variables)["createConnectionJob"]
    assert job["id"].startswith("job_")
    assert job["connectionId"] == gateway.emulator.connection_id
    assert job["workspaceId"] == gateway.emulator.workspace_id
    assert (job["name"], job["status"]) == ("Tax season 2024", "pending")
    assert job["createdAt"] == job["updatedAt"]


@pytest.mark.parametrize(
    ("connection_id", "job_name", "code"),
    [
        pytest.param("connection_missing", "x", "NOT_FOUND", id="unknown-connection"),
        pytest.param(None, "", "BAD_USER_INPUT", id="empty-name"),
        pytest.param(None, "  ", "BAD_USER_INPUT", id="blank-name"),
    ],
)
def test_create_connection_job_errors(gateway: Gateway, connection_id: str | None, job_name: str, code: str) -> None:
    variables = {"connectionId": connection_id or gateway.emulator.connection_id, "jobName": job_name}
    assert gateway.error(CREATE_JOB, variables)["extensions"]["code"] == code


def test_reset_restores_the_same_seed(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    gateway.data(CREATE_WORKSPACE, {"input": {"displayName": "Extra"}})
    job_id = gateway.create_job()
    gateway.create_works(job_id, ["a"])
    filed_emulator.reset()
    stats = filed_emulator.stats()
    assert (stats["jobs"], stats["works_per_job"], stats["total_requests"]) == ({}, {}, 0)
    token = filed_emulator.login()
    workspaces = gateway.data("{ me { workspaces { id slug } } }", token=token)["me"]["workspaces"]
    assert workspaces == [{"id": filed_emulator.workspace_id, "slug": filed_emulator.workspace_slug}]
    # Ids keep increasing after a reset: a stale id from before never names new data.
    assert gateway.error(CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": []}, token=token)["extensions"] == {
        "code": "NOT_FOUND"
    }
    variables = {"connectionId": filed_emulator.connection_id, "jobName": "after reset"}
    assert gateway.data(CREATE_JOB, variables, token=token)["createConnectionJob"]["id"] > job_id


def _import_clients(store: Store, count: int) -> None:
    """``count`` job works in a new connection job, made straight in the store (no reference kept here)."""
    api_key = store.seed.api_keys[0]
    partner = store.authenticate(store.login(api_key, ttl_s=60)).partner
    job = store.create_job(partner, store.seed.connection_id, "large")
    clients = [{"name": f"Client {i}", "externalId": f"c-{i}"} for i in range(count)]
    store.create(WORKS, partner, job.id, clients, CreateRules(max_inputs=count))


def test_a_reset_after_a_large_import_frees_its_records_at_once() -> None:
    """A large import's records reference each other (a job and its job works): the reset collects them, so
    the cyclic collector does not do it later, inside a request of the next import."""
    store = Store(["reset-collects-api-key-0123456789"])
    _import_clients(store, COLLECT_AFTER_RESET)
    gc.collect()
    gc.disable()
    try:
        store.reset()
        left_for_the_collector = gc.collect()
    finally:
        gc.enable()
    assert left_for_the_collector < 100
