"""The environment every Airflow component of the stack shares, and the command of each component.

One place for the settings a multi-process CeleryExecutor deployment needs beyond the defaults: shared
``[api] secret_key`` and JWT secret (else the UI gets 403 reading logs of running or deferred tasks), an
Execution API timeout above the api-server's cold start (the default 5 s lets a task die with
``httpx.ReadTimeout``), one log-server port per process that serves logs, and a hostname per component.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from celery_stack.hostname import HOSTNAME_ENV

SCRIPTS = Path(__file__).resolve().parents[1]
REPO = SCRIPTS.parent
ADMIN = "admin"
EXECUTION_API_TIMEOUT_S = 60


@dataclass
class AirflowConfig:
    """What differs per run: where things live, ports, secrets and the Filed connection."""

    home: Path
    sql_alchemy_conn: str
    celery_result_backend: str
    broker_url: str
    api_port: int
    venv_bin: Path
    dags_folder: Path = REPO / "dags"
    filed_connection: str = ""
    worker_concurrency: int = 4
    api_workers: int = 2
    poke_interval_s: float = 5.0
    #: Settings added last, over the ones above (a chaos run shortens the scheduler's timeouts).
    extra_env: dict[str, str] = field(default_factory=dict)
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(64))

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def write_passwords(self) -> None:
        """The simple auth manager's password file, so the stack can log in through the API."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.passwords_file.write_text(json.dumps({ADMIN: self.admin_password}))

    @property
    def passwords_file(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json"

    def env(self, component: str, log_server_port: int | None = None) -> dict[str, str]:
        """The full environment of ``component`` (its name is also the hostname it reports)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VIRTUAL_ENV", "PYTHONPATH"))}
        settings = {
            "AIRFLOW_HOME": str(self.home),
            "PATH": f"{self.venv_bin}{os.pathsep}{base.get('PATH', '')}",
            "PYTHONPATH": str(SCRIPTS),  # celery_stack.hostname, for [core] hostname_callable
            "PYTHONUNBUFFERED": "1",
            HOSTNAME_ENV: component,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "celery_stack.hostname.hostname",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.sql_alchemy_conn,
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": self.celery_result_backend,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__WORKERS": str(self.api_workers),
            "AIRFLOW__API__SECRET_KEY": self.secret_key,
            "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": str(EXECUTION_API_TIMEOUT_S),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "FILED_POKE_INTERVAL_S": str(self.poke_interval_s),
        }
        if self.filed_connection:
            settings["AIRFLOW_CONN_FILED_DEFAULT"] = self.filed_connection
        if log_server_port is not None:
            settings["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(log_server_port)
            settings["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = str(log_server_port)
        return {**base, **settings, **self.extra_env}

    def command(self, component: str) -> list[str]:
        """The command line of ``component``: scheduler, dag-processor, triggerer, api-server or worker-N."""
        airflow = str(self.venv_bin / "airflow")
        if component.startswith("worker-"):
            return [airflow, "celery", "worker", "--celery-hostname", f"{component}@%h"]
        if component == "api-server":
            return [airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.api_port)]
        return [airflow, component]
