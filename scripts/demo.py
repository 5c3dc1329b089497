"""``make demo``: run the example tax-season import against a local Filed emulator, then summarise it.

Starts ``filed-emulator`` on a free port, prepares an Airflow home in ``.airflow/`` (SQLite), registers
``filed_default`` through ``AIRFLOW_CONN_FILED_DEFAULT``, runs ``airflow dags test filed_tax_season_import``
on the sample data in ``dags/data/`` (a line each time a task changes state) and prints what Filed received.
Everything it starts runs in its own process group and is stopped on exit, failure or Ctrl-C. Exit code 0
only if the DAG run succeeded.

Options: ``--processing-time-s`` (emulator, default 2), ``--conf '{"batch_size": 50}'`` (DAG params).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from dag_progress import RunProgress

REPO = Path(__file__).resolve().parents[1]
AIRFLOW_HOME = REPO / ".airflow"
DAG_ID = "filed_tax_season_import"
STARTUP_TIMEOUT_S = 30.0
DEMO_API_KEY = "filed-demo-api-key-0123456789abcdef"


#: What ``say`` puts before each line: the script speaking.
PREFIX = "demo"


def say(message: str) -> None:
    print(f"[{PREFIX}] {message}", flush=True)


def venv_tool(name: str) -> str:
    """A console script of this environment (``uv run`` puts its ``bin`` first on PATH)."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name!r} not found: run `make env` first")
    return found


def airflow_env(extra: dict[str, str] | None = None, home: Path = AIRFLOW_HOME) -> dict[str, str]:
    """The environment of every Airflow command: a home (default in the repo), SQLite, our dags folder, no examples."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def emulator_app_extras(seed: dict[str, Any]) -> dict[str, str]:
    """Extras that make the tasks' "Filed" link open the emulator's own job pages instead of Filed's app."""
    from airflow_provider_filed.emulator.pages import JOB_PAGE_PATH

    return {"app_url": seed["base_url"], "connection_job_path": JOB_PAGE_PATH}


def connection_json(seed: dict[str, Any]) -> str:
    """``AIRFLOW_CONN_FILED_DEFAULT`` for the emulator described by its start-up line."""
    return json.dumps(
        {
            "conn_type": "filed",
            "host": seed["url"],
            "password": seed["api_key"],
            "extra": {
                "workspace_id": seed["workspace_id"],
                "connection_id": seed["connection_id"],
                "workspace_slug": seed["workspace_slug"],
                "source_platform": "airflow-provider-filed-demo",
                **emulator_app_extras(seed),
            },
        }
    )


class Processes:
    """Children started in their own process groups, stopped together: TERM, a grace period, then KILL."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[Any]]] = []

    def start(self, name: str, args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.children.append((name, proc))
        return proc

    def stop_all(self, grace_s: float = 10.0) -> None:
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                say(f"stopping {name} (process group {proc.pid})")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for _name, proc in self.children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            # Grandchildren left in the group (a task runner, a triggerer) go too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.children.clear()


def start_emulator(processes: Processes, processing_time_s: float, host: str = "127.0.0.1") -> dict[str, Any]:
    """Start ``filed-emulator`` on a free port and return its JSON start-up line."""
    proc = processes.start(
        "the Filed emulator",
        [
            venv_tool("filed-emulator"),
            "--host",
            host,
            "--port",
            "0",
            "--api-key",
            DEMO_API_KEY,
            "--processing-time-s",
            str(processing_time_s),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(STARTUP_TIMEOUT_S)
    if not line or not line[0].strip():
        raise SystemExit(f"the Filed emulator did not start (exit code {proc.poll()})")
    # Keep draining its stdout so a chatty emulator never blocks on a full pipe.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    seed: dict[str, Any] = json.loads(line[0])
    return seed


def emulator_stats(seed: dict[str, Any]) -> dict[str, Any]:
    import httpx

    response = httpx.get(f"{seed['base_url']}/_emulator/stats", timeout=10, trust_env=False)
    response.raise_for_status()
    stats: dict[str, Any] = response.json()
    return stats


def job_progress(seed: dict[str, Any], job_id: str) -> dict[str, Any]:
    """Work and artifact statuses of the job, read back through the provider's own client."""
    from airflow_provider_filed.client import FiledClient, job_works_progress
    from airflow_provider_filed.client.config import load_config

    with FiledClient(load_config(url=seed["url"], api_key=seed["api_key"])) as client:
        summary = client.run(
            job_works_progress(
                seed["workspace_id"], seed["connection_id"], connection_job_id=job_id, include_artifacts=True
            )
        )
    return summary.model_dump(mode="json")


def migrate(processes: Processes, log: Path) -> None:
    """``airflow db migrate`` (~10 s), skipped when this Airflow version already migrated the DB."""
    from importlib.metadata import version

    AIRFLOW_HOME.mkdir(exist_ok=True)
    marker = AIRFLOW_HOME / f".migrated-{version('apache-airflow')}"
    if marker.exists() and (AIRFLOW_HOME / "airflow.db").exists():
        say(f"Airflow home {AIRFLOW_HOME.relative_to(REPO)}/ is ready (SQLite, migrated)")
        return
    say(f"preparing the Airflow home {AIRFLOW_HOME.relative_to(REPO)}/ (SQLite; airflow db migrate)")
    started = time.monotonic()
    with log.open("a") as out:
        proc = processes.start(
            "airflow db migrate",
            [venv_tool("airflow"), "db", "migrate"],
            env=airflow_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        if proc.wait() != 0:
            raise SystemExit(f"airflow db migrate failed; see {log}")
    marker.touch()
    say(f"metadata DB ready in {time.monotonic() - started:.1f}s")


def print_summary(seed: dict[str, Any], dag_seconds: float, log: Path) -> None:
    stats = emulator_stats(seed)
    jobs: dict[str, str] = stats.get("jobs", {})
    if not jobs:
        say("Filed received no connection job")
        return
    job_id = list(jobs)[-1]
    progress = job_progress(seed, job_id)
    works_by_status = ", ".join(f"{k}={v}" for k, v in sorted(progress["works_by_status"].items()))
    artifacts_by_status = ", ".join(f"{k}={v}" for k, v in sorted(progress["artifacts_by_status"].items()))
    lines = [
        f"connection job      {job_id} ({jobs[job_id]})",
        f"works created       {stats['works_per_job'].get(job_id, 0):,}",
        f"works completed     {progress['succeeded']:,}",
        f"works failed        {progress['failed']:,}",
        f"works in progress   {progress['in_progress']:,}",
        f"documents attached  {stats['artifacts_per_job'].get(job_id, 0):,}  ({artifacts_by_status or 'none'})",
        f"work statuses       {works_by_status or 'none'}",
        f"API requests        {stats['total_requests']:,}; duplicates rejected "
        f"{stats.get('duplicate_external_ids_rejected', 0)}",
        f"DAG run duration    {dag_seconds:.1f}s (airflow dags test)",
        f"Airflow output      {log.relative_to(REPO)}",
    ]
    print("\n=== Filed tax-season import: summary ===")
    for line in lines:
        print(f"  {line}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processing-time-s", type=float, default=2.0, help="emulator: trigger-to-done time")
    parser.add_argument("--conf", default=None, help="JSON of DAG params, e.g. '{\"batch_size\": 50}'")
    parser.add_argument("--poke-interval-s", type=float, default=2.0, help="sensor poll interval")
    args = parser.parse_args(argv)

    # Ctrl-C / TERM land as an exception, so `finally` stops everything this script started.
    def interrupted(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)

    processes = Processes()
    AIRFLOW_HOME.mkdir(exist_ok=True)
    (AIRFLOW_HOME / "logs").mkdir(exist_ok=True)
    log = AIRFLOW_HOME / "logs" / f"demo-{time.strftime('%Y%m%dT%H%M%S')}.log"
    begun = time.monotonic()
    try:
        seed = start_emulator(processes, args.processing_time_s)
        say(f"Filed emulator at {seed['url']} (workspace {seed['workspace_id']}, connection {seed['connection_id']})")
        migrate(processes, log)
        env = airflow_env(
            {
                "AIRFLOW_CONN_FILED_DEFAULT": connection_json(seed),
                "FILED_POKE_INTERVAL_S": str(args.poke_interval_s),
            }
        )
        command = [venv_tool("airflow"), "dags", "test", DAG_ID]
        if args.conf:
            command += ["--conf", args.conf]
        source = f"params {args.conf}" if args.conf else "the sample data in dags/data/"
        say(f"running `airflow dags test {DAG_ID}` on {source} (output: {log.relative_to(REPO)})")
        started = time.monotonic()
        progress = RunProgress(AIRFLOW_HOME / "airflow.db", DAG_ID, say)
        with log.open("a") as out:
            proc = processes.start("airflow dags test", command, env=env, stdout=out, stderr=subprocess.STDOUT)
            progress.start()
            try:
                code = proc.wait()
            finally:
                progress.stop()
        dag_seconds = time.monotonic() - started
        print_summary(seed, dag_seconds, log)
        if code != 0:
            say(f"the DAG run FAILED (exit code {code}); last lines of {log.relative_to(REPO)}:")
            print("".join(log.read_text(errors="replace").splitlines(keepends=True)[-40:]))
            return 1
        say(f"DAG run succeeded; demo took {time.monotonic() - begun:.1f}s in all")
        return 0
    except KeyboardInterrupt as exc:
        say(f"interrupted ({exc or 'SIGINT'})")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
