"""Every typed method of ``FiledClient`` (and ``AsyncFiledClient.run``) against the real emulator."""

from __future__ import annotations

import pytest

from airflow_provider_filed.client import (
    AsyncFiledClient,
    FiledClient,
    FiledConfigurationError,
    operations,
)
from airflow_provider_filed.client.models import (
    ConnectionFilters,
    CreateJobWorkArtifactsInput,
    CreateJobWorksInput,
    CreateWorkspaceInput,
)
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import make_config, new_job


def works(n: int, prefix: str = "client") -> list[CreateJobWorksInput]:
    return [CreateJobWorksInput(name=f"Client {i}", external_id=f"{prefix}-{i:05d}") for i in range(n)]


def artifact(external_id: str, url: str = "https://files.example.com/w2.pdf") -> CreateJobWorkArtifactsInput:
    return CreateJobWorkArtifactsInput(name=f"{external_id}.pdf", type="w2", url=url, external_id=external_id)


def test_me_and_workspaces(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    me = client.me()
    assert me.id
    assert me.email == "partner1@partner.filed.emulator"
    assert [w.id for w in me.workspaces] == [filed_emulator.workspace_id]
    assert me.workspaces[0].slug == filed_emulator.workspace_slug

    assert [w.id for w in client.workspaces([filed_emulator.workspace_id])] == [filed_emulator.workspace_id]
    assert client.workspaces(["workspace_does_not_exist"]) == []


def test_every_call_carries_the_source_platform(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    client.me()
    client.me()
    stats = filed_emulator.stats()
    assert stats["source_platforms"] == {"filed-client-tests": 3}  # one login + two queries
    assert stats["logins"] == 1  # the token is cached


def test_create_workspace_add_users_and_provider_connection_lifecycle(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    workspace = client.create_workspace(CreateWorkspaceInput(display_name="Smith & Co CPA", firm_size="md"))
    assert workspace.id.startswith("workspace_")
    assert (workspace.slug, workspace.status, workspace.workspace_type) == ("smith-co-cpa", "active", "partner")
    assert workspace.id in {w.id for w in client.workspaces()}

    users = client.add_users_to_the_workspace(workspace.id, ["ann@smith.example", "bob@smith.example"])
    assert [u.email for u in users] == ["ann@smith.example", "bob@smith.example"]
    assert all(u.id for u in users)

    started = client.start_provider_connection(workspace.id, "partner-push", {"displayName": "Our push"})
    assert (started.status, started.action, started.display_name) == ("pending", "collect", "Our push")
    assert started.workspace_id == workspace.id

    collected = client.collect_provider_connection(started.id, {"region": "us"})
    assert collected.id == started.id
    assert collected.status == "active"
    assert collected.settings == {"displayName": "Our push", "region": "us"}


def test_connections_filters_limit_offset_and_sort(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    ws = filed_emulator.workspace_id
    extra = [client.start_provider_connection(ws, f"provider-{i}") for i in range(3)]
    client.collect_provider_connection(extra[0].id)
    seeded = filed_emulator.connection_id
    every = [seeded, *(c.id for c in extra)]

    assert [c.id for c in client.connections(ws)] == every
    assert [c.id for c in client.connections(ws, limit=2)] == every[:2]
    assert [c.id for c in client.connections(ws, limit=2, offset=2)] == every[2:]
    assert [c.id for c in client.connections(ws, sort_by={"field": "createdAt", "direction": "DESC"})] == every[::-1]
    assert [c.id for c in client.connections(ws, ConnectionFilters(statuses=["pending"]))] == [
        extra[1].id,
        extra[2].id,
    ]
    assert [c.id for c in client.connections(ws, ConnectionFilters(ids=[seeded]))] == [seeded]
    assert [c.id for c in client.connections(ws, ConnectionFilters(provider_keys=["provider-2"]))] == [extra[2].id]
    partner = client.connections(ws, ConnectionFilters(categories=["partner"]), limit=10)
    assert {c.id for c in partner} == set(every)
    assert partner[0].provider is not None
    assert partner[0].provider.name == "Partner push import"


def test_push_import_end_to_end(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    job = client.create_connection_job(filed_emulator.connection_id, "tax season 2025")
    assert job.id.startswith("job_")
    assert (job.status, job.connection_id, job.workspace_id) == (
        "pending",
        filed_emulator.connection_id,
        filed_emulator.workspace_id,
    )

    created = client.create_job_works(job.id, works(3))
    assert len(created) == 3
    assert all(w.connection_job_id == job.id and w.work_id for w in created)

    attached = client.create_job_work_artifacts(created[0].id, [artifact("a-1"), artifact("a-2")])
    assert [a.work_artifact.external_id for a in attached if a.work_artifact] == ["a-1", "a-2"]
    assert all(a.job_work_id == created[0].id for a in attached)

    triggered = client.trigger_connection_job(job.id)
    assert (triggered.id, triggered.status) == (job.id, "active")

    stats = filed_emulator.stats()
    assert stats["works_per_job"] == {job.id: 3}
    assert stats["artifacts_per_job"] == {job.id: 2}
    assert stats["jobs"] == {job.id: "active"}


def test_trigger_with_a_replaced_document(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    job = client.create_connection_job(filed_emulator.connection_id, "custom trigger")
    client.create_job_works(job.id, works(1))
    custom = """
mutation StartImport($connectionJobId: ID!) {
  started: triggerConnectionJob(connectionJobId: $connectionJobId) { id status }
}"""
    triggered = client.trigger_connection_job(job.id, document=custom)
    assert (triggered.id, triggered.status) == (job.id, "active")
    assert filed_emulator.stats()["jobs"][job.id] == "active"


def test_execute_any_document(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    response = client.execute(
        "query Firm($ids: [ID!]) { me { workspaces(filters: {ids: $ids}) { displayName firmSize } } }",
        {"ids": [filed_emulator.workspace_id]},
    )
    assert response.errors == []
    assert response.data == {"me": {"workspaces": [{"displayName": "Demo Tax Firm", "firmSize": "sm"}]}}

    job = client.create_connection_job(filed_emulator.connection_id, "raw")
    mutation = client.execute(
        "mutation($id: ID!, $in: [CreateJobWorksInput!]!) { createJobWorks(connectionJobId: $id, inputs: $in) { id } }",
        {"id": job.id, "in": [{"name": "Raw", "externalId": "raw-1"}]},
    )
    assert len(mutation.require("createJobWorks")) == 1
    assert filed_emulator.stats()["works_per_job"] == {job.id: 1}


def test_execute_reports_graphql_errors_without_raising_for_partial_data(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    response = client.execute(
        "mutation($id: ID!) { triggerConnectionJob(connectionJobId: $id) { id } }", {"id": "job_missing"}
    )
    assert response.errors
    assert response.errors[0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.anyio
async def test_async_client_runs_operations(filed_emulator: EmulatorHandle) -> None:
    with FiledClient(make_config(filed_emulator)) as sync:
        target = new_job(sync, filed_emulator)
        sync.create_job_works(target.connection_job_id, works(7))
    async with AsyncFiledClient(make_config(filed_emulator)) as client:
        me = await client.run(operations.me())
        assert [w.id for w in me.workspaces] == [filed_emulator.workspace_id]
        conns = await client.run(operations.connections(filed_emulator.workspace_id))
        assert [c.id for c in conns] == [filed_emulator.connection_id]
        raw = await client.run(operations.execute("query { me { id } }"))
        assert raw.data == {"me": {"id": me.id}}

    assert filed_emulator.stats()["logins"] == 2  # one per client


def test_a_page_size_above_the_documented_cap_is_refused(filed_emulator: EmulatorHandle) -> None:
    # Filed documents 1,000 as its cap on `limit`: asking more is a configuration mistake.
    with pytest.raises(FiledConfigurationError, match="page_size"):
        make_config(filed_emulator, page_size=1500)
