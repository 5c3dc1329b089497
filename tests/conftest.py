"""Shared fixtures: an isolated Airflow home, the metadata DB, connections, and the Filed emulator.

The environment block runs before anything imports Airflow, so Airflow never touches ``~/airflow``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="filed-airflow-home-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO_ROOT / "dags")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")

import pytest  # noqa: E402

from airflow_provider_filed.emulator.testing import EmulatorHandle, run_emulator  # noqa: E402

TEST_API_KEY = "filed-test-api-key-0123456789abcdef"


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    """Create a fresh SQLite metadata DB once per session (``dag.test()`` does not)."""
    from airflow.utils import db

    db.resetdb()
    yield


def set_connection(
    monkeypatch: pytest.MonkeyPatch,
    conn_id: str = "filed_default",
    *,
    host: str | None = None,
    password: str | None = None,
    extra: dict[str, object] | None = None,
    conn_type: str = "filed",
) -> None:
    """Register an Airflow connection through ``AIRFLOW_CONN_<ID>`` JSON for the current test."""
    payload: dict[str, object] = {"conn_type": conn_type}
    if host is not None:
        payload["host"] = host
    if password is not None:
        payload["password"] = password
    if extra:
        payload["extra"] = extra
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(payload))


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorHandle]:
    """One real emulator per session, on a free loopback port."""
    with run_emulator(api_keys=[TEST_API_KEY]) as handle:
        yield handle


@pytest.fixture
def filed_emulator(emulator_server: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The session emulator, reset to its seeded state (no jobs, no faults) for this test."""
    emulator_server.reset()
    yield emulator_server
    emulator_server.reset()


@pytest.fixture
def filed_connection(filed_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> EmulatorHandle:
    """``filed_default`` pointing at the emulator with its workspace and provider connection."""
    set_connection(
        monkeypatch,
        host=filed_emulator.url,
        password=filed_emulator.api_key,
        extra={
            "workspace_id": filed_emulator.workspace_id,
            "connection_id": filed_emulator.connection_id,
            "workspace_slug": filed_emulator.workspace_slug,
            "source_platform": "airflow-provider-filed-tests",
        },
    )
    return filed_emulator
