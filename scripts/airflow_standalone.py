"""``make airflow``: ``airflow standalone`` plus a Filed emulator, to click through the example DAG in the UI.

The Airflow home is ``.airflow/`` (SQLite, examples off, dags folder ``dags/``) and ``filed_default``
points at the emulator. The UI is http://localhost:8080 (user ``admin``; the password is in
``.airflow/simple_auth_manager_passwords.json.generated``). Ctrl-C stops Airflow and the emulator.

Filed never accepts an ``externalId`` twice: to run the sample import again against the same emulator,
trigger the DAG with the ``external_id_prefix`` param set (e.g. ``run2-``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from demo import AIRFLOW_HOME, DAG_ID, REPO, Processes, airflow_env, connection_json, say, start_emulator, venv_tool

STARTUP_TIMEOUT_S = 180.0


def wait_for_api(url: str, proc: Any) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(1)
    return False


def unpause(root: str, password_file: Path) -> None:
    """Unpause the example DAG (an earlier ``make demo`` registered it paused); best effort."""
    try:
        password = json.loads(password_file.read_text())["admin"]
        with httpx.Client(base_url=root, timeout=10, trust_env=False) as client:
            token = client.post("/auth/token", json={"username": "admin", "password": password}).json()["access_token"]
            client.patch(
                f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}, headers={"Authorization": f"Bearer {token}"}
            )
    except (OSError, ValueError, KeyError, httpx.HTTPError) as exc:
        say(f"could not unpause {DAG_ID} ({exc}); unpause it in the UI")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080, help="API server / UI port (default 8080)")
    parser.add_argument("--processing-time-s", type=float, default=10.0, help="emulator: trigger-to-done time")
    parser.add_argument(
        "--exit-when-ready", action="store_true", help="stop everything once the API answers (a smoke check)"
    )
    args = parser.parse_args(argv)

    def interrupted(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)

    processes = Processes()
    AIRFLOW_HOME.mkdir(exist_ok=True)
    try:
        seed = start_emulator(processes, args.processing_time_s)
        say(f"Filed emulator at {seed['url']}")
        env = airflow_env(
            {
                "AIRFLOW_CONN_FILED_DEFAULT": connection_json(seed),
                "FILED_POKE_INTERVAL_S": "5",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__API__PORT": str(args.port),
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "PATH": f"{os.path.dirname(venv_tool('airflow'))}{os.pathsep}{os.environ.get('PATH', '')}",
            }
        )
        say("starting `airflow standalone` (about 20 s; its output follows)")
        proc = processes.start("airflow standalone", [venv_tool("airflow"), "standalone"], env=env)
        health = f"http://localhost:{args.port}/api/v2/monitor/health"
        if not wait_for_api(health, proc):
            say(f"airflow standalone did not answer on {health} (exit code {proc.poll()})")
            return 1
        password_file = AIRFLOW_HOME / "simple_auth_manager_passwords.json.generated"
        unpause(f"http://localhost:{args.port}", password_file)
        say(f"Airflow UI: http://localhost:{args.port}  (user admin, password in {password_file.relative_to(REPO)})")
        say("trigger 'filed_tax_season_import' there; Ctrl-C stops Airflow and the emulator")
        if args.exit_when_ready:
            return 0
        return proc.wait()
    except KeyboardInterrupt as exc:
        say(f"interrupted ({exc or 'SIGINT'})")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
