"""Fault injection: latency, 5xx and 429 (not applied), commit-then-fail (applied), targeting, config."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from airflow_provider_filed.emulator.app import EmulatorApp, create_app
from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.fast import BoundPlan, Plan
from airflow_provider_filed.emulator.testing import EmulatorHandle, run_emulator
from tests.emulator.gateway import CREATE_JOB, CREATE_JOB_WORKS, LOGIN, Gateway

ME = "{ me { id } }"


def _works_request(gateway: Gateway, job_id: str, *external_ids: str) -> httpx.Response:
    inputs = [{"name": ext, "externalId": ext} for ext in external_ids]
    return gateway.post(CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": inputs})


def test_latency_and_jitter(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    filed_emulator.configure(latency_ms=150, jitter_ms=50)
    started = time.perf_counter()
    gateway.data(ME)
    elapsed = time.perf_counter() - started
    assert 0.15 <= elapsed < 1.5


def _timed_create(app: EmulatorApp, delay_s: float) -> tuple[int, int, float]:
    """One ``createJobWorks`` with ``delay_s`` of latency, in-process: the works held a quarter of the delay
    after sending, after the answer, and the seconds the answer took."""

    async def scenario() -> tuple[int, int, float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
            app.configure(latency_ms=0)
            login = await http.post("/graphql", json={"query": LOGIN, "variables": {"apiKey": app.api_keys[0]}})
            token = login.json()["data"]["loginViaPersonalApiToken"]["accessToken"]
            headers = {"Authorization": f"Bearer {token}"}
            variables = {"connectionId": app.seed.connection_id, "jobName": "overlap"}
            created = await http.post("/graphql", json={"query": CREATE_JOB, "variables": variables}, headers=headers)
            job = created.json()["data"]["createConnectionJob"]["id"]
            app.configure(latency_ms=delay_s * 1000)
            inputs = [{"name": "a", "externalId": "a"}]
            body = {"query": CREATE_JOB_WORKS, "variables": {"connectionJobId": job, "inputs": inputs}}
            started = time.perf_counter()
            sending = asyncio.ensure_future(http.post("/graphql", json=body, headers=headers))
            await asyncio.sleep(delay_s / 4)
            during = app.stats()["works_per_job"].get(job, 0)
            answer = await sending
            elapsed = time.perf_counter() - started
            assert answer.status_code == 200, answer.text
            return during, app.stats()["works_per_job"][job], elapsed

    return asyncio.run(scenario())


@pytest.mark.parametrize("covers_work", [False, True])
def test_latency_covers_work_applies_at_arrival_and_answers_after_the_delay(covers_work: bool) -> None:
    """By default a request waits its delay, then is applied; ``latency_covers_work`` applies it at once and
    still answers no earlier than the delay after arrival (what the benchmarks' overlapped row relies on)."""
    delay_s = 0.6
    app = create_app(config=EmulatorConfig(latency_ms=delay_s * 1000, latency_covers_work=covers_work))
    during, after, elapsed = _timed_create(app, delay_s)
    assert (during, after) == ((1, 1) if covers_work else (0, 1))
    assert elapsed >= delay_s


def test_the_delay_counts_from_arrival_and_covers_reading_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables are coerced while the request waits its delay (pure work, nothing applied yet), so a
    slow read does not lengthen the answer; the store still changes only after the delay."""
    delay_s, reading_s = 1.0, 0.7
    bind = Plan.bind
    reads: list[dict[str, Any] | None] = []

    def slow_bind(plan: Plan, inputs: dict[str, Any] | None) -> BoundPlan | None:
        reads.append(inputs)
        time.sleep(reading_s)
        return bind(plan, inputs)

    monkeypatch.setattr(Plan, "bind", slow_bind)
    app = create_app(config=EmulatorConfig(latency_ms=delay_s * 1000))
    during, after, elapsed = _timed_create(app, delay_s)
    assert (during, after, len(reads)) == (0, 1, 1)
    assert delay_s <= elapsed < delay_s + reading_s / 2


def test_error_rate_answers_5xx_without_applying(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    filed_emulator.configure(error_rate=1.0, seed=7)
    statuses = set()
    for n in range(12):
        response = _works_request(gateway, job_id, f"e{n}")
        statuses.add(response.status_code)
        assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert statuses <= {500, 502, 503}
    assert len(statuses) > 1
    stats = filed_emulator.stats()
    assert stats["works_per_job"][job_id] == 0
    assert stats["faults_injected"]["error"] == 12
    assert sum(stats["requests"]["createJobWorks"].values()) == 12
    assert set(stats["requests"]["createJobWorks"]) <= {"500", "502", "503"}


def test_rate_limit_answers_429_with_retry_after(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    filed_emulator.configure(rate_limit_rate=1.0, retry_after_s=0.25)
    response = _works_request(gateway, job_id, "a")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "0.25"
    filed_emulator.configure(retry_after_s=2)
    assert _works_request(gateway, job_id, "a").headers["Retry-After"] == "2"
    stats = filed_emulator.stats()
    assert stats["works_per_job"][job_id] == 0
    assert stats["faults_injected"]["rate_limit"] == 2
    assert stats["requests"]["createJobWorks"] == {"429": 2}


def test_commit_then_fail_status_applies_the_mutation(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    filed_emulator.configure(commit_then_fail_rate=1.0)
    response = _works_request(gateway, job_id, "a", "b")
    assert response.status_code in {500, 502, 503}
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    gateway.data(ME)  # queries are never committed-then-failed
    stats = filed_emulator.stats()
    assert stats["works_per_job"][job_id] == 2
    assert stats["faults_injected"]["commit_then_fail"] == 1

    filed_emulator.configure(commit_then_fail_rate=0)
    retry = _works_request(gateway, job_id, "a", "b").json()
    assert retry["errors"][0]["extensions"] == {"code": "CONFLICT", "externalIds": ["a", "b"]}
    assert filed_emulator.stats()["duplicate_work_external_ids"] == []


def test_commit_then_fail_drop_cuts_the_connection(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    job_id = gateway.create_job()
    filed_emulator.configure(commit_then_fail_rate=1.0, commit_then_fail_mode="drop")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        _works_request(gateway, job_id, "a")
    stats = filed_emulator.stats()
    assert stats["works_per_job"][job_id] == 1
    assert stats["requests"]["createJobWorks"] == {"dropped": 1}
    assert stats["faults_injected"]["commit_then_fail"] == 1
    filed_emulator.configure(commit_then_fail_rate=0)
    assert len(gateway.create_works(job_id, ["b"])) == 1


def test_fault_operations_target_by_root_field_or_operation_name(
    filed_emulator: EmulatorHandle, gateway: Gateway
) -> None:
    filed_emulator.configure(error_rate=1.0, fault_operations=["createJobWorks"])
    job_id = gateway.create_job()
    gateway.data(ME)
    assert _works_request(gateway, job_id, "a").status_code in {500, 502, 503}
    # The root field is read from the document, whatever operationName says.
    renamed = "mutation Innocent($j: ID!) { createJobWorks(connectionJobId: $j, inputs: []) { id } }"
    response = gateway.post(renamed, {"j": job_id}, operation_name="Innocent")
    assert response.status_code in {500, 502, 503}

    filed_emulator.configure(fault_operations=["Me"])
    assert gateway.post("query Me { me { id } }").status_code in {500, 502, 503}
    assert gateway.post("query Other { me { id } }").status_code == 200


def test_control_endpoints_ignore_faults(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(error_rate=1.0, rate_limit_rate=1.0, commit_then_fail_rate=1.0)
    assert filed_emulator.stats()["faults_injected"] == {"error": 0, "rate_limit": 0, "commit_then_fail": 0}
    filed_emulator.reset()
    assert filed_emulator.login()


def test_seeded_faults_are_reproducible(filed_emulator: EmulatorHandle, gateway: Gateway) -> None:
    def run() -> list[int]:
        filed_emulator.configure(error_rate=0.5, seed=1234)
        return [gateway.post(ME).status_code for _ in range(20)]

    first = run()
    assert first == run()
    assert 200 in first
    assert set(first) - {200}


def test_config_endpoint_merges_and_validates(filed_emulator: EmulatorHandle) -> None:
    config = filed_emulator.configure(latency_ms=5)
    assert config["latency_ms"] == 5
    assert config == {**EmulatorConfig().model_dump(), "latency_ms": 5}
    assert filed_emulator.configure()["latency_ms"] == 5
    for bad in ({"error_rate": 2}, {"no_such_field": 1}, {"artifact_failure_pattern": "("}):
        response = filed_emulator.http.post(f"{filed_emulator.base_url}/_emulator/config", json=bad)
        assert response.status_code == 400, bad
    filed_emulator.reset()
    assert filed_emulator.configure()["latency_ms"] == 0


def test_reset_restores_the_start_time_config() -> None:
    start = EmulatorConfig(processing_time_s=0.5, max_inputs_per_request=3)
    with run_emulator(config=start) as emulator:
        emulator.configure(processing_time_s=9, error_rate=0.5)
        emulator.reset()
        config = emulator.configure()
        assert (config["processing_time_s"], config["max_inputs_per_request"], config["error_rate"]) == (0.5, 3, 0)


def test_faults_set_at_start() -> None:
    with run_emulator(config=EmulatorConfig(rate_limit_rate=1.0, fault_operations=["createConnectionJob"])) as emu:
        gateway = Gateway(emu, emu.login())
        variables = {"connectionId": emu.connection_id, "jobName": "x"}
        assert gateway.post(CREATE_JOB, variables).status_code == 429
