"""The Celery stack's own pieces (``scripts/celery_stack``): process groups leave nothing behind, and every
component gets the settings a multi-process deployment needs. ``make celery-demo`` runs the whole stack."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))

from celery_stack.airflow_config import EXECUTION_API_TIMEOUT_S, AirflowConfig  # noqa: E402
from celery_stack.hostname import HOSTNAME_ENV, hostname  # noqa: E402
from celery_stack.processes import ProcessGroups  # noqa: E402


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(pgid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _group_alive(pgid):
            return True
        time.sleep(0.05)
    return False


def test_stop_all_ends_children_and_grandchildren_even_when_they_ignore_term(tmp_path: Path) -> None:
    processes = ProcessGroups(say=lambda _: None)
    # A child that ignores TERM and leaves a grandchild in its group.
    stubborn = processes.start("stubborn", ["sh", "-c", "trap '' TERM; sleep 60 & wait"], tmp_path / "s.log")
    frozen = processes.start("frozen", ["sleep", "60"], tmp_path / "f.log")
    processes.signal("frozen", signal.SIGSTOP)
    assert stubborn.proc is not None
    assert frozen.proc is not None
    processes.stop_all(grace_s=0.5)
    assert _wait_gone(stubborn.proc.pid)
    assert _wait_gone(frozen.proc.pid)


def _wait_for_lines(log: Path, text: str, count: int, timeout_s: float = 10.0) -> int:
    deadline = time.monotonic() + timeout_s
    while (log.read_text() if log.exists() else "").count(text) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return log.read_text().count(text)


def test_kill_then_restart_runs_the_same_command_again(tmp_path: Path) -> None:
    processes = ProcessGroups(say=lambda _: None)
    log = tmp_path / "echo.log"
    try:
        processes.start("sleeper", ["sh", "-c", "echo started; sleep 60"], log)
        first = processes["sleeper"].proc
        assert first is not None
        assert _wait_for_lines(log, "started", 1) == 1
        processes.kill("sleeper")
        assert first.returncode == -signal.SIGKILL
        restarted = processes.restart("sleeper").proc
        assert restarted is not None
        assert restarted.pid != first.pid
        assert processes["sleeper"].running
        assert _wait_for_lines(log, "started", 2) == 2
    finally:
        processes.stop_all(grace_s=0.5)


@pytest.fixture
def config(tmp_path: Path) -> AirflowConfig:
    return AirflowConfig(
        home=tmp_path / "home",
        sql_alchemy_conn="postgresql+psycopg2://airflow@127.0.0.1:1/airflow",
        celery_result_backend="db+postgresql://airflow@127.0.0.1:1/airflow",
        broker_url="redis://127.0.0.1:2/0",
        api_port=3,
        venv_bin=tmp_path / "venv" / "bin",
        filed_connection='{"conn_type": "filed"}',
    )


def test_components_share_secrets_and_each_names_itself(config: AirflowConfig) -> None:
    envs = {name: config.env(name) for name in ("api-server", "scheduler", "triggerer", "worker-1", "worker-2")}
    for key in ("AIRFLOW__API__SECRET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_CONN_FILED_DEFAULT"):
        assert len({env[key] for env in envs.values()}) == 1, key
    assert len(config.jwt_secret) >= 64  # PyJWT warns below 64 bytes for HS512
    for name, env in envs.items():
        assert env[HOSTNAME_ENV] == name
        assert env["AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT"] == str(EXECUTION_API_TIMEOUT_S)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:3/execution/"
    assert config.command("worker-2")[-2:] == ["--celery-hostname", "worker-2@%h"]


def test_processes_serving_logs_get_their_own_port(config: AirflowConfig) -> None:
    one, two = config.env("worker-1", 10001), config.env("worker-2", 10002)
    assert (one["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"], two["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]) == (
        "10001",
        "10002",
    )
    assert "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT" not in config.env("scheduler")


def test_hostname_callable_reads_the_component_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOSTNAME_ENV, "worker-7")
    assert hostname() == "worker-7"
    monkeypatch.delenv(HOSTNAME_ENV)
    assert hostname()
