"""Bulk imports under faults: every create lands exactly once, checked through the emulator's stats."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_filed.client import (
    ArtifactsImport,
    FiledClient,
    FiledConflictError,
    FiledInputError,
    FiledNotFoundError,
    JobWorksImport,
)
from airflow_provider_filed.client.bulk import ConnectionJobTarget
from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput, CreateJobWorksInput
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import PATIENT_RETRY, make_config, new_job, requests_of, wait_until_tokens_expired
from tests.conftest import TransientFaults, assert_imported_once

WORKS = 2_000
# Longer than any request under load (which can take ~0.3 s), much shorter than the test.
TOKEN_TTL_S = 1.0
FAULTS = TransientFaults(error_rate=0.2, rate_limit_rate=0.1, commit_then_fail_rate=0.2, retry_after_s=0.01, seed=1)


def clients(n: int, prefix: str = "client") -> list[CreateJobWorksInput]:
    return [CreateJobWorksInput(name=f"Client {i}", external_id=f"{prefix}-{i:05d}") for i in range(n)]


def documents_for(works: list[CreateJobWorksInput], per_work: int = 2) -> dict[str, list[CreateJobWorkArtifactsInput]]:
    return {
        w.external_id: [
            CreateJobWorkArtifactsInput(
                name=f"doc {k}.pdf",
                type="w2" if k == 0 else "1099",
                url=f"https://files.example.com/{w.external_id}/{k}.pdf",
                external_id=f"{w.external_id}-doc-{k}",
            )
            for k in range(per_work)
        ]
        for w in works
    }


@pytest.fixture
def bulk_client(filed_emulator: EmulatorHandle) -> Iterator[FiledClient]:
    config = make_config(
        filed_emulator, retry=PATIENT_RETRY, batch_size=100, max_concurrency=4, artifacts_per_request=200
    )
    with FiledClient(config) as client:
        yield client


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
@pytest.mark.parametrize("mode", ["status", "drop"])
def test_import_under_faults_lands_every_create_exactly_once(
    bulk_client: FiledClient, filed_emulator: EmulatorHandle, mode: str, lenient: bool
) -> None:
    # lenient: Filed does not refuse a reused externalId, so a create re-sent blind would land twice.
    filed_emulator.configure(token_ttl_s=TOKEN_TTL_S, lenient_duplicates=lenient)  # before the first login
    target = new_job(bulk_client, filed_emulator)
    FAULTS.inject(filed_emulator, commit_then_fail_mode=mode)
    works = clients(WORKS)
    progress: list[tuple[int, int]] = []

    result = JobWorksImport(bulk_client, target, on_progress=lambda d, t: progress.append((d, t))).run(works)
    wait_until_tokens_expired(filed_emulator)
    attached = ArtifactsImport(bulk_client, target).run(documents_for(works))

    stats = filed_emulator.stats()
    assert (result.total, result.created, result.already_present) == (WORKS, WORKS, 0)
    assert list(result.job_work_ids) == [w.external_id for w in works]
    assert len(set(result.job_work_ids.values())) == WORKS
    assert progress[-1] == (WORKS, WORKS)
    assert (attached.total, attached.created, attached.already_present) == (2 * WORKS, 2 * WORKS, 0)
    assert (attached.job_works, attached.errors) == (WORKS, {})
    assert_imported_once(stats, target.connection_job_id, WORKS)
    if lenient:
        assert stats["duplicate_external_ids_rejected"] == stats["duplicate_artifact_external_ids_rejected"] == 0
    FAULTS.assert_each_fired(stats)
    assert stats["logins"] > 1  # the token expired during the run and the client logged in again
    assert stats["requests"]["loginViaPersonalApiToken"].get("200", 0) >= 2
    if mode == "drop":  # every commit-then-fail was a response cut mid-body (logins included)
        dropped = sum(by.get("dropped", 0) for by in stats["requests"].values())
        assert dropped == stats["faults_injected"]["commit_then_fail"]

    # Re-running (an Airflow retry) creates nothing and sends no create at all.
    rerun = JobWorksImport(bulk_client, target).run(works)
    rerun_artifacts = ArtifactsImport(bulk_client, target).run(documents_for(works))
    after = filed_emulator.stats()
    assert (rerun.created, rerun.already_present) == (0, WORKS)
    assert rerun.job_work_ids == result.job_work_ids
    assert (rerun_artifacts.created, rerun_artifacts.already_present) == (0, 2 * WORKS)
    assert requests_of(after, "createJobWorks") == requests_of(stats, "createJobWorks")
    assert requests_of(after, "createJobWorkArtifacts") == requests_of(stats, "createJobWorkArtifacts")
    assert after["works_per_job"] == {target.connection_job_id: WORKS}
    assert after["artifacts_per_job"] == {target.connection_job_id: 2 * WORKS}


def test_batches_respect_batch_size(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    target = new_job(client, filed_emulator)
    result = JobWorksImport(client, target).run(clients(25), batch_size=10, max_concurrency=2)
    stats = filed_emulator.stats()
    assert result.created == 25
    assert stats["requests"]["createJobWorks"] == {"200": 3}  # 10 + 10 + 5
    assert stats["works_per_job"] == {target.connection_job_id: 25}


def test_artifacts_go_several_job_works_per_request(filed_emulator: EmulatorHandle) -> None:
    with FiledClient(make_config(filed_emulator, artifacts_per_request=10)) as client:
        target = new_job(client, filed_emulator)
        works = clients(15)
        JobWorksImport(client, target).run(works)
        result = ArtifactsImport(client, target).run(documents_for(works))  # 30 artifacts
    stats = filed_emulator.stats()
    assert (result.created, result.errors) == (30, {})
    assert stats["requests"]["createJobWorkArtifacts"] == {"200": 3}  # 5 job works (10 artifacts) each
    assert stats["artifacts_per_job"] == {target.connection_job_id: 30}


def test_a_first_attempt_attaches_without_reading_and_splits_a_large_client(filed_emulator: EmulatorHandle) -> None:
    with FiledClient(make_config(filed_emulator, batch_size=10, artifacts_per_request=10)) as client:
        target = new_job(client, filed_emulator)
        works = clients(3)
        created = JobWorksImport(client, target).run(works, existing="none")
        documents = {**documents_for(works[:2]), **documents_for(works[2:], per_work=25)}  # 2 + 2 + 25
        result = ArtifactsImport(client, target).run(documents, job_work_ids=created.job_work_ids, fresh=True)
    stats = filed_emulator.stats()
    assert (result.total, result.created, result.already_present, result.errors) == (29, 29, 0, {})
    assert "me" not in stats["requests"]  # nothing read: the job works are new and hold nothing
    assert stats["requests"]["createJobWorkArtifacts"] == {"200": 4}  # 2 + 2 | 10 | 10 | 5
    assert stats["artifacts_per_job"] == {target.connection_job_id: 29}


def test_a_first_attempt_missing_a_clients_job_work_reads_the_connection(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    target = new_job(client, filed_emulator)
    works = clients(3)
    created = JobWorksImport(client, target).run(works, existing="none")
    known = dict(list(created.job_work_ids.items())[:2])
    result = ArtifactsImport(client, target).run(documents_for(works), job_work_ids=known, fresh=True)
    stats = filed_emulator.stats()
    assert (result.created, result.errors) == (6, {})
    assert requests_of(stats, "me") > 0  # the provider connection is read to find the third client's work
    assert stats["artifacts_per_job"] == {target.connection_job_id: 6}


def test_clients_imported_by_another_job_are_skipped_by_default(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    earlier = new_job(client, filed_emulator, "yesterday")
    JobWorksImport(client, earlier).run(clients(3))
    target = new_job(client, filed_emulator, "today")
    grown = [*clients(3), *clients(2, prefix="new")]  # the whole, growing client list
    before = filed_emulator.stats()

    result = JobWorksImport(client, target).run(grown)

    stats = filed_emulator.stats()
    assert (result.total, result.created, result.already_present, result.skipped_existing) == (5, 2, 0, 3)
    assert result.skipped_external_ids == ["client-00000", "client-00001", "client-00002"]
    assert set(result.job_work_ids) == {"new-00000", "new-00001"}
    assert stats["works_per_job"] == {earlier.connection_job_id: 3, target.connection_job_id: 2}
    assert stats["duplicate_external_ids_rejected"] == 0  # decided by reading, not by Filed refusing
    # The connection read once: a short first page, then one read where it ended confirms the end.
    assert requests_of(stats, "me") - requests_of(before, "me") == 2


def test_on_existing_fail_refuses_before_any_write(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    earlier = new_job(client, filed_emulator, "last year")
    JobWorksImport(client, earlier).run(clients(3))
    target = new_job(client, filed_emulator, "this year")
    reused = [*clients(2, prefix="new"), CreateJobWorksInput(name="Reused", external_id="client-00001")]

    with pytest.raises(FiledConflictError) as caught:
        JobWorksImport(client, target, on_existing="fail").run(reused)

    assert caught.value.external_ids == ["client-00001"]
    assert "client-00001" in str(caught.value)
    assert "on_existing='skip'" in str(caught.value)
    stats = filed_emulator.stats()
    assert stats["works_per_job"] == {earlier.connection_job_id: 3, target.connection_job_id: 0}
    assert "createJobWorks" not in {
        k for k, v in stats["requests"].items() if k == "createJobWorks" and v.get("200", 0) > 1
    }


@pytest.mark.parametrize("lenient", [False, True])
def test_a_conflict_for_ids_already_in_this_job_is_resolved(
    client: FiledClient, filed_emulator: EmulatorHandle, lenient: bool
) -> None:
    filed_emulator.configure(lenient_duplicates=lenient)
    target = new_job(client, filed_emulator)
    works = clients(5)
    concurrent = client.create_job_works(target.connection_job_id, works[:2])

    # A retry after an upstream step excluded other jobs' clients reads this job only.
    result = JobWorksImport(client, target).run(works, existing="job")

    stats = filed_emulator.stats()
    assert stats["works_per_job"] == {target.connection_job_id: 5}
    assert stats["duplicate_work_external_ids_by_job"] == {}
    assert result.job_work_ids["client-00000"] == concurrent[0].id
    assert (result.created, result.already_present) == (3, 2)


def test_a_strict_filed_conflict_is_reconciled_when_nothing_was_read(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    target = new_job(client, filed_emulator)
    works = clients(5)
    concurrent = client.create_job_works(target.connection_job_id, works[:2])

    # A first attempt that reads nothing: what the job already holds surfaces as a CONFLICT.
    result = JobWorksImport(client, target).run(works, existing="none")

    stats = filed_emulator.stats()
    assert stats["requests"]["createJobWorks"] == {"200": 3}  # the raw call, the CONFLICT, the missing three
    assert stats["duplicate_external_ids_rejected"] == 2
    assert stats["works_per_job"] == {target.connection_job_id: 5}
    assert result.job_work_ids["client-00001"] == concurrent[1].id
    assert (result.created, result.already_present) == (3, 2)


def test_an_unknown_connection_job_is_not_found(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    target = ConnectionJobTarget(
        workspace_id=filed_emulator.workspace_id,
        connection_id=filed_emulator.connection_id,
        connection_job_id="job_000000999999",
    )
    with pytest.raises(FiledNotFoundError, match="job_000000999999"):
        JobWorksImport(client, target).run(clients(25), batch_size=10, max_concurrency=2)
    assert filed_emulator.stats()["works_per_job"] == {}


def test_local_duplicates_are_refused_before_any_request(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    target = new_job(client, filed_emulator)
    before = filed_emulator.stats()["total_requests"]
    works = [*clients(3), CreateJobWorksInput(name="Again", external_id="client-00001")]

    with pytest.raises(FiledInputError) as caught:
        JobWorksImport(client, target).run(works)

    assert "row 4" in str(caught.value)
    assert "client-00001" in str(caught.value)
    assert filed_emulator.stats()["total_requests"] == before


def test_artifacts_for_an_unknown_client_are_refused_before_any_write(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    target = new_job(client, filed_emulator)
    works = clients(2)
    JobWorksImport(client, target).run(works)
    artifacts = documents_for([*works, CreateJobWorksInput(name="Ghost", external_id="ghost")])
    with pytest.raises(FiledInputError, match="ghost"):
        ArtifactsImport(client, target).run(artifacts)
    stats = filed_emulator.stats()
    assert "createJobWorkArtifacts" not in stats["requests"]
    assert stats["artifacts_per_job"] == {target.connection_job_id: 0}


def test_artifact_errors_are_reported_per_job_work(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    target = new_job(client, filed_emulator)
    works = clients(3)
    JobWorksImport(client, target).run(works)
    client.trigger_connection_job(target.connection_job_id)  # now no job work accepts artifacts

    result = ArtifactsImport(client, target).run(documents_for(works))

    assert result.created == 0
    assert sorted(result.errors) == [w.external_id for w in works]
    assert all("no longer accepts works" in reason for reason in result.errors.values())
    # Filed stops a mutation at its first failing field: each round decides one job work.
    assert filed_emulator.stats()["requests"]["createJobWorkArtifacts"] == {"200": 3}
    assert filed_emulator.stats()["artifacts_per_job"] == {target.connection_job_id: 0}


def test_one_failing_job_work_does_not_cost_the_others_their_artifacts(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    # A failing alias nulls the whole mutation's data, even for aliases already applied before it.
    filed_emulator.configure(max_inputs_per_request=3)
    target = new_job(client, filed_emulator)
    works = clients(3)
    JobWorksImport(client, target).run(works)
    artifacts = documents_for(works, per_work=1)
    artifacts["client-00001"] = documents_for([works[1]], per_work=4)["client-00001"]  # too many for Filed

    result = ArtifactsImport(client, target).run(artifacts)

    assert result.errors == {"client-00001": "too many inputs: 4 > 3 per request"}
    assert (result.total, result.created) == (6, 2)
    assert filed_emulator.stats()["artifacts_per_job"] == {target.connection_job_id: 2}
    rerun = ArtifactsImport(client, target).run({k: v for k, v in artifacts.items() if k != "client-00001"})
    assert (rerun.created, rerun.already_present) == (0, 2)
