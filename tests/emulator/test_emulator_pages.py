"""The emulator's read-only app pages: the sign-in deep link, a workspace's jobs, one job's works."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from airflow_provider_filed.emulator.pages import JOB_PAGE_PATH
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.emulator.gateway import Gateway


def page(emulator: EmulatorHandle, path: str) -> httpx.Response:
    return httpx.get(emulator.base_url + path, follow_redirects=True, trust_env=False, timeout=10)


def job_path(emulator: EmulatorHandle, job_id: str, slug: str | None = None) -> str:
    return JOB_PAGE_PATH.format(workspace_slug=slug or emulator.workspace_slug, connection_job_id=job_id)


@pytest.fixture
def finished_job(gateway: Gateway, fast_processing: float) -> str:
    """A triggered, completed job: two clients, one document downloaded, one failing."""
    job_id = gateway.create_job("tax season <2024>")
    first, second = gateway.create_works(job_id, ["client-1", "client-2"])
    gateway.create_artifacts(
        first["id"], [{"name": "W-2", "type": "w2", "url": "https://files.example/w2.pdf", "externalId": "d-1"}]
    )
    gateway.create_artifacts(
        second["id"], [{"name": "1099", "type": "1099", "url": "https://files.example/fail.pdf", "externalId": "d-2"}]
    )
    gateway.trigger(job_id)
    gateway.wait_for_job(job_id)
    return job_id


def test_job_page_shows_the_works_their_statuses_and_documents(
    filed_emulator: EmulatorHandle, finished_job: str
) -> None:
    response = page(filed_emulator, job_path(filed_emulator, finished_job))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert finished_job in text
    assert "tax season &lt;2024&gt;" in text  # names are escaped
    assert "client-1" in text
    assert "client-2" in text
    assert "completed</span> 1" in text
    assert "failed</span> 1" in text
    assert "W-2 (w2)" in text
    assert "download failed" in text
    assert 'http-equiv="refresh"' not in text  # a finished job stops refreshing


def test_sign_in_deep_link_lands_on_the_job_page(filed_emulator: EmulatorHandle, finished_job: str) -> None:
    target = job_path(filed_emulator, finished_job)
    response = page(filed_emulator, f"/sign-in?deep_link={quote(target, safe='')}")
    assert response.status_code == 200
    assert str(response.url).endswith(target)
    assert f"Connection job {finished_job}" in response.text


def test_redirect_slug_finds_the_job_in_any_workspace(filed_emulator: EmulatorHandle, finished_job: str) -> None:
    assert page(filed_emulator, job_path(filed_emulator, finished_job, "redirect")).status_code == 200


def test_workspace_page_lists_its_jobs_newest_first(gateway: Gateway, filed_emulator: EmulatorHandle) -> None:
    older, newer = gateway.create_job("first import"), gateway.create_job("second import")
    text = page(filed_emulator, f"/w/{filed_emulator.workspace_slug}").text
    assert text.index(newer) < text.index(older)
    assert job_path(filed_emulator, newer) in text


def test_a_pending_job_page_refreshes_itself(gateway: Gateway, filed_emulator: EmulatorHandle) -> None:
    job_id = gateway.create_job()
    gateway.create_works(job_id, ["client-1"])
    text = page(filed_emulator, job_path(filed_emulator, job_id)).text
    assert "pending" in text
    assert 'http-equiv="refresh"' in text


@pytest.mark.parametrize(
    "path",
    [
        "/w/no-such-firm",
        "/w/no-such-firm/connection-jobs/job_1",
        "/w/{slug}/connection-jobs/job_000000000999",
    ],
)
def test_unknown_workspace_or_job_is_a_404(filed_emulator: EmulatorHandle, path: str) -> None:
    assert page(filed_emulator, path.format(slug=filed_emulator.workspace_slug)).status_code == 404


@pytest.mark.parametrize("deep_link", ["https://evil.example/", "//evil.example/w", "w/x"])
def test_sign_in_refuses_deep_links_off_the_app(filed_emulator: EmulatorHandle, deep_link: str) -> None:
    response = page(filed_emulator, f"/sign-in?deep_link={quote(deep_link, safe='')}")
    assert response.status_code == 400


def test_a_job_of_another_workspace_is_not_shown_under_this_one(
    gateway: Gateway, filed_emulator: EmulatorHandle
) -> None:
    job_id = gateway.create_job()
    other = filed_emulator.add_partner()
    assert page(filed_emulator, job_path(filed_emulator, job_id, other["workspace_slug"])).status_code == 404
