"""Listings read every job work to an empty page: several pages per request, whatever Filed's page cap."""

from __future__ import annotations

import pytest

from airflow_provider_filed.client import AsyncFiledClient, FiledClient, JobWorksImport, documents
from airflow_provider_filed.client.listing import JobWorksScope, all_job_works
from airflow_provider_filed.client.models import CreateJobWorksInput, JobWorkFilters
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import make_config, new_job, requests_of


def works(n: int, prefix: str = "client") -> list[CreateJobWorksInput]:
    return [CreateJobWorksInput(name=f"Client {i}", external_id=f"{prefix}-{i:05d}") for i in range(n)]


def test_job_works_spans_the_connection_and_narrows_by_filters(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    target = new_job(client, filed_emulator)
    other = new_job(client, filed_emulator, "another import")
    created = client.create_job_works(target.connection_job_id, works(5))
    client.create_job_works(other.connection_job_id, works(2, prefix="other"))
    ids = [w.id for w in created]
    ws, conn = filed_emulator.workspace_id, filed_emulator.connection_id

    assert len(client.job_works(ws, conn)) == 7  # jobWorks spans all jobs of the connection
    assert [
        w.id for w in client.job_works(ws, conn, JobWorkFilters(connection_job_ids=[target.connection_job_id]))
    ] == ids
    by_id = client.job_works(ws, conn, JobWorkFilters(ids=[ids[3]]))
    assert [w.id for w in by_id] == [ids[3]]
    assert by_id[0].work is not None
    assert by_id[0].work.external_id == "client-00003"
    by_work = client.job_works(ws, conn, JobWorkFilters(work_ids=[created[4].work_id or ""]))
    assert [w.id for w in by_work] == [ids[4]]


@pytest.mark.parametrize("page_cap", [None, 100, 7])
def test_a_silent_page_cap_never_ends_a_listing_early(filed_emulator: EmulatorHandle, page_cap: int | None) -> None:
    filed_emulator.configure(page_cap=page_cap)
    with FiledClient(make_config(filed_emulator, page_size=1000)) as client:
        target = new_job(client, filed_emulator)
        JobWorksImport(client, target).run(works(250), batch_size=250)
        found = client.job_works(
            filed_emulator.workspace_id,
            filed_emulator.connection_id,
            JobWorkFilters(connection_job_ids=[target.connection_job_id]),
            selection=documents.JOB_WORK_EXTERNAL_ID_SELECTION,
        )
    assert sorted(w.work.external_id for w in found if w.work) == [f"client-{i:05d}" for i in range(250)]


def test_several_pages_travel_in_one_request(filed_emulator: EmulatorHandle) -> None:
    with FiledClient(make_config(filed_emulator, page_size=100, pages_per_request=8, max_concurrency=4)) as client:
        target = new_job(client, filed_emulator)
        JobWorksImport(client, target).run(works(1_000), batch_size=500)
        scope = JobWorksScope(
            workspace_id=filed_emulator.workspace_id,
            connection_id=filed_emulator.connection_id,
            filters=JobWorkFilters(connection_job_ids=[target.connection_job_id]),
        )
        selection = documents.JOB_WORK_EXTERNAL_ID_SELECTION
        before = requests_of(filed_emulator.stats(), "me")
        assert len(client.run(all_job_works(scope, client.config.paging, selection=selection, expected=1_000))) == 1_000
        with_expected = requests_of(filed_emulator.stats(), "me") - before
        before = requests_of(filed_emulator.stats(), "me")
        assert len(client.run(all_job_works(scope, client.config.paging, selection=selection))) == 1_000
        without = requests_of(filed_emulator.stats(), "me") - before
    assert with_expected == 2  # pages 0-7 and a probe at 1,000 (empty); then pages 8-9
    assert without == 3  # pages 0-7; then 16 pages in 2 requests at once, which find the empty page


def test_sort_by_is_sent_only_when_configured(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(sort_by_argument=False)  # a gateway whose schema has no sortBy at all
    with FiledClient(make_config(filed_emulator)) as client:
        target = new_job(client, filed_emulator)
        client.create_job_works(target.connection_job_id, works(3))
        assert len(client.job_works(filed_emulator.workspace_id, filed_emulator.connection_id)) == 3
        assert len(client.connections(filed_emulator.workspace_id)) == 1
    filed_emulator.configure(sort_by_argument=True)
    newest_first = {"field": "id", "direction": "DESC"}
    with FiledClient(make_config(filed_emulator, sort_by=newest_first)) as client:
        listed = client.job_works(filed_emulator.workspace_id, filed_emulator.connection_id)
        assert [w.work.external_id for w in listed if w.work] == [f"client-{i:05d}" for i in (2, 1, 0)]


def test_statuses_in_another_case_are_read_as_they_come(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(status_case="upper")
    with FiledClient(make_config(filed_emulator)) as client:
        target = new_job(client, filed_emulator)
        client.create_job_works(target.connection_job_id, works(2))
        listed = client.job_works(filed_emulator.workspace_id, filed_emulator.connection_id)
    assert {w.work.status for w in listed if w.work} == {"PENDING"}


@pytest.mark.anyio
async def test_the_async_client_runs_the_same_listing(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(page_cap=3)
    with FiledClient(make_config(filed_emulator)) as sync:
        target = new_job(sync, filed_emulator)
        sync.create_job_works(target.connection_job_id, works(7))
    scope = JobWorksScope(
        workspace_id=filed_emulator.workspace_id,
        connection_id=filed_emulator.connection_id,
        filters=JobWorkFilters(connection_job_ids=[target.connection_job_id]),
    )
    async with AsyncFiledClient(make_config(filed_emulator, max_concurrency=2)) as client:
        found = await client.run(
            all_job_works(scope, client.config.paging, selection=documents.JOB_WORK_STATUS_SELECTION)
        )
    assert len(found) == 7
