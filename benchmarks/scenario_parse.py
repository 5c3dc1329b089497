"""Scenario 3: DAG-parse cost — the provider modules on top of ``airflow.sdk``, and the example DAG.

Every sample is a fresh ``python -c`` process that imports nothing but the standard library before it
starts its clock (not even this package), in a private ``AIRFLOW_HOME``. In each child:

1. ``import airflow.sdk`` (timed: the baseline every DAG file pays);
2. ``import`` the modules a DAG file imports — the three operator modules and the sensor module —
   (timed: the provider's cost on top), split in two timers: first the Airflow names those modules
   import (``BaseOperator``, ``BaseSensorOperator``, ``Variable`` …, which any DAG with a sensor pays
   as well), then the provider's own modules. Hooks, the client and the trigger load only when a
   task runs, so they are not part of a parse;
3. if the example DAG exists: ``DagBag`` of a trivial one-``@task`` DAG (DagBag's own first-use cost,
   which any DAG pays), then ``DagBag(<the example file>)`` — the DAG processor's parse of that single
   file. The four provider modules are already loaded by step 2, so a cold parse of the file costs
   step 2 + the example's DagBag time.

Medians over the repeats are reported. One more child runs with ``-X importtime`` to name the
heaviest modules the provider adds.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, ScenarioReport, airflow_env, markdown_table, median, run_json_child

DAG_FILE = REPO / "dags" / "filed_tax_season_import.py"
PROVIDER_MODULES = (
    "airflow_provider_filed.operators.connection_job",
    "airflow_provider_filed.operators.job_works",
    "airflow_provider_filed.operators.job_work_artifacts",
    "airflow_provider_filed.sensors.job_works",
)
TARGET_MS = 25.0
#: The Airflow names the provider modules import: any DAG with a sensor, hook or deferrable task needs them too.
AIRFLOW_PIECES = (
    "from airflow.sdk import BaseOperator, BaseOperatorLink, BaseSensorOperator, Context, "
    "PokeReturnValue, Variable, conf\n"
    "import airflow.sdk.exceptions"
)

CHILD = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
import airflow.sdk
t1, c1 = time.perf_counter(), time.process_time()
{airflow_pieces}
t1b = time.perf_counter()
for name in {modules!r}:
    __import__(name)
t2, c2 = time.perf_counter(), time.process_time()
out = {{
    "sdk_s": t1 - t0,
    "airflow_pieces_s": t1b - t1,
    "provider_own_s": t2 - t1b,
    "provider_s": t2 - t1,
    "sdk_cpu_s": c1 - c0,
    "provider_cpu_s": c2 - c1,
}}
dag_file = {dag_file!r}
if dag_file:
    from airflow.dag_processing.dagbag import DagBag
    t3 = time.perf_counter()
    DagBag(dag_folder={trivial_dag!r}, safe_mode=False)
    t3b = time.perf_counter()
    bag = DagBag(dag_folder=dag_file, safe_mode=False)
    t4 = time.perf_counter()
    out.update(
        dagbag_import_s=t3 - t2,
        trivial_parse_s=t3b - t3,
        dag_parse_s=t4 - t3b,
        dag_ids=sorted(bag.dag_ids),
        tasks=sum(len(d.tasks) for d in bag.dags.values()),
        import_errors={{k: str(v)[-500:] for k, v in bag.import_errors.items()}},
    )
print(json.dumps(out))
"""


#: The smallest DAG using the same Airflow machinery (``@task``, a ``DAG`` with params): DagBag's own overhead.
TRIVIAL_DAG = """
from airflow.sdk import DAG, Param, task

with DAG(dag_id="bench_trivial", schedule=None, params={"n": Param(1, type="integer")}):

    @task
    def one() -> int:
        return 1

    one()
"""


def _child_code(dag_file: Path | None, trivial_dag: Path) -> str:
    return CHILD.format(
        modules=PROVIDER_MODULES,
        airflow_pieces=AIRFLOW_PIECES,
        dag_file=str(dag_file) if dag_file else "",
        trivial_dag=str(trivial_dag),
    )


def heaviest_provider_imports(env: dict[str, str], top: int = 8) -> list[tuple[str, float, float]]:
    """``-X importtime``: modules first imported after ``airflow.sdk`` (self µs, cumulative µs), heaviest first."""
    code = "import airflow.sdk\n" + "".join(f"import {m}\n" for m in PROVIDER_MODULES)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:") and "|" in line]
    rows: list[tuple[str, float, float]] = []
    after_sdk = False
    for line in lines:
        self_us, cumulative_us, raw_name = line.removeprefix("import time:").split("|")
        if not after_sdk:
            after_sdk = raw_name.rstrip() == " airflow.sdk"  # the top-level import, not a nested one
            continue
        if self_us.strip().isdigit():
            rows.append((raw_name.strip(), float(self_us), float(cumulative_us)))
    return sorted(rows, key=lambda r: -r[1])[:top]


def run(repeats: int, *, importtime: bool = True, dag_file: Path = DAG_FILE) -> ScenarioReport:
    home = Path(tempfile.mkdtemp(prefix="filed-bench-airflow-"))
    env = airflow_env(home)
    with_dag = dag_file.exists()
    trivial = home / "bench_trivial_dag.py"
    trivial.write_text(TRIVIAL_DAG)
    samples: list[dict[str, Any]] = []
    for _ in range(repeats):
        samples.append(run_json_child(["-c", _child_code(dag_file if with_dag else None, trivial)], env=env))
    sdk = median([s["sdk_s"] for s in samples]) * 1000
    provider = median([s["provider_s"] for s in samples]) * 1000
    pieces = median([s["airflow_pieces_s"] for s in samples]) * 1000
    own = median([s["provider_own_s"] for s in samples]) * 1000
    provider_cpu = median([s["provider_cpu_s"] for s in samples]) * 1000
    sdk_cpu = median([s["sdk_cpu_s"] for s in samples]) * 1000
    rows = [
        ["`import airflow.sdk` (fresh process)", f"{sdk:,.0f} ms", "baseline", f"{repeats}"],
        [
            "**provider modules on top** (operators.connection_job, .job_works, .job_work_artifacts, sensors.job_works)",
            f"**{provider:,.1f} ms**",
            f"+{provider:,.1f} ms over airflow.sdk",
            f"{repeats}",
        ],
        [
            "… of which Airflow modules they pull in (BaseOperator/BaseSensorOperator/Variable names, "
            "`airflow.sdk.exceptions`)",
            f"{pieces:,.1f} ms",
            "paid by any DAG with a sensor or a deferrable task",
            f"{repeats}",
        ],
        ["… of which the provider's own modules (`airflow_provider_filed.*`)", f"{own:,.1f} ms", "", f"{repeats}"],
        [
            "provider modules on top, CPU time (`process_time`)",
            f"{provider_cpu:,.1f} ms",
            f"`import airflow.sdk` CPU: {sdk_cpu:,.0f} ms",
            f"{repeats}",
        ],
    ]
    notes = [
        "Samples (ms): sdk "
        + ", ".join(f"{s['sdk_s'] * 1000:,.0f}" for s in samples)
        + "; provider on top "
        + ", ".join(f"{s['provider_s'] * 1000:,.1f}" for s in samples)
        + "; provider's own "
        + ", ".join(f"{s['provider_own_s'] * 1000:,.1f}" for s in samples)
        + "."
    ]
    data: dict[str, Any] = {
        "samples": samples,
        "sdk_ms": sdk,
        "provider_ms": provider,
        "airflow_pieces_ms": pieces,
        "provider_own_ms": own,
        "dag_file_present": with_dag,
    }
    if with_dag:
        parse = median([s["dag_parse_s"] for s in samples]) * 1000
        trivial_ms = median([s["trivial_parse_s"] for s in samples]) * 1000
        errors = {k: v for s in samples for k, v in s.get("import_errors", {}).items()}
        dag_ids = samples[-1].get("dag_ids", [])
        tasks = samples[-1].get("tasks", 0)
        rows += [
            [
                "`DagBag` of a trivial one-`@task` DAG (parsed first: DagBag's and `@task`'s own first-use cost)",
                f"{trivial_ms:,.1f} ms",
                "paid by any DAG",
                f"{repeats}",
            ],
            [
                f"`DagBag` of `dags/{dag_file.name}` ({len(dag_ids)} DAG, {tasks} tasks), parsed next",
                f"{parse:,.1f} ms",
                f"cold parse of the file = {provider + parse:,.1f} ms over airflow.sdk "
                f"({provider + parse + trivial_ms:,.1f} ms with the DagBag first-use cost)",
                f"{repeats}",
            ],
        ]
        data.update(dag_parse_ms=parse, trivial_parse_ms=trivial_ms, dag_ids=dag_ids, import_errors=errors)
        notes.append("DAG parse samples (ms): " + ", ".join(f"{s['dag_parse_s'] * 1000:,.1f}" for s in samples) + ".")
        if errors:
            notes.append(f"**The DAG file did not parse cleanly**: {errors}")
    else:
        rows.append([f"`dags/{dag_file.name}`", "n/a", "file absent when this run started", "0"])
        notes.append(f"`dags/{dag_file.name}` did not exist when this run started: its parse time is not measured.")
    if importtime:
        heavy = heaviest_provider_imports(env)
        data["heaviest_imports"] = heavy
        notes.append(
            "Heaviest modules first imported by the provider (`-X importtime`, self time): "
            + ", ".join(f"`{name}` {self_us / 1000:.1f} ms" for name, self_us, _ in heavy)
            + "."
        )
    table = markdown_table(["what", "median", "cost", "fresh processes"], rows)
    targets = [
        (
            f"provider modules ≤ {TARGET_MS:g} ms over airflow.sdk",
            provider <= TARGET_MS,
            f"they add {provider:.1f} ms (median of {repeats}): {pieces:.1f} ms of Airflow modules that "
            f"`import airflow.sdk` leaves unloaded, {own:.1f} ms of the provider's own modules; "
            f"{provider_cpu:.1f} ms of CPU"
            + (f" ({provider / TARGET_MS:.1f}x the budget)." if provider > TARGET_MS else "."),
        )
    ]
    if with_dag:
        cold = provider + data["dag_parse_ms"]
        targets.append(
            (
                f"cold parse of the example DAG ≤ {TARGET_MS:g} ms over airflow.sdk",
                cold <= TARGET_MS,
                f"{cold:.1f} ms (provider modules + DagBag of the file).",
            )
        )
    return ScenarioReport(title="3. DAG parse", table=table, notes=notes, targets=targets, data=data)
