from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import time

import pytest

from airflow_provider_filed.client import FiledClient, load_config
from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput, CreateJobWorksInput
from airflow_provider_filed.triggers.job_works import JobWorksEvent, JobWorksTrigger


def make_trigger(emulator, job_id: str, **kwargs: object) -> JobWorksTrigger:
    return JobWorksTrigger(
        filed_conn_id="filed_default",
        workspace_id=emulator.workspace_id,
        connection_id=emulator.connection_id,
        connection_job_id=job_id,
        **({"end_time": time.time() + 30, "poll_interval": 0.1} | kwargs),  # type: ignore[arg-type]
    )


def triggered_job(emulator, urls: list[str]) -> str:
    with FiledClient(load_config(url=emulator.url, api_key=emulator.api_key)) as client:
        job = client.create_connection_job(emulator.connection_id, "trigger test")
        works = client.create_job_works(
            job.id, [CreateJobWorksInput(name=f"C{i}", external_id=f"t-{i}") for i in range(len(urls))]
        )
        for i, (work, url) in enumerate(zip(works, urls, strict=True)):
            artifact = CreateJobWorkArtifactsInput(name="doc", type="document", url=url, external_id=f"a-{i}")
            client.create_job_work_artifacts(work.id, [artifact])
        client.trigger_connection_job(job.id)
    return job.id


def first_event(trigger: JobWorksTrigger) -> dict:
    async def collect() -> dict:
        async for event in trigger.run():
            return event.payload  # type: ignore[no-any-return]
        raise AssertionError("no event")

    return asyncio.run(collect())


def test_serialize_is_json_safe_and_round_trips() -> None:
    trigger = JobWorksTrigger(
        filed_conn_id="filed_default",
        workspace_id="w",
        connection_id="c",
        end_time=123.5,
        job_work_ids=("a", "b"),
        success_statuses=frozenset({"completed"}),  # type: ignore[arg-type]
        include_artifacts=True,
        max_failed=2,
    )
    path, kwargs = trigger.serialize()
    assert json.loads(json.dumps(kwargs)) == kwargs
    module, name = path.rsplit(".", 1)
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
    assert rebuilt.serialize() == (path, kwargs)


def test_success_when_every_work_is_done(filed_connection) -> None:
    filed_connection.configure(processing_time_s=0.2)
    job_id = triggered_job(filed_connection, ["https://docs.example/1.pdf", "https://docs.example/2.pdf"])
    event = first_event(make_trigger(filed_connection, job_id, include_artifacts=True))
    assert event["status"] == JobWorksEvent.SUCCESS.value
    assert event["summary"]["succeeded"] == 2
    assert json.loads(json.dumps(event)) == event


def test_failed_names_the_work_and_filed_reason(filed_connection) -> None:
    filed_connection.configure(processing_time_s=0.2)
    job_id = triggered_job(filed_connection, ["https://docs.example/ok.pdf", "https://docs.example/fail.pdf"])
    event = first_event(make_trigger(filed_connection, job_id, include_artifacts=True))
    assert event["status"] == JobWorksEvent.FAILED.value
    assert "t-1 (job work" in event["message"]
    assert "failure pattern" in event["message"]
    assert event["summary"]["failed_external_ids"] == ["t-1"]


def test_tolerated_failures_still_succeed(filed_connection) -> None:
    filed_connection.configure(processing_time_s=0.2)
    job_id = triggered_job(filed_connection, ["https://docs.example/ok.pdf", "https://docs.example/fail.pdf"])
    event = first_event(make_trigger(filed_connection, job_id, include_artifacts=True, max_failed=0.5))
    assert event["status"] == JobWorksEvent.SUCCESS.value
    assert event["summary"]["failed"] == 1


def test_its_own_deadline_ends_the_wait(filed_connection) -> None:
    filed_connection.configure(processing_time_s=-1)
    job_id = triggered_job(filed_connection, ["https://docs.example/1.pdf"])
    started = time.monotonic()
    event = first_event(make_trigger(filed_connection, job_id, end_time=time.time() + 0.5))
    assert event["status"] == JobWorksEvent.TIMEOUT.value
    assert time.monotonic() - started < 10


def test_errors_become_an_error_event(filed_connection) -> None:
    event = first_event(
        JobWorksTrigger(
            filed_conn_id="filed_default",
            workspace_id="workspace_unknown",
            connection_id=filed_connection.connection_id,
            connection_job_id="job_x",
            end_time=time.time() + 5,
        )
    )
    assert event["status"] == JobWorksEvent.ERROR.value
    assert "workspace_unknown" in event["message"]


@pytest.mark.parametrize("status", list(JobWorksEvent))
def test_events_form_a_closed_set(status: JobWorksEvent) -> None:
    assert status.value in {"success", "failed", "timeout", "error"}


def test_the_deadline_holds_whatever_the_poll_interval(filed_connection) -> None:
    # A trigger that slept its whole poll interval past the deadline would end ~30 s late.
    filed_connection.configure(processing_time_s=-1)
    job_id = triggered_job(filed_connection, ["https://docs.example/1.pdf"])
    deadline = time.time() + 0.5
    event = first_event(make_trigger(filed_connection, job_id, end_time=deadline, poll_interval=30))
    assert event["status"] == JobWorksEvent.TIMEOUT.value
    assert time.time() - deadline < 3, "the trigger overslept its deadline"


def test_an_expected_count_is_carried_and_enforced(filed_connection) -> None:
    filed_connection.configure(processing_time_s=0.1)
    job_id = triggered_job(filed_connection, ["https://docs.example/1.pdf", "https://docs.example/2.pdf"])
    trigger = make_trigger(filed_connection, job_id, expected_works=3, end_time=time.time() + 1.5)
    assert trigger.serialize()[1]["expected_works"] == 3
    event = first_event(trigger)
    assert event["status"] == JobWorksEvent.TIMEOUT.value  # 2 of 3 seen: never a success
    assert "2 job works of 3 expected" in event["message"]


FIRST_POLL_IMPORTS = """
import asyncio, json, sys, threading
from airflow_provider_filed.triggers.job_works import JobWorksTrigger

trigger = JobWorksTrigger(**json.loads(sys.argv[1]))
on_the_loop = []

def imports(event, args):
    if event == "import" and threading.current_thread() is threading.main_thread() and args[0] not in sys.modules:
        on_the_loop.append(args[0])

async def wait():
    sys.addaudithook(imports)
    return [event.payload["status"] async for event in trigger.run()]

print(json.dumps({"events": asyncio.run(wait()), "imported_on_the_loop": on_the_loop}))
"""


def test_the_first_poll_imports_nothing_on_the_event_loop(filed_connection) -> None:
    """A fresh triggerer process: modules the first poll needs are imported in a worker thread, not on the loop."""
    job_id = triggered_job(filed_connection, ["https://files.example.test/ok.pdf"])
    kwargs = make_trigger(filed_connection, job_id).serialize()[1]
    done = subprocess.run(
        [sys.executable, "-c", FIRST_POLL_IMPORTS, json.dumps(kwargs)], capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"events": ["success"], "imported_on_the_loop": []}
