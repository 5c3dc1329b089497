"""The one retry policy: 429 (honouring Retry-After), 5xx and network errors retried, bounded; nothing else."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import pytest
import tenacity

from airflow_provider_filed.client import (
    AsyncFiledClient,
    FiledClient,
    FiledRateLimitedError,
    FiledServerError,
    FiledTransportError,
    RetrySettings,
    operations,
)
from airflow_provider_filed.client.errors import FiledNotFoundError, FiledValidationError
from airflow_provider_filed.client.models import CreateJobWorksInput
from airflow_provider_filed.client.retry import RetryBudget, is_retryable, retry_kwargs
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import make_config, new_job, requests_of

RETRY_LOGGER = "airflow_provider_filed.client.retry"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/graphql"


def retries_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == RETRY_LOGGER]


def test_429_is_retried_and_retry_after_is_honoured(
    filed_emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=RETRY_LOGGER)
    filed_emulator.configure(rate_limit_rate=0.5, retry_after_s=0.05, fault_operations=["me"], seed=3)
    config = make_config(filed_emulator, retry=RetrySettings(max_attempts=10, initial_wait=0, max_wait=1))
    with FiledClient(config) as client:
        for _ in range(6):
            client.me()
    by_status = filed_emulator.stats()["requests"]["me"]
    assert by_status["200"] == 6
    assert by_status["429"] > 0
    logged = retries_logged(caplog)
    assert len(logged) == by_status["429"]
    # The backoff is zero here, so every wait is the server's Retry-After.
    assert all("waiting 0.05s" in m and "rate limited" in m for m in logged)


def test_retry_after_is_capped_by_max_wait_and_never_shortened() -> None:
    settings = RetrySettings(max_attempts=3, initial_wait=0, max_wait=2)
    wait = retry_kwargs(settings, RetryBudget(settings), allow_maybe_applied=True)["wait"]

    def state_after(exc: BaseException) -> tenacity.RetryCallState:
        state = tenacity.RetryCallState(tenacity.Retrying(), fn=None, args=(), kwargs={})
        state.set_exception((type(exc), exc, None))
        return state

    assert wait(state_after(FiledRateLimitedError("x", retry_after=1.5))) == 1.5
    assert wait(state_after(FiledRateLimitedError("x", retry_after=30))) == 2
    assert wait(state_after(FiledServerError("x"))) == 0


def test_5xx_is_retried_for_reads(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(error_rate=0.5, fault_operations=["me"], seed=1)
    config = make_config(filed_emulator, retry=RetrySettings(max_attempts=10, initial_wait=0, max_wait=0))
    with FiledClient(config) as client:
        for _ in range(6):
            client.me()
    by_status = filed_emulator.stats()["requests"]["me"]
    assert by_status.pop("200") == 6
    assert by_status
    assert set(by_status) <= {"500", "502", "503"}


def test_attempts_are_bounded(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(error_rate=1.0, fault_operations=["me"])
    with FiledClient(make_config(filed_emulator)) as client, pytest.raises(FiledServerError):
        client.me()
    assert requests_of(filed_emulator.stats(), "me") == 3


def test_a_write_that_may_have_landed_is_not_resent_blind(filed_emulator: EmulatorHandle) -> None:
    with FiledClient(make_config(filed_emulator)) as client:
        job = new_job(client, filed_emulator)
        filed_emulator.configure(error_rate=1.0, fault_operations=["createJobWorks"])
        with pytest.raises(FiledServerError):
            client.run(
                operations.create_job_works(job.connection_job_id, [CreateJobWorksInput(name="A", externalId="a")])
            )
    assert requests_of(filed_emulator.stats(), "createJobWorks") == 1


def test_a_lost_connection_job_answer_is_retried_and_logged(
    filed_emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    # Filed lists no connection jobs: the job a lost answer opened stays empty; the retry says it happened.
    caplog.set_level(logging.WARNING, logger=RETRY_LOGGER)
    filed_emulator.configure(commit_then_fail_rate=1.0, fault_operations=["createConnectionJob"], seed=3)
    with (
        FiledClient(
            make_config(filed_emulator, retry=RetrySettings(max_attempts=2, initial_wait=0, max_wait=0))
        ) as client,
        pytest.raises(FiledServerError),
    ):
        client.create_connection_job(filed_emulator.connection_id, "job")
    stats = filed_emulator.stats()
    assert requests_of(stats, "createConnectionJob") == len(stats["jobs"]) == 2
    assert set(stats["works_per_job"].values()) == {0}
    assert ["createConnectionJob" in message for message in retries_logged(caplog)] == [True]


def test_a_rate_limited_write_is_retried(filed_emulator: EmulatorHandle) -> None:
    # A 429 is refused before it is applied: re-sending a write is safe.
    filed_emulator.configure(rate_limit_rate=1.0, fault_operations=["createConnectionJob"], retry_after_s=0)
    with FiledClient(make_config(filed_emulator)) as client, pytest.raises(FiledRateLimitedError):
        client.create_connection_job(filed_emulator.connection_id, "job")
    stats = filed_emulator.stats()
    assert stats["requests"]["createConnectionJob"] == {"429": 3}
    assert stats["works_per_job"] == {}


def test_user_errors_are_not_retried(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    with pytest.raises(FiledNotFoundError):
        client.create_connection_job("connection_unknown", "job")
    with pytest.raises(FiledValidationError):
        client.create_connection_job(filed_emulator.connection_id, "   ")
    assert requests_of(filed_emulator.stats(), "createConnectionJob") == 2


def test_connection_refused_is_retried_then_raised(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=RETRY_LOGGER)
    config = make_config_for_url(closed_port_url())
    with FiledClient(config) as client, pytest.raises(FiledTransportError) as caught:
        client.me()
    assert caught.value.operation == "loginViaPersonalApiToken"
    assert caught.value.maybe_applied is False  # never reached the server
    assert len(retries_logged(caplog)) == 2  # three attempts


def test_a_timeout_is_retried_for_reads(filed_emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=RETRY_LOGGER)
    with FiledClient(make_config(filed_emulator, timeout=0.3)) as client:
        client.me()  # logs in while the gateway is fast
        filed_emulator.configure(latency_ms=1_500, fault_operations=["me"])
        with pytest.raises(FiledTransportError) as caught:
            client.me()
    assert caught.value.maybe_applied is True
    assert len(retries_logged(caplog)) == 2
    _wait_for_requests(filed_emulator, "me", 4)  # let the slow handlers finish before the reset


@pytest.mark.anyio
async def test_async_retries_429_and_5xx(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(rate_limit_rate=0.3, error_rate=0.3, retry_after_s=0, fault_operations=["me"], seed=7)
    config = make_config(filed_emulator, retry=RetrySettings(max_attempts=12, initial_wait=0, max_wait=0))
    async with AsyncFiledClient(config) as client:
        for _ in range(8):
            await client.run(operations.me())
    by_status = dict(filed_emulator.stats()["requests"]["me"])
    assert by_status.pop("200") == 8
    assert "429" in by_status
    assert set(by_status) & {"500", "502", "503"}


@pytest.mark.anyio
async def test_async_attempts_are_bounded(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(error_rate=1.0, fault_operations=["me"])
    async with AsyncFiledClient(make_config(filed_emulator)) as client:
        with pytest.raises(FiledServerError):
            await client.run(operations.me())
    assert requests_of(filed_emulator.stats(), "me") == 3


@pytest.mark.anyio
async def test_async_connection_refused_is_retried(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=RETRY_LOGGER)
    async with AsyncFiledClient(make_config_for_url(closed_port_url())) as client:
        with pytest.raises(FiledTransportError):
            await client.run(operations.me())
    assert len(retries_logged(caplog)) == 2


def test_retry_predicate() -> None:
    server = FiledServerError("x")
    limited = FiledRateLimitedError("x")
    never_sent = FiledTransportError("x", maybe_applied=False)
    cut = FiledTransportError("x", maybe_applied=True)
    for exc in (server, limited, never_sent, cut):
        assert is_retryable(exc, allow_maybe_applied=True)
    # A write is re-sent only when it certainly was not applied.
    assert [is_retryable(e, allow_maybe_applied=False) for e in (server, limited, never_sent, cut)] == [
        False,
        True,
        True,
        False,
    ]
    assert not is_retryable(FiledValidationError("x"), allow_maybe_applied=True)
    assert not is_retryable(ValueError("x"), allow_maybe_applied=True)


def make_config_for_url(url: str):  # type: ignore[no-untyped-def]
    from airflow_provider_filed.client import load_config
    from tests.client.helpers import FAST_RETRY

    return load_config(url=url, api_key="filed-test-api-key-0123456789abcdef", retry=FAST_RETRY, connect_timeout=1)


def _wait_for_requests(emulator: EmulatorHandle, field: str, expected: int) -> None:
    deadline = time.monotonic() + 5
    while requests_of(emulator.stats(), field) < expected and time.monotonic() < deadline:
        time.sleep(0.02)


def _call(kind: str, client: FiledClient, target: Any) -> None:
    from airflow_provider_filed.client import JobWorksImport
    from airflow_provider_filed.client.models import CreateJobWorksInput

    if kind == "read":
        client.me()
    elif kind == "listing":
        client.job_works(target.workspace_id, target.connection_id)
    else:
        JobWorksImport(client, target).run([CreateJobWorksInput(name="A", external_id="a-1")], existing="none")


@pytest.mark.parametrize("kind", ["read", "listing", "bulk-create"])
@pytest.mark.parametrize(
    ("attempts", "total_time"), [pytest.param(4, 30.0, id="attempts-bind"), pytest.param(50, 0.6, id="time-binds")]
)
def test_one_budget_per_call_under_continuous_5xx(
    filed_emulator: EmulatorHandle, kind: str, attempts: int, total_time: float
) -> None:
    """However many layers retry (transport, reconciling reads), a failing call stays within one budget."""
    settings = RetrySettings(max_attempts=attempts, initial_wait=0.05, max_wait=0.2, max_total_time=total_time)
    with FiledClient(make_config(filed_emulator, retry=settings, timeout=2.0)) as client:
        target = new_job(client, filed_emulator)  # logged in, before Filed starts failing
        filed_emulator.configure(error_rate=1.0)
        before = filed_emulator.stats()["total_requests"]
        started = time.monotonic()
        with pytest.raises(FiledServerError):
            _call(kind, client, target)
        elapsed = time.monotonic() - started
    sent = filed_emulator.stats()["total_requests"] - before
    assert sent <= attempts
    assert elapsed <= total_time + 2.0  # its retry budget, and at most one request timeout more
    if attempts == 4:
        assert sent == attempts  # and it did use its budget
