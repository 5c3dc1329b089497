"""Progress of job works: counting, verdicts, failure reasons, and a bounded number of page requests."""

from __future__ import annotations

import math
from typing import Any

import pytest

from airflow_provider_filed.client import AsyncFiledClient, FiledClient, StatusSets, job_works_progress
from airflow_provider_filed.client.bulk import ArtifactsImport, ConnectionJobTarget, JobWorksImport
from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput, CreateJobWorksInput
from airflow_provider_filed.client.pagination import Paging
from airflow_provider_filed.client.progress import JobWorksSummary, allowed_failures
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import make_config, new_job, requests_of


def test_allowed_failures_is_a_count_or_a_fraction() -> None:
    assert allowed_failures(0, 50) == 0
    assert allowed_failures(3, 50) == 3  # a count
    assert allowed_failures(1, 50) == 1  # 1 is a count, not 100 %
    assert allowed_failures(0.1, 50) == 5  # a fraction
    assert allowed_failures(0.5, 3) == 1  # rounded down
    with pytest.raises(ValueError, match=">= 0"):
        allowed_failures(-1, 10)


@pytest.mark.parametrize(
    ("summary", "max_failed", "verdict"),
    [
        (JobWorksSummary(total=10, succeeded=10), 0, "success"),
        (JobWorksSummary(total=10, succeeded=8, failed=2), 2, "success"),
        (JobWorksSummary(total=10, succeeded=8, failed=2), 0.2, "success"),
        (JobWorksSummary(total=10, succeeded=8, failed=2), 0.1, "failed"),
        (JobWorksSummary(total=10, succeeded=8, failed=2), 1, "failed"),
        # Failures never recover: too many fails at once, even while others are in progress.
        (JobWorksSummary(total=10, failed=2, in_progress=8), 1, "failed"),
        (JobWorksSummary(total=10, failed=1, in_progress=9), 1, "waiting"),
        # Nothing to wait for fails at once (a wrong id, or nothing was created) — unless nothing was expected.
        (JobWorksSummary(total=0), 0, "failed"),
        (JobWorksSummary(total=0, expected=3), 0, "failed"),
        (JobWorksSummary(total=0, expected=0), 0, "success"),
        # Fewer works seen than the import created is never success, even if all seen are terminal.
        (JobWorksSummary(total=2, succeeded=2, expected=3), 0, "waiting"),
        (JobWorksSummary(total=3, succeeded=3, expected=3), 0, "success"),
        (JobWorksSummary(total=4, succeeded=4, expected=3), 0, "success"),
    ],
)
def test_verdict(summary: JobWorksSummary, max_failed: float, verdict: str) -> None:
    assert summary.verdict(max_failed) == verdict


def progress(client: FiledClient, target: ConnectionJobTarget, **options: Any) -> JobWorksSummary:
    """One poll of the target job's works."""
    return client.run(
        job_works_progress(
            target.workspace_id, target.connection_id, connection_job_id=target.connection_job_id, **options
        )
    )


def _import(client: FiledClient, emulator: EmulatorHandle, n: int, failing: set[int]) -> ConnectionJobTarget:
    target = new_job(client, emulator)
    works = [CreateJobWorksInput(name=f"Client {i}", external_id=f"client-{i:03d}") for i in range(n)]
    JobWorksImport(client, target).run(works)
    artifacts = {
        w.external_id: [
            CreateJobWorkArtifactsInput(
                name="w2.pdf",
                type="w2",
                url=f"https://files.example.com/{'fail' if i in failing else 'ok'}/{w.external_id}.pdf",
                external_id=f"{w.external_id}-w2",
            )
        ]
        for i, w in enumerate(works)
    }
    ArtifactsImport(client, target).run(artifacts)
    return target


def test_progress_after_a_trigger_names_the_failures(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(processing_time_s=0)  # terminal as soon as triggered
    target = _import(client, filed_emulator, 10, failing={2, 7})
    client.trigger_connection_job(target.connection_job_id)

    summary = progress(
        client,
        target,
        include_artifacts=True,
        paging=Paging(page_size=3, pages_per_request=2),
    )

    assert (summary.total, summary.succeeded, summary.failed, summary.in_progress) == (10, 8, 2, 0)
    assert summary.done
    assert summary.works_by_status == {"completed": 8, "failed": 2}
    assert summary.artifacts_by_status == {"success": 8, "error": 2}
    assert summary.failed_external_ids == ["client-002", "client-007"]
    assert [w.external_id for w in summary.failed_works] == ["client-002", "client-007"]
    for failed in summary.failed_works:
        assert failed.status == "failed"
        assert f"{failed.external_id}-w2: download failed: url matches the failure pattern 'fail'" in failed.reason
    assert "client-007" in summary.failure_report()
    assert summary.verdict(2) == "success"
    assert summary.verdict(1) == "failed"


def test_progress_while_processing_is_waiting(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(processing_time_s=-1)  # never finishes
    target = _import(client, filed_emulator, 4, failing=set())
    before = progress(client, target)
    assert before.works_by_status == {"pending": 4}
    client.trigger_connection_job(target.connection_job_id)
    summary = progress(
        client,
        target,
        include_artifacts=True,
    )
    assert (summary.total, summary.in_progress, summary.failed) == (4, 4, 0)
    assert summary.works_by_status == {"processing": 4}
    assert summary.verdict(0) == "waiting"
    assert summary.percent_done == 0.0


def test_custom_status_sets_are_used(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(processing_time_s=0)
    target = _import(client, filed_emulator, 3, failing={0})
    client.trigger_connection_job(target.connection_job_id)
    # A partner who counts a failed work as done: nothing is a failure any more.
    statuses = StatusSets(success=["COMPLETED", "Failed"], failure=["error"])
    summary = progress(client, target, statuses=statuses)
    assert (summary.succeeded, summary.failed) == (3, 0)


@pytest.mark.parametrize(("n", "page_size"), [(10, 3), (9, 3), (7, 10)])
def test_progress_pages_with_a_bounded_number_of_requests(
    client: FiledClient, filed_emulator: EmulatorHandle, n: int, page_size: int
) -> None:
    filed_emulator.configure(processing_time_s=0)
    target = _import(client, filed_emulator, n, failing={0})
    client.trigger_connection_job(target.connection_job_id)
    before = requests_of(filed_emulator.stats(), "me")

    summary = progress(
        client,
        target,
        expected=n,
        paging=Paging(page_size=page_size, pages_per_request=8),
    )

    assert summary.total == n
    assert summary.failed == 1
    sent = requests_of(filed_emulator.stats(), "me") - before
    # 8 pages a request with the probe at n riding along, and one request for the failure details.
    assert sent <= math.ceil(n / (8 * page_size)) + 1 + 1


@pytest.mark.anyio
async def test_progress_through_the_async_client(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(processing_time_s=0)
    with FiledClient(make_config(filed_emulator)) as client:
        target = _import(client, filed_emulator, 5, failing={4})
        client.trigger_connection_job(target.connection_job_id)
    async with AsyncFiledClient(make_config(filed_emulator)) as aclient:
        summary = await aclient.run(
            job_works_progress(
                target.workspace_id,
                target.connection_id,
                connection_job_id=target.connection_job_id,
                include_artifacts=True,
                paging=Paging(page_size=2, pages_per_request=2),
            )
        )
    assert (summary.total, summary.succeeded, summary.failed) == (5, 4, 1)
    assert summary.failed_works[0].external_id == "client-004"


def test_an_unknown_connection_job_fails_naming_it(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    summary = client.run(
        job_works_progress(filed_emulator.workspace_id, filed_emulator.connection_id, connection_job_id="job_nope")
    )
    assert summary.verdict(0) == "failed"
    assert "connection job 'job_nope' has no job works" in summary.failure_message()


def test_under_a_page_cap_every_work_counts_before_success(filed_emulator: EmulatorHandle) -> None:
    # The gateway silently serves 100 a page: a listing that stopped at a short page would count 100
    # works, all terminal, and call it a success.
    filed_emulator.configure(page_cap=100, processing_time_s=0)
    with FiledClient(make_config(filed_emulator)) as client:
        target = new_job(client, filed_emulator)
        JobWorksImport(client, target).run(
            [CreateJobWorksInput(name=f"C{i}", external_id=f"c-{i:03d}") for i in range(250)]
        )
        partial = client.run(
            job_works_progress(target.workspace_id, target.connection_id, connection_job_id=target.connection_job_id)
        )
        client.trigger_connection_job(target.connection_job_id)
        done = client.run(
            job_works_progress(
                target.workspace_id, target.connection_id, connection_job_id=target.connection_job_id, expected=250
            )
        )
    assert (partial.total, partial.in_progress, partial.verdict(0)) == (250, 250, "waiting")
    assert (done.total, done.succeeded, done.verdict(0)) == (250, 250, "success")
