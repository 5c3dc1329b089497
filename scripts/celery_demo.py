"""``make celery-demo``: the example import at tax-season scale on a CeleryExecutor deployment.

Starts the stack of ``celery_stack`` (Postgres and Redis from Debian's packages, Airflow installed by pip
with the constraints generated from ``uv.lock``, api-server, scheduler, dag-processor, triggerer and two
Celery workers, the Filed emulator), imports 5,000 clients and 10,000 documents with
``filed_tax_season_import``, prints which worker ran each mapped task and what Filed received, and stops
everything. Exit code 0 only if the run succeeded, the mapped tasks ran on both workers, and Filed holds
exactly one work per client and one artifact per document, with no duplicate.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from typing import Any

from celery_stack.scenario import import_arguments, import_files, run_scenario
from celery_stack.stack import CeleryStack, RunOutcome, StackOptions

DAG_ID = "filed_tax_season_import"
MAPPED_GROUP = "import_batch."
DUPLICATE_KEYS = (
    "duplicate_work_external_ids",
    "duplicate_work_external_ids_by_job",
    "duplicate_artifact_external_ids",
    "duplicate_external_ids_rejected",
    "duplicate_artifact_external_ids_rejected",
)


def mapped_by_worker(outcome: RunOutcome) -> dict[str, Counter[str]]:
    """hostname -> how many instances of each ``import_batch.*`` task it ran."""
    by_worker: dict[str, Counter[str]] = defaultdict(Counter)
    for ti in outcome.task_instances:
        if ti["task_id"].startswith(MAPPED_GROUP):
            by_worker[ti["hostname"] or "(none)"][ti["task_id"].removeprefix(MAPPED_GROUP)] += 1
    return by_worker


def report(outcome: RunOutcome, stats: dict[str, Any], clients: int, documents: int, workers: list[str]) -> list[str]:
    """Print what happened; return the failed checks (empty: the demo passed)."""
    print(f"\n=== {DAG_ID} on CeleryExecutor: run {outcome.run_id} ===")
    print(f"  run state           {outcome.state} in {outcome.seconds:.0f}s")
    print("  mapped tasks (import_batch.*), by the worker that ran them:")
    mapped = sorted(
        (ti for ti in outcome.task_instances if ti["task_id"].startswith(MAPPED_GROUP)),
        key=lambda ti: (ti["map_index"], ti["task_id"]),
    )
    for ti in mapped:
        print(
            f"    [{ti['map_index']:>3}] {ti['task_id']:<42} {ti['state']:<8} on {ti['hostname']} (try {ti['try_number']})"
        )
    by_worker = mapped_by_worker(outcome)
    for worker in workers:
        counts = by_worker.get(worker, Counter())
        print(f"  {worker:<19} {sum(counts.values())} mapped task instances {dict(counts)}")
    for ti in outcome.task_instances:
        if not ti["task_id"].startswith(MAPPED_GROUP):
            print(f"  {ti['task_id']:<19} {ti['state']:<8} on {ti['hostname']} (try {ti['try_number']})")
    for task_id, triggerer in outcome.deferred_on.items():
        print(f"  {task_id} was deferred; its trigger ran in the triggerer '{triggerer}'")
    works = stats["works_per_job"]
    artifacts = stats["artifacts_per_job"]
    duplicates = {key: stats.get(key) for key in DUPLICATE_KEYS}
    print(f"  Filed: works per job {works}, artifacts per job {artifacts}")
    print(f"  Filed: duplicates {duplicates}; {stats.get('total_requests', 0):,} API requests")

    failed = []
    if outcome.state != "success":
        failed.append(f"the run ended {outcome.state!r}, not 'success'")
    idle = [w for w in workers if not by_worker.get(w)]
    if idle:
        failed.append(f"no mapped task ran on {', '.join(idle)}")
    if list(works.values()) != [clients]:
        failed.append(f"expected one job with {clients:,} works, Filed holds {works}")
    if list(artifacts.values()) != [documents]:
        failed.append(f"expected one job with {documents:,} artifacts, Filed holds {artifacts}")
    if any(duplicates.values()):
        failed.append(f"duplicates in Filed: {duplicates}")
    if "wait_for_job_works" not in outcome.deferred_on:
        failed.append("wait_for_job_works was never seen deferred in the triggerer")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = import_arguments(__doc__, clients=5_000)
    parser.add_argument("--workers", type=int, default=2, help="Celery workers (default 2)")
    parser.add_argument("--concurrency", type=int, default=4, help="task slots per worker (default 4)")
    args = parser.parse_args(argv)

    # lenient duplicates: a reused externalId would be *held* twice, so any blind re-send shows as a duplicate.
    options = StackOptions(
        workers=args.workers,
        worker_concurrency=args.concurrency,
        emulator_args=["--processing-time-s", "5", "--lenient-duplicates"],
    )
    stack = CeleryStack(options)
    conf = import_files(stack, args.clients, args.docs_per_client, args.batch_size)
    documents = args.clients * args.docs_per_client

    def demo(stack: CeleryStack) -> list[str]:
        outcome = stack.run_dag(DAG_ID, conf, args.timeout_s)
        return report(outcome, stack.emulator_stats(), args.clients, documents, stack.workers)

    return run_scenario(stack, demo)


if __name__ == "__main__":
    sys.exit(main())
