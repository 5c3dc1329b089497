"""The recurring tax-season import at scale: a first import, a re-run that finds everything in Filed, the
importing process's peak RSS, and the XComs of a 100,000-client run of the example DAG.

Two kinds of process, so the reader knows which a figure is about:

* **outside Airflow** (:func:`season_import`, a fresh Python process): the example DAG's task code run in
  order — ``PlanImportOperator.execute`` (validate the export whole, read the provider connection once,
  stage batches), ``createConnectionJob``, then per staged batch ``CreateJobWorksOperator.execute`` and
  ``CreateJobWorkArtifactsOperator.execute`` (each with its own hook, client and login, as separate task
  processes would), and the trigger. No scheduler, no metadata DB (the open-job ledger finds no Variable
  and is not written; the trigger is sent through the hook). Peak RSS per phase and for the process.
* **in Airflow** (:func:`example_dag`): ``airflow dags test filed_tax_season_import`` in its own process on
  a fresh SQLite metadata DB; every task runs in that one process, so its peak RSS bounds any single task
  process's. XCom sizes are read from the metadata DB afterwards.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    CONN_ID,
    OUT,
    EmulatorRef,
    child_env,
    measure,
    proc_kb,
    profiled,
    reset_peak_rss,
    run_child,
    run_process,
)

DAG_ID = "filed_tax_season_import"
#: Clients of the export planned under cProfile (3-4x slower than without).
PROFILED_CLIENTS = 10_000


def exports(n: int) -> tuple[Path, Path]:
    """``clients.csv`` and ``documents.csv`` (2 a client) of ``n`` clients, written once under ``benchmarks/.out``."""
    from tests.dags.exports import write_exports

    folder = OUT / f"export-{n}"
    clients, documents = folder / "clients.csv", folder / "documents.csv"
    if not (clients.exists() and documents.exists()):
        write_exports(folder, n)
    return clients, documents


class _TaskInstance:
    """What the operators touch on ``context["ti"]`` (a first try); the largest JSON of each XCom, by task and key."""

    def __init__(self, run_id: str) -> None:
        self.dag_id, self.run_id, self.try_number, self.task_id = DAG_ID, run_id, 1, ""
        self.xcom_bytes: dict[str, int] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        name = f"{self.task_id} ({key})"
        self.xcom_bytes[name] = max(self.xcom_bytes.get(name, 0), len(json.dumps(value)))


def _execute(operator: Any, ti: _TaskInstance) -> Any:
    """``operator.execute`` as the task runner calls it; its return value is an XCom too."""
    from airflow.sdk.bases.operator import ExecutorSafeguard

    ti.task_id = operator.task_id
    sentinel = {f"{type(operator).__name__}__sentinel": ExecutorSafeguard.sentinel_value}
    value = operator.execute({"ti": ti}, **sentinel)
    ti.xcom_push("return_value", value)
    return value


def _batch_task(operator: Callable[..., Any], name: str, job_id: str, **arguments: Any) -> Any:
    """The example DAG's ``import_batch.<name>`` task in connection job ``job_id``, on the benchmark's connection."""
    return operator(task_id=f"import_batch.{name}", connection_job_id=job_id, filed_conn_id=CONN_ID, **arguments)


PLAN_STEPS = ("read_clients", "read_documents", "_read_held", "_stage")


def _clock_plan_steps() -> dict[str, float]:
    """CPU of each step of ``plan_import``, by wrapping the plan module's functions (the provider is not edited)."""
    import functools
    import time

    from airflow_provider_filed.push_import import plan

    spent: dict[str, float] = {}
    for name in PLAN_STEPS:
        original = getattr(plan, name)

        def clocked(*args: Any, __name: str = name, __fn: Any = original, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return __fn(*args, **kwargs)
            finally:
                spent[__name] = spent.get(__name, 0.0) + time.process_time() - started

        setattr(plan, name, functools.wraps(original)(clocked))
    return spent


def plan_profile(emulator: dict[str, Any], clients: str, documents: str) -> dict[str, Any]:
    """``PlanImportOperator.execute`` under cProfile (CPU-timed): where planning spends its time."""
    from airflow_provider_filed.operators.plan_import import PlanImportOperator

    plan = PlanImportOperator(
        task_id="plan_import",
        clients=clients,
        documents=documents,
        staging=str(OUT / "staging-profile"),
        batch_size=1_000,
    )
    return profiled(lambda: _execute(plan, _TaskInstance("profile")), top=12)


def season_import(emulator: dict[str, Any], clients: str, documents: str, run_id: str) -> dict[str, Any]:
    """One run of the recurring import outside Airflow (see the module docstring); figures per phase."""
    from airflow_provider_filed.hooks.filed import FiledHook
    from airflow_provider_filed.operators.job_work_artifacts import CreateJobWorkArtifactsOperator
    from airflow_provider_filed.operators.job_works import CreateJobWorksOperator
    from airflow_provider_filed.operators.plan_import import PlanImportOperator

    plan_steps = _clock_plan_steps()
    em = EmulatorRef.of(emulator)
    staging = OUT / "staging"
    phases: dict[str, dict[str, Any]] = {}
    gc.collect()
    baseline_mb = proc_kb("VmRSS") / 1024  # the interpreter, Airflow's SDK and the provider, loaded

    ti = _TaskInstance(run_id)
    with measure(em, trace=False) as phase:
        plan = PlanImportOperator(
            task_id="plan_import",
            clients=clients,
            documents=documents,
            staging=str(staging),
            batch_size=1_000,
            filed_conn_id=CONN_ID,
        )
        batches = _execute(plan, ti)
    phase.extra["steps_cpu_s"] = dict(plan_steps)
    phases["plan_import"] = asdict(phase)
    job_id = None
    if batches:
        with measure(em, trace=False) as phase:
            hook = FiledHook(CONN_ID)
            job_id = hook.client.create_connection_job(em.connection_id, f"bench {run_id}").id
            peak_batch = 0.0
            for batch in batches:
                reset_peak_rss()
                works = _batch_task(
                    CreateJobWorksOperator, "create_job_works", job_id, works=batch["works"], check_existing=False
                )
                created = _execute(works, ti)
                artifacts = _batch_task(
                    CreateJobWorkArtifactsOperator,
                    "create_job_work_artifacts",
                    job_id,
                    artifacts=batch["artifacts"],
                    job_work_ids=created,
                )
                _execute(artifacts, ti)
                works.hook.close()
                artifacts.hook.close()
                peak_batch = max(peak_batch, proc_kb("VmHWM") / 1024)
            hook.trigger_connection_job(job_id)
            hook.close()
        phase.peak_rss_mb = max(phase.peak_rss_mb, peak_batch)
        phases["batches and trigger"] = asdict(phase)
    return {
        "wall_s": sum(p["wall_s"] for p in phases.values()),
        "cpu_s": sum(p["cpu_s"] for p in phases.values()),
        "requests": sum(p["requests"] for p in phases.values()),
        "peak_rss_mb": max(p["peak_rss_mb"] for p in phases.values()),
        "baseline_rss_mb": baseline_mb,
        "phases": phases,
        "batches": len(batches),
        "connection_job_id": job_id,
        "xcom_bytes": ti.xcom_bytes,
    }


def baseline_rss() -> dict[str, float]:
    """Peak RSS of a process that only imports what :func:`season_import` imports: the floor under its figure."""
    import airflow_provider_filed.hooks.filed
    import airflow_provider_filed.operators.job_work_artifacts
    import airflow_provider_filed.operators.job_works
    import airflow_provider_filed.operators.plan_import
    import airflow_provider_filed.push_import.plan  # noqa: F401

    return {"peak_rss_mb": proc_kb("VmHWM") / 1024}


def run_season(
    emulator: EmulatorRef,
    n: int,
    *,
    rerun: bool,
    profile: bool = False,
    rerun_with: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A first import of ``n`` clients on a reset emulator, and (``rerun``) the same export imported again;
    ``rerun_with``: more re-runs, each with these connection extras (``{label: extras}``)."""
    controls = emulator.handle()
    controls.reset()
    controls.configure(processing_time_s=1.0)
    clients, documents = exports(n)
    env = child_env(emulator)
    result: dict[str, Any] = {"clients": n, "profiled_clients": min(n, PROFILED_CLIENTS)}
    if profile:  # on the empty connection: the first run's plan, on a smaller export
        small_clients, small_documents = exports(result["profiled_clients"])
        result["plan_profile"] = run_child(
            "recurring:plan_profile",
            env=env,
            emulator=emulator,
            clients=str(small_clients),
            documents=str(small_documents),
        )
    result["first"] = run_child(
        "recurring:season_import", env=env, timeout=1800, **_args(emulator, clients, documents, "first")
    )
    if rerun:
        second = run_child(
            "recurring:season_import", env=env, timeout=1800, **_args(emulator, clients, documents, "rerun")
        )
        result["rerun"] = second
    for label, extras in (rerun_with or {}).items():
        result.setdefault("rerun_with", {})[label] = run_child(
            "recurring:season_import",
            env=child_env(emulator, conn_extra=extras),
            timeout=1800,
            **_args(emulator, clients, documents, "rerun-" + "-".join(map(str, extras.values()))),
        )
    stats = controls.stats()
    result["works_in_filed"] = sum(stats["works_per_job"].values())
    result["artifacts_in_filed"] = sum(stats["artifacts_per_job"].values())
    result["duplicates"] = len(stats.get("duplicate_work_external_ids", []))
    controls.close()
    return result


def _args(emulator: EmulatorRef, clients: Path, documents: Path, run_id: str) -> dict[str, Any]:
    return {"emulator": emulator, "clients": str(clients), "documents": str(documents), "run_id": run_id}


def example_dag(emulator: EmulatorRef, n: int, batch_size: int, timeout: float = 1800) -> dict[str, Any]:
    """``airflow dags test filed_tax_season_import`` on ``n`` clients; wall, requests, peak RSS, every XCom's size."""
    home = OUT / f"airflow-dag-{n}"
    if home.exists():
        import shutil

        shutil.rmtree(home)
    home.mkdir(parents=True)
    env = child_env(emulator, home, FILED_POKE_INTERVAL_S="2")
    airflow = [sys.executable, "-m", "airflow"]
    code, migrate_s, _, _ = run_process([*airflow, "db", "migrate"], env=env, timeout=300, log=home / "migrate.log")
    if code:
        raise RuntimeError(f"airflow db migrate failed: see {home / 'migrate.log'}")
    clients, documents = exports(n)
    controls = emulator.handle()
    controls.reset()
    controls.configure(processing_time_s=2.0)
    before = controls.stats()["total_requests"]
    conf = {"clients_path": str(clients), "documents_path": str(documents), "batch_size": batch_size}
    log = home / "dags-test.log"
    code, wall_s, cpu_s, peak_mb = run_process(
        [*airflow, "dags", "test", DAG_ID, "-c", json.dumps(conf)], env=env, timeout=timeout, log=log
    )
    stats = controls.stats()
    controls.close()
    with sqlite3.connect(home / "airflow.db") as db:
        states = dict(db.execute("SELECT state, count(*) FROM task_instance GROUP BY state").fetchall())
        run_state = db.execute("SELECT state FROM dag_run WHERE dag_id = ?", (DAG_ID,)).fetchone()
        xcoms = db.execute(
            "SELECT task_id, map_index, key, length(CAST(value AS BLOB)) FROM xcom WHERE dag_id = ? ORDER BY 4 DESC",
            (DAG_ID,),
        ).fetchall()
    largest: dict[str, int] = {}
    for task_id, _, key, size in xcoms:
        name = f"{task_id} ({key})"
        largest[name] = max(largest.get(name, 0), int(size or 0))
    return {
        "clients": n,
        "batch_size": batch_size,
        "exit_code": code,
        "run_state": run_state[0] if run_state else None,
        "task_states": states,
        "migrate_s": migrate_s,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "peak_rss_mb": peak_mb,
        "requests": stats["total_requests"] - before,
        "works_in_filed": sum(stats["works_per_job"].values()),
        "artifacts_in_filed": sum(stats["artifacts_per_job"].values()),
        "xcoms": len(xcoms),
        "largest_xcom_bytes": int(xcoms[0][3]) if xcoms else 0,
        "largest_xcom": f"{xcoms[0][0]} ({xcoms[0][2]})" if xcoms else "",
        "xcom_bytes_by_task": largest,
        "log": str(log.relative_to(OUT.parent.parent)),
    }
