"""DAG-parse cost of the example DAGs over ``import airflow.sdk``, each sample a fresh process.

In the child (:func:`parse_cost`), nothing but the standard library is loaded before the clock starts:

1. ``import airflow.sdk`` — the baseline every DAG file pays;
2. a trivial DAG file (``DAG``, ``Param``, one ``@task``) executed as a module — Airflow's DAG-building
   machinery that any DAG pays on top of ``airflow.sdk``, which is lazy;
3. the example DAG file executed as a module — **what it adds**: the provider modules it imports, the
   Airflow pieces they pull in that a trivial DAG does not (``BaseSensorOperator``, ``ShortCircuitOperator``
   from the standard provider, assets), and building the DAG. The target reads against this figure, as the
   earlier benchmarks did; steps 2 + 3 are the file's whole cost over ``airflow.sdk``, shown beside it;
4. ``DagBag`` of the example file (untimed), which checks it parses without import errors.

Bytecode is cached, as for an installed provider and a DAG processor's later parses: one untimed child
writes it first (without it, compiling the sources is most of the figure). Wall and CPU time are both recorded: on a shared 2-core machine CPU time is the steadier of the two.
One more child runs with ``-X importtime`` to name the heaviest modules step 3 adds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DAG_FILES = ("filed_tax_season_import.py", "filed_tax_season_daily.py")
TRIVIAL_DAG = """
from airflow.sdk import DAG, Param, task

with DAG(dag_id="bench_trivial", schedule=None, params={"n": Param(1, type="integer")}):

    @task
    def one() -> int:
        return 1

    one()
"""


def _exec(path: str, name: str) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


def parse_cost(dag_file: str, trivial_dag: str) -> dict[str, Any]:
    """Runs in a fresh process: the timings above, in seconds (``*_cpu_s``: CPU time).

    A full garbage collection runs, unclocked, before steps 2 and 3: one over Airflow's heap takes ~0.1 s
    and would otherwise land in whichever step happens to trigger it.
    """
    import gc

    def now() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    w0, c0 = now()
    import airflow.sdk  # noqa: F401

    w1, c1 = now()
    gc.collect()
    w2, c2 = now()
    _exec(trivial_dag, "bench_trivial_dag")
    w3, c3 = now()
    gc.collect()
    w4, c4 = now()
    _exec(dag_file, "bench_example_dag")
    w5, c5 = now()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=dag_file, safe_mode=False)
    return {
        "sdk_s": w1 - w0,
        "sdk_cpu_s": c1 - c0,
        "trivial_s": w3 - w2,
        "trivial_cpu_s": c3 - c2,
        "file_s": w5 - w4,
        "file_cpu_s": c5 - c4,
        "dag_ids": sorted(bag.dag_ids),
        "tasks": sum(len(d.tasks) for d in bag.dags.values()),
        "import_errors": {k: str(v)[-500:] for k, v in bag.import_errors.items()},
    }


def heaviest_imports(env: dict[str, str], dag_file: str, trivial_dag: str, top: int = 6) -> dict[str, Any]:
    """``-X importtime`` of the DAG file after ``airflow.sdk`` and the trivial DAG: the modules it adds, by self
    time (ms; ``-X importtime`` adds its own overhead): the heaviest, and the totals of the provider's and others'."""
    import subprocess
    import sys

    code = (
        "import airflow.sdk\n"
        "from benchmarks.parse import _exec\n"
        f"_exec({trivial_dag!r}, 'bench_trivial_dag')\n"
        "import sys; print('after trivial', file=sys.stderr)\n"
        f"_exec({dag_file!r}, 'bench_example_dag')\n"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env, cwd=REPO, check=True
    )
    rows: list[tuple[str, float]] = []
    after_sdk = False
    for line in done.stderr.splitlines():
        after_sdk = after_sdk or line == "after trivial"
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        if not after_sdk:
            continue
        if self_us.strip().isdigit():
            rows.append((name.strip(), int(self_us) / 1000))
    mine = sum(ms for name, ms in rows if name.startswith("airflow_provider_filed"))
    return {
        "top": sorted(rows, key=lambda r: -r[1])[:top],
        "provider_ms": mine,
        "other_ms": sum(ms for _, ms in rows) - mine,
        "modules": len(rows),
    }


def run_parse(repeats: int, *, importtime: bool) -> dict[str, Any]:
    from benchmarks.harness import OUT, child_env, run_child

    env = child_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    trivial = OUT / "bench_trivial_dag.py"
    trivial.write_text(TRIVIAL_DAG)
    result: dict[str, Any] = {}
    for name in DAG_FILES:
        dag_file = str(REPO / "dags" / name)
        run_child("parse:parse_cost", env=env, dag_file=dag_file, trivial_dag=str(trivial))  # writes the bytecode
        samples = [
            run_child("parse:parse_cost", env=env, dag_file=dag_file, trivial_dag=str(trivial)) for _ in range(repeats)
        ]
        result[name] = {"samples": samples}
        if importtime:
            result[name]["heaviest"] = heaviest_imports(env, dag_file, str(trivial))
    return result


if __name__ == "__main__":
    print(json.dumps(run_parse(1, importtime=True), indent=1))
