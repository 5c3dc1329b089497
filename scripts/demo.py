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
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from celery_stack import emulator
from celery_stack.processes import ProcessGroups, run_logged, run_then_stop, venv_tool
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


def start_emulator(
    processes: ProcessGroups, processing_time_s: float, log: Path, host: str = "127.0.0.1"
) -> dict[str, Any]:
    """Start ``filed-emulator`` for the demo on a free port (output to ``log``); its JSON start-up line."""
    args = ["--host", host, "--api-key", DEMO_API_KEY, "--processing-time-s", str(processing_time_s)]
    try:
        return emulator.start_emulator(processes, args, log, STARTUP_TIMEOUT_S)
    except RuntimeError as error:
        raise SystemExit(str(error)) from None


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


def migrate(log: Path) -> None:
    """``airflow db migrate`` (~10 s), skipped when this Airflow version already migrated the DB."""
    from importlib.metadata import version

    AIRFLOW_HOME.mkdir(exist_ok=True)
    marker = AIRFLOW_HOME / f".migrated-{version('apache-airflow')}"
    if marker.exists() and (AIRFLOW_HOME / "airflow.db").exists():
        say(f"Airflow home {AIRFLOW_HOME.relative_to(REPO)}/ is ready (SQLite, migrated)")
        return
    say(f"preparing the Airflow home {AIRFLOW_HOME.relative_to(REPO)}/ (SQLite; airflow db migrate)")
    started = time.monotonic()
    try:
        run_logged([venv_tool("airflow"), "db", "migrate"], log, env=airflow_env())
    except RuntimeError:
        raise SystemExit(f"airflow db migrate failed; see {log}") from None
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

    processes = ProcessGroups(say)
    AIRFLOW_HOME.mkdir(exist_ok=True)
    (AIRFLOW_HOME / "logs").mkdir(exist_ok=True)
    log = AIRFLOW_HOME / "logs" / f"demo-{time.strftime('%Y%m%dT%H%M%S')}.log"
    begun = time.monotonic()

    def run() -> int:
        seed = start_emulator(processes, args.processing_time_s, AIRFLOW_HOME / "logs" / "emulator.log")
        say(f"Filed emulator at {seed['url']} (workspace {seed['workspace_id']}, connection {seed['connection_id']})")
        migrate(log)
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
        dags_test = processes.start("airflow dags test", command, log, env=env)
        assert dags_test.proc is not None
        progress.start()
        try:
            code = dags_test.proc.wait()
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

    def interrupted(why: str) -> int:
        say(f"interrupted ({why})")
        return 130

    return run_then_stop(processes, run, interrupted)


if __name__ == "__main__":
    sys.exit(main())
