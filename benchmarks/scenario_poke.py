"""Scenario 2: one sensor poke over N job works (after the trigger): requests, wall time, memory growth.

Each variant runs in a fresh process (``python -m benchmarks.scenario_poke --child ...``) so that the
peak-RSS high-water mark (``VmHWM``) is that of the poke and not of the import that prepared the job:

* poke 1 (cold: new client, log in) measures wall time, requests and RSS growth: ``VmHWM`` is reset
  to the current RSS just before (``/proc/self/clear_refs``), and growth = ``VmHWM`` after - ``VmRSS``
  before; no tracemalloc, which would slow it down;
* poke 2 (same process, token cached) runs under ``tracemalloc`` for the Python-heap peak.

Variants: the client call the sensor makes (``FiledClient.run(job_works_progress(...))``) and the
real ``JobWorksSensor.poke`` (connection from ``AIRFLOW_CONN_FILED_BENCH``, hook, settings, client),
each with ``include_artifacts`` False and True.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import (
    Emulator,
    ScenarioReport,
    airflow_env,
    fmt_n,
    fmt_s,
    markdown_table,
    proc_status_kb,
    run_json_child,
)

CONN_ID = "filed_bench"
MAX_REQUESTS = 10
MAX_GROWTH_MB = 50.0


def conn_env(emulator: Emulator) -> dict[str, str]:
    conn = {
        "conn_type": "filed",
        "host": emulator.url,
        "password": emulator.api_key,
        "extra": {"workspace_id": emulator.workspace_id, "connection_id": emulator.connection_id},
    }
    return {f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(conn)}


def prepare_job(emulator: Emulator, n: int) -> str:
    """Import ``n`` clients x 2 artifacts, trigger, and wait until every work is terminal."""
    from airflow_provider_filed.client import (
        ArtifactsImport,
        ConnectionJobTarget,
        FiledClient,
        JobWorksImport,
        job_works_progress,
        load_config,
    )
    from airflow_provider_filed.client.inputs import parse_artifacts, parse_job_works
    from benchmarks.scenario_import import artifact_rows, client_rows

    emulator.reset()
    emulator.configure(processing_time_s=0.5)
    with FiledClient(load_config(url=emulator.url, api_key=emulator.api_key, max_concurrency=8)) as client:
        job_id = client.create_connection_job(emulator.connection_id, "bench poke").id
        target = ConnectionJobTarget(
            workspace_id=emulator.workspace_id, connection_id=emulator.connection_id, connection_job_id=job_id
        )
        rows = client_rows("poke", n)
        JobWorksImport(client, target).run(parse_job_works(rows))
        ArtifactsImport(client, target).run(
            parse_artifacts({row["externalId"]: artifact_rows("poke", i) for i, row in enumerate(rows)})
        )
        client.trigger_connection_job(job_id)
        deadline = time.monotonic() + 120
        while True:
            summary = client.run(
                job_works_progress(emulator.workspace_id, emulator.connection_id, connection_job_id=job_id)
            )
            if summary.done or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    return job_id


def run(emulator: Emulator, n: int, *, share_process: bool = False) -> ScenarioReport:
    """``share_process``: both include_artifacts variants in one child per poke kind (``--quick``)."""
    job_id = prepare_job(emulator, n)
    home = Path(tempfile.mkdtemp(prefix="filed-bench-airflow-"))
    env = {**airflow_env(home), **conn_env(emulator)}
    rows = []
    results: list[dict[str, Any]] = []
    groups = [["0", "1"]] if share_process else [["0"], ["1"]]
    for via in ("client", "sensor"):
        for variants in groups:
            args = [
                "-m",
                "benchmarks.scenario_poke",
                "--child",
                "--via",
                via,
                "--base-url",
                emulator.base_url,
                "--url",
                emulator.url,
                "--api-key",
                emulator.api_key,
                "--workspace-id",
                emulator.workspace_id,
                "--connection-id",
                emulator.connection_id,
                "--job-id",
                job_id,
                "--variants",
                ",".join(variants),
            ]
            for result in run_json_child(args, env=env):
                result["via"] = via
                results.append(result)
    for result in results:
        name = (
            "FiledClient.run(job_works_progress(...))"
            if result["via"] == "client"
            else "JobWorksSensor.poke (hook + client)"
        )
        rows.append(
            [
                name,
                str(result["include_artifacts"]),
                fmt_n(result["total"]),
                f"{result['requests']} ({result['requests_by_field']})",
                str(result["requests_warm"]),
                fmt_s(result["wall_s"]),
                f"{result['cpu_s'] * 1000:.0f} ms",
                f"{result['rss_growth_mb']:.1f}",
                f"{result['tracemalloc_peak_mb']:.1f}",
            ]
        )
    table = markdown_table(
        [
            "poke",
            "include_artifacts",
            "job works seen",
            "requests, cold (by root field)",
            "requests, warm token",
            "wall (cold)",
            "CPU (cold)",
            "peak RSS growth MB (VmHWM - VmRSS before)",
            "tracemalloc peak MB (warm)",
        ],
        rows,
    )
    worst_requests = max(r["requests"] for r in results)
    worst_warm = max(r["requests_warm"] for r in results)
    worst_mb = max(max(r["rss_growth_mb"], r["tracemalloc_peak_mb"]) for r in results)
    pages = -(-(n + 1) // 1000)
    targets = [
        (
            f"≤ {MAX_REQUESTS} requests per poke",
            worst_requests <= MAX_REQUESTS,
            f"worst {worst_requests} cold / {worst_warm} with a cached token. {n:,} job works at the API's "
            f"maximum page of 1,000 take {pages} page requests: a short page is the only end-of-list signal, "
            f"so {'an exact multiple of 1,000 costs one extra, empty page' if n % 1000 == 0 else 'the last page is short'}; "
            "a cold poke also logs in first (one more request).",
        ),
        (
            f"< {MAX_GROWTH_MB:g} MB memory growth",
            worst_mb < MAX_GROWTH_MB,
            f"worst {worst_mb:.1f} MB (largest of RSS growth and tracemalloc peak).",
        ),
    ]
    notes = [
        (
            "--quick: both include_artifacts variants of a poke kind run in one fresh process, one after the "
            "other, each with a new client and the peak RSS reset before it."
            if share_process
            else "Each row is a fresh process."
        )
        + " Cold = the first poke of a new client (it logs in, as every "
        "reschedule-mode try does); warm = a second poke with the token cached (poke mode and the trigger). "
        "Wall time is mostly the emulator building 1,000-work pages: "
        + ", ".join(
            f"{r['wall_s'] / max(1, r['requests']) * 1000:.0f} ms per request with include_artifacts={r['include_artifacts']}"
            for r in results[:2]
        )
        + f" ({n:,} works x 2 artifacts in the job).",
    ]
    return ScenarioReport(
        title=f"2. One sensor poke over {n:,} job works",
        table=table,
        notes=notes,
        targets=targets,
        data={"job_works": n, "results": results},
    )


# ---- child process -------------------------------------------------------------------------------


def _stats(base_url: str) -> dict[str, int]:
    raw = httpx.get(f"{base_url}/_emulator/stats", timeout=30, trust_env=False).json()["requests"]
    return {name: sum(v.values()) for name, v in raw.items()}


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux ≥ 4.0: write 5 to clear_refs), so the peak is the poke's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def child(args: argparse.Namespace, include_artifacts: bool) -> dict[str, Any]:
    from airflow_provider_filed.client import FiledClient, job_works_progress, load_config

    def make_poke() -> Any:
        if args.via == "client":
            client = FiledClient(load_config(url=args.url, api_key=args.api_key))

            def poke() -> dict[str, Any]:
                summary = client.run(
                    job_works_progress(
                        args.workspace_id,
                        args.connection_id,
                        connection_job_id=args.job_id,
                        include_artifacts=include_artifacts,
                    )
                )
                return summary.model_dump(mode="json")

            return poke
        from airflow_provider_filed.sensors.job_works import JobWorksSensor

        sensor = JobWorksSensor(
            task_id="wait_for_job_works",
            connection_job_id=args.job_id,
            filed_conn_id=CONN_ID,
            include_artifacts=include_artifacts,
        )

        def sensor_poke() -> dict[str, Any]:
            value = sensor.poke({})
            assert value.is_done, value
            xcom: dict[str, Any] = value.xcom_value or {}
            return xcom

        return sensor_poke

    poke = make_poke()
    gc.collect()
    hwm_reset = reset_peak_rss()
    rss_before = proc_status_kb("VmRSS")
    hwm_before = proc_status_kb("VmHWM")
    before = _stats(args.base_url)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    summary = poke()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    hwm_after = proc_status_kb("VmHWM")
    cold = _delta(before, _stats(args.base_url))

    gc.collect()
    before = _stats(args.base_url)
    tracemalloc.start()
    poke()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    warm = _delta(before, _stats(args.base_url))
    return {
        "include_artifacts": include_artifacts,
        "total": summary["total"],
        "succeeded": summary["succeeded"],
        "artifacts_by_status": summary.get("artifacts_by_status", {}),
        "wall_s": wall,
        "cpu_s": cpu,
        "requests": sum(cold.values()),
        "requests_by_field": cold,
        "requests_warm": sum(warm.values()),
        "rss_before_mb": rss_before / 1024,
        "hwm_before_mb": hwm_before / 1024,
        "hwm_after_mb": hwm_after / 1024,
        "hwm_reset": hwm_reset,
        "rss_growth_mb": max(0, hwm_after - rss_before) / 1024,
        "tracemalloc_peak_mb": peak / 1024 / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true", required=True)
    parser.add_argument("--via", choices=("client", "sensor"), required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--workspace-id", required=True)
    parser.add_argument("--connection-id", required=True)
    parser.add_argument("--job-id", required=True)
    parser.add_argument("--variants", default="0", help="include_artifacts values to poke with, in order: 0,1")
    args = parser.parse_args()
    results = [child(args, flag == "1") for flag in args.variants.split(",")]
    sys.stdout.write(json.dumps(results) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (pooled connections, airflow atexit hooks)


if __name__ == "__main__":
    sys.exit(main())
