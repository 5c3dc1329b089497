"""Helpers shared by the client tests: configs bound to the emulator and stats readers."""

from __future__ import annotations

import time
from typing import Any

from airflow_provider_filed.client import FiledClient, FiledClientConfig, RetrySettings, load_config
from airflow_provider_filed.client.bulk import ConnectionJobTarget
from airflow_provider_filed.emulator.testing import EmulatorHandle

# Zero backoff, so a test never sleeps; three attempts per request.
FAST_RETRY = RetrySettings(max_attempts=3, initial_wait=0, max_wait=0)
# A call's budget (every request of a bulk batch, its reconciling reads included) that a run with
# ~30-50 % of requests faulted does not exhaust; Retry-After (0.05 s in the emulator) is honoured up to max_wait.
PATIENT_RETRY = RetrySettings(max_attempts=50, initial_wait=0, max_wait=0.05)


def make_config(emulator: EmulatorHandle, **overrides: Any) -> FiledClientConfig:
    values: dict[str, Any] = {
        "url": emulator.url,
        "api_key": emulator.api_key,
        "source_platform": "filed-client-tests",
        "retry": FAST_RETRY,
    }
    values.update(overrides)
    return load_config(**values)


def new_job(client: FiledClient, emulator: EmulatorHandle, name: str = "tax season 2025") -> ConnectionJobTarget:
    job = client.create_connection_job(emulator.connection_id, name)
    return ConnectionJobTarget(
        workspace_id=emulator.workspace_id, connection_id=emulator.connection_id, connection_job_id=job.id
    )


def requests_of(stats: dict[str, Any], field: str) -> int:
    """How many ``/graphql`` requests selected the root field ``field``, whatever their outcome."""
    return sum(stats["requests"].get(field, {}).values())


def wait_until_tokens_expired(emulator: EmulatorHandle, timeout_s: float = 10.0) -> None:
    """Make sure the next call needs a new login (tests use short TTLs; this rarely waits at all)."""
    deadline = time.monotonic() + timeout_s
    while emulator.stats()["active_tokens"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emulator.stats()["active_tokens"] == 0
