"""``CeleryStack``: start a whole CeleryExecutor deployment on this machine, run DAGs on it, stop it all.

    with CeleryStack(StackOptions(workers=2)) as stack:   # Postgres, Redis, emulator, Airflow, workers
        outcome = stack.run_dag("filed_tax_season_import", conf, timeout_s=1800)
        stack.processes.kill("worker-1"); stack.processes.restart("worker-1")   # what a chaos test needs
        stack.emulator_stats()

Everything lives under ``.airflow/celery/`` (git-ignored) and every process is a child in its own process
group: leaving the ``with`` block, by success, failure or Ctrl-C, stops them all.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from celery_stack.airflow_config import ADMIN, REPO, AirflowConfig
from celery_stack.api import TERMINAL_RUN_STATES, AirflowApi
from celery_stack.deployment import Deployment
from celery_stack.emulator import start_emulator
from celery_stack.net import free_port
from celery_stack.processes import ProcessGroups, run_logged
from celery_stack.services import Postgres, Redis

DEFAULT_ROOT = REPO / ".airflow" / "celery"
SERVICES = ("scheduler", "dag-processor", "triggerer")
EMULATOR_API_KEY = "filed-celery-stack-api-key-0123456789abcdef"
STARTUP_TIMEOUT_S = 240.0
POLL_S = 2.0


def say(message: str) -> None:
    print(f"[celery-stack] {message}", flush=True)


@dataclass
class StackOptions:
    """How big the stack is and how the emulator behaves."""

    workers: int = 2
    worker_concurrency: int = 4
    api_workers: int = 2
    poke_interval_s: float = 5.0
    emulator_args: list[str] = field(default_factory=lambda: ["--processing-time-s", "5"])
    #: Extra settings for every Airflow component, e.g. ``AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT``.
    airflow_env: dict[str, str] = field(default_factory=dict)


@dataclass
class RunOutcome:
    """How a DAG run ended, its task instances, and where its deferred tasks waited."""

    run_id: str
    state: str
    seconds: float
    task_instances: list[dict[str, Any]]
    #: task_id -> hostname of the triggerer that ran its trigger, as seen while it was deferred
    deferred_on: dict[str, str]


class CeleryStack:
    """Postgres, Redis, the Filed emulator, api-server, scheduler, dag-processor, triggerer, N Celery workers."""

    def __init__(self, options: StackOptions | None = None, root: Path = DEFAULT_ROOT) -> None:
        self.options = options or StackOptions()
        self.root = root
        self.logs = root / "logs"
        self.processes = ProcessGroups(say)
        self.deployment = Deployment(root)
        self.postgres = Postgres(root / "postgres")
        self.redis = Redis(root / "redis")
        self.emulator: dict[str, Any] = {}
        self.config: AirflowConfig | None = None
        self._api: AirflowApi | None = None

    def __enter__(self) -> CeleryStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def api(self) -> AirflowApi:
        if self._api is None:
            raise RuntimeError("the stack is not started")
        return self._api

    @property
    def workers(self) -> list[str]:
        return [f"worker-{i}" for i in range(1, self.options.workers + 1)]

    def start(self) -> None:
        """Install what is missing, then start every process and wait until Airflow answers."""
        begun = time.monotonic()
        self.logs.mkdir(parents=True, exist_ok=True)
        self.deployment.ensure(self.logs / "install.log", say)
        say("starting Postgres and Redis (Debian's packages, private servers on free loopback ports)")
        self.postgres.start(self.processes, self.logs)
        self.redis.start(self.processes, self.logs)
        self._start_emulator()
        self.config = AirflowConfig(
            home=self.root / "home",
            sql_alchemy_conn=self.postgres.sqlalchemy_url,
            celery_result_backend=self.postgres.celery_result_backend,
            broker_url=self.redis.url,
            api_port=free_port(),
            venv_bin=self.deployment.bin,
            filed_connection=self._connection_json(),
            worker_concurrency=self.options.worker_concurrency,
            api_workers=self.options.api_workers,
            poke_interval_s=self.options.poke_interval_s,
            extra_env=self.options.airflow_env,
        )
        self.config.write_passwords()
        say("airflow db migrate (Postgres)")
        run_logged([*self.config.command("db"), "migrate"], self.logs / "migrate.log", env=self.config.env("migrate"))
        for component in ("api-server", *SERVICES, *self.workers):
            self.start_component(component)
        self._wait_until_ready()
        say(f"stack up in {time.monotonic() - begun:.0f}s: Airflow API {self.config.api_url} (user {ADMIN})")

    def start_component(self, component: str) -> None:
        """Start one Airflow component (also after ``processes.kill``: ``processes.restart`` does the same)."""
        assert self.config is not None
        serves_logs = component.startswith("worker-") or component == "triggerer"
        env = self.config.env(component, free_port() if serves_logs else None)
        self.processes.start(component, self.config.command(component), self.logs / f"{component}.log", env=env)

    def _start_emulator(self) -> None:
        """``filed-emulator`` from the project's environment, on a free loopback port."""
        args = ["--api-key", EMULATOR_API_KEY, *self.options.emulator_args]
        self.emulator = start_emulator(self.processes, args, self.logs / "emulator.log")
        say(f"Filed emulator at {self.emulator['url']} ({' '.join(self.options.emulator_args)})")

    def _connection_json(self) -> str:
        """``AIRFLOW_CONN_FILED_DEFAULT`` for the emulator (loopback: plain http is allowed)."""
        seed = self.emulator
        extra = {k: seed[k] for k in ("workspace_id", "connection_id", "workspace_slug")}
        extra["source_platform"] = "airflow-provider-filed-celery-stack"
        return json.dumps({"conn_type": "filed", "host": seed["url"], "password": seed["api_key"], "extra": extra})

    def _wait_until_ready(self) -> None:
        assert self.config is not None
        self._api = AirflowApi(self.config.api_url, ADMIN, self.config.admin_password)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        say("waiting for the api-server and the Celery workers")
        while not self._api.healthy():
            self._check_alive(deadline, "the api-server")
        self._api.login()
        for worker in self.workers:
            while not re.search(rb"@\S+ ready\.", (self.logs / f"{worker}.log").read_bytes()):
                self._check_alive(deadline, worker)

    def _check_alive(self, deadline: float, waiting_for: str) -> None:
        for name in self.processes.names():
            if not self.processes[name].running:
                raise RuntimeError(f"{name} exited while starting; see {self.processes[name].log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{waiting_for} was not ready within {STARTUP_TIMEOUT_S:.0f}s; see {self.logs}")
        time.sleep(1)

    def run_dag(
        self,
        dag_id: str,
        conf: dict[str, Any],
        timeout_s: float,
        on_poll: Callable[[list[dict[str, Any]]], None] | None = None,
        poll_s: float = POLL_S,
    ) -> RunOutcome:
        """Trigger ``dag_id`` with ``conf`` and wait until the run ends; ``on_poll`` sees the tasks every ``poll_s``."""
        self.api.wait_for_dag(dag_id, STARTUP_TIMEOUT_S)
        self.api.unpause(dag_id)
        run_id = self.api.trigger(dag_id, conf)
        say(f"triggered {dag_id} run {run_id}")
        begun, deferred_on, state = time.monotonic(), {}, "queued"
        while time.monotonic() - begun < timeout_s:
            state = self.api.run_state(dag_id, run_id)
            tasks = self.api.task_instances(dag_id, run_id)
            for ti in tasks:
                job = ti.get("triggerer_job") or {}
                if ti["state"] == "deferred" and job.get("hostname"):
                    deferred_on[ti["task_id"]] = job["hostname"]
            if on_poll is not None:
                on_poll(tasks)
            if state in TERMINAL_RUN_STATES:
                break
            time.sleep(poll_s)
        seconds = time.monotonic() - begun
        return RunOutcome(run_id, state, seconds, self.api.task_instances(dag_id, run_id), deferred_on)

    def emulator_stats(self) -> dict[str, Any]:
        response = httpx.get(f"{self.emulator['base_url']}/_emulator/stats", timeout=30, trust_env=False)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def stop(self) -> None:
        """Stop every process the stack started (newest first), whatever state they are in.

        SIGINT and SIGTERM are ignored meanwhile: a second Ctrl-C must not leave half the stack running.
        """
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if self._api is not None:
                self._api.close()
                self._api = None
            self.processes.stop_all()
            self.postgres.remove_relocated()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
