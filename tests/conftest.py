"""Shared fixtures: an isolated Airflow home, the metadata DB, connections, and the Filed emulator.

The environment block runs before anything imports Airflow, so Airflow never touches ``~/airflow``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="filed-airflow-home-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO_ROOT / "dags")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")

import pytest  # noqa: E402

pytest_plugins = ["pytester"]

from airflow_provider_filed.emulator.testing import EmulatorHandle, run_emulator  # noqa: E402

TEST_API_KEY = "filed-test-api-key-0123456789abcdef"


#: Every secret a test run knows: the API key, plus each access token the client receives.
SECRETS: set[str] = {TEST_API_KEY}
#: Shorter strings are not secrets a client receives (tokens are long); they would match by chance.
SECRET_MIN_LENGTH = 12
PHASES = ("setup", "call", "teardown")


def find_secrets(*texts: object) -> list[str]:
    """The secrets (API key, access tokens) that appear in any of ``texts``."""
    blob = "\n".join(str(t) for t in texts)
    return sorted(s for s in SECRETS if s in blob)


def record_text(record: logging.LogRecord) -> str:
    """Everything a log handler could write of a record: message, arguments, exception and stack."""
    formatter = logging.Formatter()
    parts = [record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return "\n".join(parts)


@pytest.fixture(autouse=True)
def secrets_never_leak(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """After every test, scan its captured stdout/stderr and the log records of every phase for secrets.

    Tests that read ``capfd`` themselves consume that output: they scan it with ``find_secrets``.
    """
    from airflow_provider_filed.client.transport import TokenCache

    store = TokenCache.store

    def remember(self: TokenCache, token: str) -> None:
        if len(token) >= SECRET_MIN_LENGTH:
            SECRETS.add(token)
        store(self, token)

    monkeypatch.setattr(TokenCache, "store", remember)
    caplog.set_level(logging.DEBUG, logger="airflow_provider_filed")  # the client's debug lines too
    yield
    out, err = capfd.readouterr()
    sys.stdout.write(out)
    sys.stderr.write(err)
    records = [record_text(r) for phase in PHASES for r in caplog.get_records(phase)]  # type: ignore[arg-type]
    leaked = find_secrets(out, err, *records)
    assert not leaked, f"{len(leaked)} secret(s) leaked into logs or output"


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    """Create a fresh SQLite metadata DB once per session (``dag.test()`` does not).

    At the end, every XCom value, rendered template field and task log file of the session is scanned for secrets.
    """
    from airflow.utils import db

    db.resetdb()
    yield
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        xcoms = list(session.scalars(select(XComModel.value)))
        rendered = list(session.scalars(select(RenderedTaskInstanceFields.rendered_fields)))
    task_logs = [path.read_text(errors="replace") for path in Path(_AIRFLOW_HOME).rglob("*.log")]
    leaked = find_secrets(*xcoms, *rendered, *task_logs)
    assert not leaked, "a secret was stored in an XCom, a rendered template field or a task log file"


@pytest.fixture(autouse=True)
def no_remembered_connection_jobs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each DAG test leaves no connection job remembered as open and no sensor deadline (the emulator is reset too)."""
    yield
    if "airflow_db" in request.fixturenames or "run_dag" in request.fixturenames:
        from airflow.models.variable import Variable
        from airflow.utils.session import create_session
        from sqlalchemy import delete

        from airflow_provider_filed.push_import.ledger import KEY_PREFIX
        from airflow_provider_filed.sensors.deadline import KEY_PREFIX as DEADLINE_PREFIX

        with create_session() as session:
            for prefix in (KEY_PREFIX, DEADLINE_PREFIX):
                session.execute(delete(Variable).where(Variable.key.startswith(prefix)))


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


def connect_to_emulator(
    monkeypatch: pytest.MonkeyPatch,
    emulator: EmulatorHandle,
    extra: Mapping[str, object] | None = None,
    conn_id: str = "filed_default",
) -> EmulatorHandle:
    """Register ``conn_id`` pointing at ``emulator``: its URL and API key, with these extras."""
    set_connection(monkeypatch, conn_id, host=emulator.url, password=emulator.api_key, extra=dict(extra or {}))
    return emulator


@dataclass(frozen=True)
class TransientFaults:
    """Every transient fault the emulator injects, at once: 5xx (``error_rate``), 429 with a Retry-After
    (``rate_limit_rate``, ``retry_after_s``), and writes that land but whose answer is lost
    (``commit_then_fail_rate``). An import under them must still leave each record in Filed exactly once."""

    error_rate: float
    rate_limit_rate: float
    commit_then_fail_rate: float
    retry_after_s: float
    seed: int

    def inject(self, emulator: EmulatorHandle, **settings: object) -> None:
        """Configure ``emulator`` with these faults and any other of its ``settings``, in one request."""
        emulator.configure(**asdict(self), **settings)

    @staticmethod
    def assert_each_fired(stats: Mapping[str, Any]) -> None:
        """Each kind was injected at least once: a run that met none of a kind proved nothing about it."""
        injected = stats["faults_injected"]
        assert injected["error"] > 0
        assert injected["rate_limit"] > 0
        assert injected["commit_then_fail"] > 0  # some writes landed unanswered: they must not land twice


def assert_imported_once(stats: Mapping[str, Any], connection_job_id: str, clients: int) -> None:
    """The emulator holds each client once and each of its two documents once, all in ``connection_job_id``."""
    assert stats["works_per_job"] == {connection_job_id: clients}
    assert stats["artifacts_per_job"] == {connection_job_id: 2 * clients}
    assert stats["duplicate_work_external_ids"] == []
    assert stats["duplicate_work_external_ids_by_job"] == {}
    assert stats["duplicate_artifact_external_ids"] == {}


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
def filed_connection_with(filed_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Call with extra fields to (re)point ``filed_default`` at the emulator with those extras."""

    def apply(**extra: object) -> EmulatorHandle:
        return connect_to_emulator(
            monkeypatch,
            filed_emulator,
            {
                "workspace_id": filed_emulator.workspace_id,
                "connection_id": filed_emulator.connection_id,
                "workspace_slug": filed_emulator.workspace_slug,
                "source_platform": "airflow-provider-filed-tests",
                "retry_initial_wait": 0.01,
                **extra,
            },
        )

    return apply


@pytest.fixture
def filed_connection(filed_connection_with: Any) -> EmulatorHandle:
    """``filed_default`` pointing at the emulator with its workspace and provider connection."""
    return filed_connection_with()  # type: ignore[no-any-return]


def _run_dag(dag: Any, **kwargs: Any) -> Any:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder=os.devnull, collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    return dag.test(**kwargs)


@pytest.fixture
def run_dag(airflow_db: None) -> Any:
    """``dag.test()`` for a DAG built inside a test: registers it in the DB first, runs it in-process."""
    return _run_dag


def xcom_value(dag_run: Any, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    """An XCom value of a finished ``dag.test()`` run, decoded."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        raw = session.scalar(
            select(XComModel.value).where(
                XComModel.dag_id == dag_run.dag_id,
                XComModel.run_id == dag_run.run_id,
                XComModel.task_id == task_id,
                XComModel.key == key,
                XComModel.map_index == map_index,
            )
        )
    if isinstance(raw, str | bytes):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def task_states(dag_run: Any) -> dict[str, str]:
    """``task_id[map_index]`` → state of every task instance of a finished run."""
    return {
        ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): str(ti.state)
        for ti in dag_run.get_task_instances()
    }


@pytest.fixture
def airflow_helpers() -> Any:
    """``xcom_value`` and ``task_states`` for assertions on a finished run."""
    import types

    return types.SimpleNamespace(xcom_value=xcom_value, task_states=task_states)
