"""Garbage collection paused in pure steps (validating rows, parsing a response, stepping an operation), and
blind to older objects while a bulk import runs."""

from __future__ import annotations

import gc
import threading
from collections.abc import Generator
from typing import Any

import httpx
import pytest

from airflow_provider_filed.client import ArtifactsImport, FiledClient, JobWorksImport, transport
from airflow_provider_filed.client.collector import collector_paused, older_objects_frozen
from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput, CreateJobWorksInput
from airflow_provider_filed.client.transport import GraphQLRequest, GraphQLResponse, Stepper
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import new_job


@pytest.fixture(autouse=True)
def _collector_on_before_and_after() -> Any:
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    yield
    assert gc.isenabled(), "a pause left the garbage collector off"
    assert gc.get_freeze_count() == 0, "an import left objects frozen"


def test_a_response_is_parsed_and_an_operation_stepped_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, bool] = {}
    interpret = transport.interpret_response

    def parsing(*args: Any) -> GraphQLResponse:
        seen["parsing"] = gc.isenabled()
        return interpret(*args)

    monkeypatch.setattr(transport, "interpret_response", parsing)

    def op() -> Generator[GraphQLRequest, GraphQLResponse, int]:
        seen["asking"] = gc.isenabled()
        answer = yield GraphQLRequest("query { me { id } }", {}, "me")
        seen["tallying"] = gc.isenabled()
        return len(answer.data or {})

    step = Stepper(op())
    request = step.ask
    assert isinstance(request, GraphQLRequest)
    response = transport.answer_of(request, httpx.Response(200, json={"data": {"me": {"id": "u"}}}), 0.0)
    step.answer(response)
    assert (step.done, step.result) == (True, 1)
    assert seen == {"asking": False, "parsing": False, "tallying": False}


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused.held():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_threads_validating_at_once_share_one_pause() -> None:
    inside, release = threading.Barrier(2), threading.Event()
    states: list[bool] = []

    @collector_paused
    def first() -> None:
        inside.wait()
        release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    with collector_paused.held():
        inside.wait()
        release.set()
        thread.join(5)
        states.append(gc.isenabled())  # the other thread's pause ended; this one still holds
    states.append(gc.isenabled())
    assert states == [False, True]


def test_both_bulk_imports_run_with_the_objects_older_than_them_frozen(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    frozen: dict[str, list[int]] = {"works": [], "artifacts": []}
    target = new_job(client, filed_emulator)
    works = [CreateJobWorksInput(name=f"Client {i}", external_id=f"c-{i}") for i in range(3)]
    documents = {
        w.external_id: [
            CreateJobWorkArtifactsInput(name="w2.pdf", type="w2", url="https://x.test/w2", external_id="w2")
        ]
        for w in works
    }
    created = JobWorksImport(client, target, on_progress=lambda *_: frozen["works"].append(gc.get_freeze_count())).run(
        works
    )
    ArtifactsImport(client, target, on_progress=lambda *_: frozen["artifacts"].append(gc.get_freeze_count())).run(
        documents, job_work_ids=created.job_work_ids, fresh=True
    )
    assert all(counts and min(counts) > 0 for counts in frozen.values()), frozen  # none after: the fixture checks


def test_a_process_that_freezes_objects_itself_is_left_alone() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with older_objects_frozen.held():
            assert gc.get_freeze_count() == before
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()
