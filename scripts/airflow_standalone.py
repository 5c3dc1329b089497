"""``make airflow``: ``airflow standalone`` plus a Filed emulator, to click through the example DAGs in the UI.

Airflow listens on 127.0.0.1 only, port 8080 (``make airflow PORT=8123`` or ``--port``); its ~3,000 lines of
output go to a log file. While it starts (up to 2 minutes on a busy machine) one line shows the wait; once
the UI answers, a banner with the URL, the user and the password is the last thing printed.

The Airflow home is ``.airflow/`` (SQLite, examples off, dags folder ``dags/``). ``filed_default`` points at
the emulator, and the tasks' "Filed" link opens the emulator's page of the run's connection job. The UI's
connection **Test** button is enabled (``[core] test_connection``). ``filed_tax_season_import`` is unpaused;
``filed_tax_season_daily`` stays paused (its Variables point at the sample data). Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import demo
import httpx
from celery_stack.net import free_port
from celery_stack.processes import ProcessGroups, run_then_stop, venv_tool
from demo import AIRFLOW_HOME, DAG_ID, REPO, airflow_env, connection_json, say, start_emulator

STARTUP_TIMEOUT_S = 300.0
HOST = "127.0.0.1"
USER = "admin"
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
#: Plugins of this deployment only: the Test button on port-less connections (see the module there).
PLUGINS = Path(__file__).resolve().parent / "airflow_plugins"


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def standalone_env(seed: dict[str, Any], port: int, home: Path) -> dict[str, str]:
    """Airflow's environment: loopback only on ``port``, tasks reaching the API there, the Test button on."""
    data = REPO / "dags" / "data"
    return airflow_env(
        {
            "AIRFLOW_CONN_FILED_DEFAULT": connection_json(seed),
            "AIRFLOW_VAR_FILED_CLIENTS_URI": str(data / "clients.csv"),
            "AIRFLOW_VAR_FILED_DOCUMENTS_URI": str(data / "documents.csv"),
            "FILED_POKE_INTERVAL_S": "5",
            "AIRFLOW__API__HOST": HOST,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{HOST}:{port}/execution/",
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS),
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "PATH": f"{os.path.dirname(venv_tool('airflow'))}{os.pathsep}{os.environ.get('PATH', '')}",
        },
        home=home,
    )


class StatusLine:
    """One line that shows how long the start-up has taken: rewritten in place on a terminal."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tty = sys.stdout.isatty()
        self.started = time.monotonic()
        self.printed = False

    def tick(self) -> None:
        if self.tty:
            print(f"\r[airflow] {self.text} ({time.monotonic() - self.started:.0f} s)", end="", flush=True)
        elif not self.printed:
            print(f"[airflow] {self.text}", flush=True)
        self.printed = True

    def done(self, text: str) -> None:
        ending = "\r\033[K" if self.tty else ""
        print(f"{ending}[airflow] {text} ({time.monotonic() - self.started:.0f} s)", flush=True)


def wait_until(check: Callable[[], bool], proc: Any, line: StatusLine, deadline: float) -> bool:
    """Poll ``check`` each second until it holds; False when Airflow exits or ``deadline`` passes."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if check():
                return True
        except httpx.HTTPError:
            pass
        line.tick()
        time.sleep(1)
    return False


def admin_password(home: Path) -> str:
    password: str = json.loads((home / PASSWORD_FILE).read_text())[USER]
    return password


def unpause_when_parsed(client: httpx.Client, dag_id: str) -> bool:
    """Unpause ``dag_id`` once the DAG processor has registered it; False while it is not there yet."""
    if client.get(f"/api/v2/dags/{dag_id}").status_code != 200:
        return False
    client.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
    return True


def shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def banner(root: str, password: str, home: Path, emulator: str, log: Path) -> str:
    rows = [
        ("Airflow UI", root),
        ("user", USER),
        ("password", f"{password}  (in {shown(home / PASSWORD_FILE)})"),
        ("Filed emulator", f"{emulator}  (the tasks' Filed link opens its job pages)"),
        ("Airflow output", shown(log)),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"  {name:<{width}}  {value}" for name, value in rows]
    rule = "=" * max(len(line) for line in lines)
    return "\n".join(
        ["", rule, *lines, "", f"  Trigger '{DAG_ID}' there. Ctrl-C stops Airflow and the emulator.", rule]
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080, help="UI / API port on 127.0.0.1 (default 8080)")
    parser.add_argument("--home", type=Path, default=AIRFLOW_HOME, help="Airflow home (default .airflow/)")
    parser.add_argument("--processing-time-s", type=float, default=10.0, help="emulator: trigger-to-done time")
    parser.add_argument("--exit-when-ready", action="store_true", help="stop everything once the UI answers")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    demo.PREFIX = "airflow"
    args = parse_args(argv)
    home: Path = args.home.resolve()
    if port_in_use(args.port):
        say(f"port {args.port} on {HOST} is taken: choose another, e.g. `make airflow PORT={args.port + 1}`")
        return 2

    processes = ProcessGroups(say)
    (home / "logs").mkdir(parents=True, exist_ok=True)
    log = home / "logs" / "standalone.log"
    root = f"http://{HOST}:{args.port}"

    def run() -> int:
        seed = start_emulator(processes, args.processing_time_s, home / "logs" / "emulator.log")
        env = standalone_env(seed, args.port, home)
        proc = processes.start("airflow standalone", [venv_tool("airflow"), "standalone"], log, env=env).proc
        assert proc is not None
        line = StatusLine(f"starting Airflow on {root} (output: {shown(log)})")
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        with httpx.Client(base_url=root, timeout=10, trust_env=False) as client:
            if not wait_until(lambda: client.get("/api/v2/monitor/health").status_code == 200, proc, line, deadline):
                line.done(f"Airflow did not answer on {root} (exit code {proc.poll()}); see {log}")
                return 1
            password = admin_password(home)
            token = client.post("/auth/token", json={"username": USER, "password": password}).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            if not wait_until(lambda: unpause_when_parsed(client, DAG_ID), proc, line, deadline):
                line.done(f"{DAG_ID} was not registered in time; see {log}")
                return 1
        line.done("Airflow is ready")
        print(banner(root, password, home, seed["base_url"], log), flush=True)
        return 0 if args.exit_when_ready else proc.wait()

    def interrupted(why: str) -> int:
        print()
        say(f"interrupted ({why})")
        return 0

    return run_then_stop(processes, run, interrupted)


if __name__ == "__main__":
    sys.exit(main())
