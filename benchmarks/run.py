"""``make bench`` / ``make bench-quick``: every benchmark against the emulator, then RESULTS.md and its chart.

``uv run python benchmarks/run.py`` (full: 10,000-client contenders, scaling to 50,000, the recurring
import at 50,000 and 100,000, the example DAG at 100,000; several minutes) or ``--quick`` (1,000 clients,
smaller samples; writes to ``benchmarks/.out/`` so it never overwrites the committed results). The raw
figures are kept as JSON beside the report; ``--report-only`` rewrites the report from them.

The emulator runs in its own process (the stock ``filed-emulator``) with ``--latency-ms`` (25) per
request; every measured block runs in a fresh child process (``benchmarks/harness.py``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import bulk, parse, recurring, report, sensing  # noqa: E402
from benchmarks.harness import (  # noqa: E402
    OUT,
    EmulatorRef,
    emulator_process,
    git_revision,
    load_average,
    machine_facts,
    run_child,
    versions,
)

SECTIONS = ("parse", "emulator", "import", "scaling", "recurring", "dag", "poke", "trigger")
#: The emulator's work done at each request's arrival, its answer held until the latency is over: the same
#: round trips with (nearly) none of the emulator's serial CPU in them, what a contender costs by itself.
OVERLAPPED = {"latency_covers_work": True}


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return {  # a smoke test of the harness: one repetition, the smallest sizes
            "clients": 1_000,
            "reps": 1,
            "naive_sample": 10,
            "scaling": [1_000],
            "recurring": 1_000,
            "big": 1_000,
            "dag_batch_size": 250,
            "parse_repeats": 1,
            "waiting": 1_000,
        }
    return {
        "clients": 10_000,
        "reps": 5,
        "naive_sample": 50,
        "scaling": [1_000, 10_000, 50_000],
        "recurring": 50_000,
        "big": 100_000,
        "dag_batch_size": 10_000,
        "parse_repeats": 7,
        "waiting": 10_000,
    }


def run_import(em: EmulatorRef, size: dict[str, Any], tuned: int) -> dict[str, Any]:
    n = size["clients"]
    entries = [
        bulk.Entry("provider", "provider, default settings", "provider", 4),
        bulk.Entry(
            "tuned", f"provider, max_concurrency={tuned}", "provider", tuned, options={"max_concurrency": tuned}
        ),
        bulk.Entry(
            "standalone",
            "provider, reading the connection first (operator default)",
            "provider",
            4,
            options={"existing": "connection"},
        ),
        bulk.Entry("httpx", "hand-written httpx, 4 threads", "httpx", 4),
        bulk.Entry(
            "provider_no_gc",
            "provider, automatic garbage collection off",
            "provider",
            4,
            options={"automatic_gc": False},
        ),
        bulk.Entry(
            "provider_overlapped",
            "provider, the emulator's work within its latency",
            "provider",
            4,
            options={"emulator_config": OVERLAPPED},
        ),
        bulk.Entry(
            "httpx_overlapped",
            "hand-written httpx, the emulator's work within its latency",
            "httpx",
            4,
            options={"emulator_config": OVERLAPPED},
        ),
        bulk.Entry("least", "the least client work: the provider's bytes on raw sockets", "least", 4),
        bulk.Entry("gql", "gql, sequential", "gql", 1),
        bulk.Entry("naive", "naive loop, one request each", "naive", 1, sample=size["naive_sample"]),
    ]
    contenders = bulk.run_contenders(em, entries, clients=n, reps=size["reps"], profile="provider")
    return {
        "clients": n,
        "contenders": [c.raw() for c in contenders],
        "profile": contenders[0].profile,
        "hot_paths": run_child("bulk:hot_paths", n=n),
    }


def run_scaling(em: EmulatorRef, size: dict[str, Any], done: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for n in size["scaling"]:
        reused = next((c for c in done.get("contenders", []) if c["key"] == "provider" and c["clients"] == n), None)
        if reused:
            rows.append({"clients": n, "samples": reused["samples"], "reused": True})
            continue
        entry = bulk.Entry("provider", "provider", "provider", 4)
        (contender,) = bulk.run_contenders(em, [entry], clients=n, reps=size["reps"])
        rows.append({"clients": n, "samples": contender.series.samples, "reused": False})
    return rows


def run_recurring(em: EmulatorRef, size: dict[str, Any], quick: bool) -> dict[str, Any]:
    one_page = {} if quick else {"one page a request": {"pages_per_request": 1}}  # how response size drives RSS
    result = {"season": recurring.run_season(em, size["recurring"], rerun=True, profile=not quick, rerun_with=one_page)}
    result["baseline"] = run_child("recurring:baseline_rss")
    if size["big"] != size["recurring"]:
        result["big"] = recurring.run_season(em, size["big"], rerun=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 clients and smaller samples")
    parser.add_argument("--latency-ms", type=float, default=25.0, help="latency the emulator adds per request")
    parser.add_argument("--tuned-concurrency", type=int, default=8, help="max_concurrency of the tuned provider")
    parser.add_argument(
        "--only", default=None, help=f"comma-separated subset of {', '.join(SECTIONS)} (--quick: all but dag)"
    )
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the saved JSON")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    data_file = OUT / f"results{suffix}.json"
    results_md = OUT / "RESULTS-quick.md" if args.quick else REPO / "benchmarks" / "RESULTS.md"
    chart = OUT / "results-quick.png" if args.quick else REPO / "benchmarks" / "results.png"
    if args.report_only:
        report.write(json.loads(data_file.read_text()), results_md, chart)
        print(f"Wrote {results_md} and {chart}")
        return 0

    chosen = args.only.split(",") if args.only else [s for s in SECTIONS if not (args.quick and s == "dag")]
    wanted = [s for s in SECTIONS if s in chosen]
    size = sizes(args.quick)
    given = argv if argv is not None else sys.argv[1:]
    results: dict[str, Any] = {
        "meta": {
            "command": " ".join(["uv run python benchmarks/run.py", *([shlex.join(given)] if given else [])]),
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "revision": git_revision(),
            "machine": machine_facts(),
            "versions": versions(),
            "latency_ms": args.latency_ms,
            "quick": args.quick,
            "sizes": size,
            "load_start": load_average(),
            "sections_s": {},
        }
    }
    started = time.perf_counter()

    def section(name: str, fn: Callable[[], Any]) -> None:
        if name not in wanted:
            return
        print(f"[bench] {name} …", flush=True)
        t0 = time.perf_counter()
        results[name] = fn()
        results["meta"]["sections_s"][name] = time.perf_counter() - t0
        print(f"[bench] {name}: {time.perf_counter() - t0:.0f} s (load {load_average()})", flush=True)
        data_file.write_text(json.dumps(results, indent=1, default=str))

    section("parse", lambda: parse.run_parse(size["parse_repeats"], importtime=not args.quick))
    section("emulator", lambda: run_child("emulator_cpu:report", repeat=5 if args.quick else 15))
    with emulator_process(args.latency_ms) as em:
        section("import", lambda: run_import(em, size, args.tuned_concurrency))
        section("scaling", lambda: run_scaling(em, size, results.get("import", {})))
        section("recurring", lambda: run_recurring(em, size, args.quick))
        section("dag", lambda: recurring.example_dag(em, size["big"], size["dag_batch_size"]))
        section("poke", lambda: sensing.run_pokes(em, size["waiting"], every_variant=not args.quick))
        section("trigger", lambda: sensing.run_trigger(em, size["waiting"], debug_pass=not args.quick))
    results["meta"]["elapsed_s"] = time.perf_counter() - started
    results["meta"]["load_end"] = load_average()
    data_file.write_text(json.dumps(results, indent=1, default=str))
    report.write(results, results_md, chart)
    print(report.targets_table(results))
    print(f"\nWrote {results_md} and {chart} in {results['meta']['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
