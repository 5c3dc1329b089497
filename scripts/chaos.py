"""``make chaos``: the example import on CeleryExecutor while processes die and Filed misbehaves.

Starts the stack of ``make celery-demo`` (``celery_stack``: Postgres, Redis, api-server, scheduler,
dag-processor, triggerer, two Celery workers) with the Filed emulator injecting faults: 5xx answers,
429s, mutations applied and then answered with an error, access tokens that expire within seconds, and
reused externalIds *accepted* (``--lenient-duplicates``: only the provider keeps a re-sent work from
being created twice). It imports 3,000 clients and 6,000 documents with ``filed_tax_season_import`` and,
during the run:

1. ``kill -9`` the Celery worker running an ``import_batch.create_job_works`` task, restart it;
2. ``SIGSTOP`` the emulator for 30 s while tasks talk to it, then ``SIGCONT``;
3. ``kill -9`` the triggerer while ``wait_for_job_works`` is deferred in it, restart it some seconds later.

Each disruption must happen (the run fails if its moment never came). Then it reads back, with the
provider's own ``FiledClient`` (the documented ``jobWorks`` query), every job work of the connection: the
run must have ended ``success`` and Filed must hold exactly one work per client and one artifact per
document, with no externalId twice. Exit code 0 only if every check passed; everything started is
stopped, also on failure and Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from celery_stack.scenario import import_arguments, import_files, run_scenario
from celery_stack.stack import DEFAULT_ROOT, CeleryStack, RunOutcome, StackOptions

DAG_ID = "filed_tax_season_import"
WORKS_TASK = "import_batch.create_job_works"
SENSOR_TASK = "wait_for_job_works"
FINISHED_OR_RUNNING = frozenset({"running", "success", "failed", "skipped", "upstream_failed", "removed"})
ROOT = DEFAULT_ROOT.parent / "chaos"
#: Airflow settings that bring a killed worker's tasks back within a minute or two, not 5 or 10: the ones it
#: ran (their heartbeats stop), and the ones it had taken from Redis but not started (they stay ``queued``).
AIRFLOW_ENV = {
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "90",
    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "15",
}


def emulator_faults(args: argparse.Namespace) -> list[str]:
    """The emulator's command-line switches for this run."""
    return [
        *("--latency-ms", str(args.latency_ms)),
        *("--jitter-ms", str(args.jitter_ms)),
        *("--error-rate", str(args.error_rate)),
        *("--rate-limit-rate", str(args.rate_limit_rate)),
        *("--commit-then-fail-rate", str(args.commit_then_fail_rate)),
        *("--token-ttl-s", str(args.token_ttl_s)),
        *("--processing-time-s", str(args.processing_time_s)),
        "--lenient-duplicates",
    ]


class Timeline:
    """Timestamped lines, printed as they happen and kept for the summary."""

    def __init__(self) -> None:
        self.begun = time.monotonic()
        self.lines: list[str] = []

    def note(self, message: str) -> None:
        line = f"+{time.monotonic() - self.begun:6.1f}s  {message}"
        self.lines.append(line)
        print(f"[chaos] {line}", flush=True)


def started(ti: dict[str, Any]) -> datetime | None:
    return datetime.fromisoformat(ti["start_date"].replace("Z", "+00:00")) if ti.get("start_date") else None


def running_for(ti: dict[str, Any]) -> float:
    """Seconds since the task instance started (0 if it has no start date)."""
    start = started(ti)
    return (datetime.now(timezone.utc) - start).total_seconds() if start else 0.0


def key(ti: dict[str, Any]) -> tuple[str, int, int]:
    return ti["task_id"], ti["map_index"], ti["try_number"]


def label(ti: dict[str, Any]) -> str:
    index = f"[{ti['map_index']}]" if ti["map_index"] >= 0 else ""
    return f"{ti['task_id']}{index} (try {ti['try_number']})"


@dataclass
class Outage:
    """One process taken down (killed or frozen) and brought back at ``back_at``."""

    component: str
    back_at: float
    back: bool = False


@dataclass
class Chaos:
    """The three disruptions, stepped by each poll of the DAG run's task instances (never blocking the poll)."""

    stack: CeleryStack
    timeline: Timeline
    #: the command line: ``kill_after_s``, ``worker_down_s``, ``freeze_s``, ``triggerer_down_s``
    args: argparse.Namespace
    worker: Outage | None = None
    freeze: Outage | None = None
    triggerer: Outage | None = None
    #: (task_id, map_index, try_number) of the task whose worker was killed
    victim: tuple[str, int, int] | None = None
    victim_host: str = ""
    killed_at: datetime | None = None
    #: every task instance that was running on the killed worker
    killed: set[tuple[str, int, int]] = field(default_factory=set)
    #: the triggerer jobs seen running the sensor's trigger, in order
    triggerer_jobs: list[int] = field(default_factory=list)
    #: the triggerer job that took the sensor's trigger over after the kill
    resumed_in: int | None = None
    works_tasks_seen: set[int] = field(default_factory=set)

    def on_poll(self, tasks: list[dict[str, Any]]) -> None:
        now = time.monotonic()
        self._kill_worker(tasks, now)
        self._freeze_emulator(tasks, now)
        self._kill_triggerer(tasks, now)

    def _kill_worker(self, tasks: list[dict[str, Any]], now: float) -> None:
        if self.worker is None:
            running = [
                ti
                for ti in tasks
                if ti["task_id"] == WORKS_TASK and ti["state"] == "running" and ti["hostname"] in self.stack.workers
            ]
            self.works_tasks_seen.update(ti["map_index"] for ti in running)
            # Killed as soon as one is talking to Filed (the provider has logged), else once one has run
            # kill_after_s, or at once if no create_job_works is left to start.
            waiting = [ti for ti in tasks if ti["task_id"] == WORKS_TASK and ti["state"] not in FINISHED_OR_RUNNING]
            talking = [ti for ti in running if provider_events(task_log(self.stack, ti["dag_run_id"], *key(ti)))]
            ripe = talking or [ti for ti in running if running_for(ti) >= self.args.kill_after_s or not waiting]
            if not ripe:
                return
            ti = max(ripe, key=running_for)
            doing = provider_events(task_log(self.stack, ti["dag_run_id"], *key(ti)))
            worker = self.victim_host = ti["hostname"]
            self.stack.processes.kill(worker)
            self.victim = (ti["task_id"], ti["map_index"], ti["try_number"])
            self.killed_at = datetime.now(timezone.utc)
            self._note_killed(tasks)
            others = [label(t) for t in tasks if key(t) in self.killed and key(t) != self.victim]
            self.timeline.note(
                f"kill -9 {worker} while {label(ti)} had run {running_for(ti):.1f}s on it"
                + (f" (last logged: {doing[-1]!r})" if doing else " (nothing logged by the provider yet)")
                + (f"; also killed: {', '.join(others)}" if others else "")
            )
            self.worker = Outage(worker, now + self.args.worker_down_s)
            return
        late = self._note_killed(tasks)
        if late:
            self.timeline.note(f"also lost with {self.victim_host}: {', '.join(late)} (started just before the kill)")
        if not self.worker.back and now >= self.worker.back_at:
            self._bring_back(self.worker, "restarted")

    def _note_killed(self, tasks: list[dict[str, Any]]) -> list[str]:
        """Add the task instances that ran on the killed worker since before the kill (some show up a poll late)."""
        new = []
        for ti in tasks:
            start, kill = started(ti), self.killed_at
            lost = ti["state"] == "running" and ti["hostname"] == self.victim_host and start and kill and start <= kill
            if lost and key(ti) not in self.killed:
                self.killed.add(key(ti))
                new.append(label(ti))
        return new

    def _freeze_emulator(self, tasks: list[dict[str, Any]], now: float) -> None:
        if self.freeze is None:
            active = [ti for ti in tasks if self._live(ti)]
            if self.worker is None or not self.worker.back or not active:
                return
            self.stack.processes.signal("emulator", signal.SIGSTOP)
            self.timeline.note(
                f"SIGSTOP the Filed emulator for {self.args.freeze_s:.0f}s; active: "
                + ", ".join(label(ti) + f" {ti['state']}" for ti in active)
            )
            self.freeze = Outage("emulator", now + self.args.freeze_s)
        elif not self.freeze.back and now >= self.freeze.back_at:
            self._bring_back(self.freeze, "SIGCONT")

    def _kill_triggerer(self, tasks: list[dict[str, Any]], now: float) -> None:
        sensor = next((ti for ti in tasks if ti["task_id"] == SENSOR_TASK), None)
        job = (sensor or {}).get("triggerer_job") or {}
        if sensor is not None and sensor["state"] == "deferred" and job.get("id") not in (None, *self.triggerer_jobs):
            self.triggerer_jobs.append(job["id"])
            if self.triggerer is not None:
                self.resumed_in = job["id"]
                self.timeline.note(
                    f"{label(sensor)} still deferred, its trigger taken over by triggerer job {job['id']}"
                )
        if self.triggerer is None:
            ready = self.freeze is not None and self.freeze.back
            if not ready or sensor is None or sensor["state"] != "deferred" or not job.get("hostname"):
                return
            self.stack.processes.kill("triggerer")
            self.timeline.note(
                f"kill -9 triggerer (job {job['id']}) while {label(sensor)} was deferred in it; "
                f"down for {self.args.triggerer_down_s:.0f}s"
            )
            self.triggerer = Outage("triggerer", now + self.args.triggerer_down_s)
        elif not self.triggerer.back and now >= self.triggerer.back_at:
            self._bring_back(self.triggerer, "restarted")

    def _live(self, ti: dict[str, Any]) -> bool:
        """Whether ``ti`` is really at work now: running on a live worker, or deferred in a live triggerer."""
        if key(ti) in self.killed:
            return False
        if ti["state"] == "running":
            return ti["hostname"] in self.stack.workers and self.stack.processes[ti["hostname"]].running
        job = ti.get("triggerer_job") or {}
        return ti["state"] == "deferred" and bool(job.get("hostname")) and self.stack.processes["triggerer"].running

    def _bring_back(self, outage: Outage, how: str) -> None:
        if outage.component == "emulator":
            self.stack.processes.signal("emulator", signal.SIGCONT)
        else:
            self.stack.processes.restart(outage.component)
        outage.back = True
        self.timeline.note(f"{how} {outage.component}")

    def finish(self) -> None:
        """Bring back whatever is still down when the run has ended (it should not be)."""
        for outage in (self.worker, self.freeze, self.triggerer):
            if outage is not None and not outage.back:
                how = "SIGCONT" if outage.component == "emulator" else "restarted"
                self._bring_back(outage, f"the run ended before the outage did: {how}")

    def missed(self, outcome: RunOutcome) -> list[str]:
        """The disruptions that did not happen, or did not do what they should have."""
        problems = []
        if self.worker is None:
            seen = sorted(self.works_tasks_seen)
            problems.append(f"no worker was killed: no {WORKS_TASK} was caught running (map indexes seen: {seen})")
        if self.freeze is None:
            problems.append("the run ended before the emulator could be frozen")
        if self.triggerer is None:
            problems.append(f"{SENSOR_TASK} was never seen deferred in the triggerer: the triggerer was not killed")
        elif self.resumed_in is None:
            problems.append(f"no triggerer took the trigger of {SENSOR_TASK} over after the triggerer was killed")
        for task_id, map_index, tried in sorted(self.killed):
            final = next(
                ti for ti in outcome.task_instances if (ti["task_id"], ti["map_index"]) == (task_id, map_index)
            )
            if (final["state"], final["try_number"]) == ("success", tried):
                # it finished between the poll that saw it running and the kill: not killed after all
                self.killed.discard((task_id, map_index, tried))
                self.timeline.note(f"(after the run) {label(final)} had finished before the kill landed")
            elif final["state"] != "success":
                problems.append(f"the killed {task_id}[{map_index}] try {tried} ended {label(final)} {final['state']}")
        if self.worker is not None and not self.killed:
            problems.append("the worker was killed, but every create_job_works on it had already finished")
        for name in (*self.stack.workers, "triggerer", "emulator"):
            if not self.stack.processes[name].running:
                problems.append(f"{name} is not running at the end of the run; see {self.stack.processes[name].log}")
        return problems


def task_log(stack: CeleryStack, run_id: str, task_id: str, map_index: int, try_number: int) -> Path:
    """The log file of one try of a task instance (workers write them to the shared home)."""
    assert stack.config is not None
    run_logs = stack.config.home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}"
    return run_logs / f"task_id={task_id}" / f"map_index={map_index}" / f"attempt={try_number}.log"


def provider_events(log: Path) -> list[str]:
    """What the provider's own loggers wrote to a task log (JSON lines), in order."""
    events = []
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "airflow_provider_filed" in str(record.get("logger", "")):
                events.append(str(record.get("event", "")))
    return events


def retry_logs(stack: CeleryStack, run_id: str, killed: Iterable[tuple[str, int, int]]) -> list[str]:
    """What the provider logged in the retry of each killed task instance."""
    lines = []
    for task_id, map_index, tried in sorted(killed):
        events = provider_events(task_log(stack, run_id, task_id, map_index, tried + 1))
        lines.append(f"{task_id}[{map_index}] try {tried + 1}: " + (" | ".join(events) or "(no provider lines)"))
    return lines


def exported_ids(conf: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The clients' and the documents' externalIds as exported."""
    with Path(conf["clients_path"]).open(newline="") as handle:
        clients = {row["externalId"] for row in csv.DictReader(handle)}
    with Path(conf["documents_path"]).open(newline="") as handle:
        documents = {row["externalId"] for row in csv.DictReader(handle)}
    return clients, documents


def read_back(stack: CeleryStack) -> list[dict[str, Any]]:
    """Every job work of the stack's connection, read with the provider's client (``jobWorks``, all jobs)."""
    from airflow_provider_filed.client import FiledClient, load_config
    from airflow_provider_filed.client.documents import JOB_WORK_ARTIFACT_IDS_SELECTION

    seed = stack.emulator
    config = load_config(url=seed["url"], api_key=seed["api_key"], source_platform="airflow-provider-filed-chaos")
    with FiledClient(config) as client:
        works = client.job_works(seed["workspace_id"], seed["connection_id"], selection=JOB_WORK_ARTIFACT_IDS_SELECTION)
    return [work.model_dump(by_alias=True) for work in works]


def twice(ids: Iterable[str]) -> dict[str, int]:
    return {key: count for key, count in Counter(ids).items() if count > 1}


def check_filed(works: list[dict[str, Any]], clients: set[str], documents: set[str]) -> tuple[list[str], list[str]]:
    """(lines for the summary, failed checks) of what Filed holds against what was exported."""
    work_ids = [(w.get("work") or {}).get("externalId") for w in works]
    artifact_ids = [
        (a.get("workArtifact") or {}).get("externalId") for w in works for a in (w.get("jobWorkArtifacts") or [])
    ]
    jobs = Counter(w.get("connectionJobId") for w in works)
    work_dups, artifact_dups = twice(map(str, work_ids)), twice(map(str, artifact_ids))
    lines = [
        f"job works           {len(works):,} in {len(jobs)} connection job(s) {dict(jobs)}",
        f"work externalIds    {len(set(work_ids)):,} distinct, {len(work_dups)} held twice or more",
        f"artifacts           {len(artifact_ids):,}, {len(set(artifact_ids)):,} distinct externalIds, "
        f"{len(artifact_dups)} held twice or more",
    ]
    failed = []
    if len(works) != len(clients):
        failed.append(f"Filed holds {len(works):,} job works, expected {len(clients):,}")
    if set(work_ids) != clients:
        missing, extra = clients - set(work_ids), set(work_ids) - clients
        failed.append(f"work externalIds differ from the export: {len(missing)} missing, {len(extra)} unexpected")
    if work_dups:
        failed.append(f"duplicate works: {dict(list(work_dups.items())[:10])}")
    if len(artifact_ids) != len(documents):
        failed.append(f"Filed holds {len(artifact_ids):,} artifacts, expected {len(documents):,}")
    if set(artifact_ids) != documents:
        failed.append("artifact externalIds differ from the exported documents")
    if artifact_dups:
        failed.append(f"duplicate artifacts: {dict(list(artifact_dups.items())[:10])}")
    return lines, failed


def main(argv: list[str] | None = None) -> int:
    parser = import_arguments(__doc__, clients=3_000)
    parser.add_argument("--latency-ms", type=float, default=100, help="emulator: delay of every request")
    parser.add_argument("--jitter-ms", type=float, default=200, help="emulator: extra random delay, up to this")
    parser.add_argument("--error-rate", type=float, default=0.05, help="emulator: share of requests answered 5xx")
    parser.add_argument("--rate-limit-rate", type=float, default=0.05, help="emulator: share answered 429")
    parser.add_argument(
        "--commit-then-fail-rate", type=float, default=0.05, help="emulator: mutations applied, then failed"
    )
    parser.add_argument("--token-ttl-s", type=float, default=5, help="emulator: access token lifetime")
    parser.add_argument("--processing-time-s", type=float, default=90, help="emulator: trigger-to-done time of the job")
    parser.add_argument(
        "--kill-after-s", type=float, default=10, help="kill a worker once create_job_works ran this long"
    )
    parser.add_argument("--worker-down-s", type=float, default=5, help="how long the killed worker stays down")
    parser.add_argument("--freeze-s", type=float, default=30, help="how long the emulator stays stopped")
    parser.add_argument("--triggerer-down-s", type=float, default=10, help="how long the killed triggerer stays down")
    args = parser.parse_args(argv)

    begun = time.monotonic()
    options = StackOptions(workers=2, emulator_args=emulator_faults(args), airflow_env=AIRFLOW_ENV)
    stack = CeleryStack(options, root=ROOT)
    conf = import_files(stack, args.clients, args.docs_per_client, args.batch_size)
    clients, documents = exported_ids(conf)

    def chaos_run(stack: CeleryStack) -> list[str]:
        report = Report(stack_up_s=time.monotonic() - begun)
        chaos = Chaos(stack, report.timeline, args)
        outcome = stack.run_dag(DAG_ID, conf, args.timeout_s, on_poll=chaos.on_poll, poll_s=0.5)
        chaos.finish()  # (on an error or Ctrl-C the stack's stop wakes a frozen emulator and stops everything)
        report.timeline.note(f"the run ended {outcome.state} after {outcome.seconds:.0f}s")
        failed = [] if outcome.state == "success" else [f"the run ended {outcome.state!r}, not 'success'"]
        failed += chaos.missed(outcome)
        reading = time.monotonic()
        try:
            report.filed, filed_failed = check_filed(read_back(stack), clients, documents)
            failed += filed_failed
        except Exception as error:  # a client error is a failed check, reported with the rest
            failed.append(f"reading Filed back failed: {type(error).__name__}: {error}")
        report.read_s = time.monotonic() - reading
        report.retries = retry_logs(stack, outcome.run_id, chaos.killed)
        with contextlib.suppress(httpx.HTTPError):
            report.stats = stack.emulator_stats()
        report.print(outcome, begun)
        return failed

    return run_scenario(stack, chaos_run, begun)


@dataclass
class Report:
    """What the summary prints besides the run itself."""

    stack_up_s: float
    timeline: Timeline = field(default_factory=Timeline)
    retries: list[str] = field(default_factory=list)
    filed: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    read_s: float = 0.0

    def print(self, outcome: RunOutcome, begun: float) -> None:
        print(f"\n=== chaos: {DAG_ID} on CeleryExecutor, run {outcome.run_id} ===")
        print(f"  run state           {outcome.state} in {outcome.seconds:.0f}s")
        retried = [ti for ti in outcome.task_instances if ti["try_number"] > 1]
        print(f"  task instances      {len(outcome.task_instances)}, {len(retried)} of them retried:")
        for ti in outcome.task_instances:
            if not ti["task_id"].startswith("import_batch.") or ti["try_number"] > 1:
                print(f"    {label(ti):<44} {ti['state']:<8} on {ti['hostname']}")
        print("  events:")
        for line in self.timeline.lines:
            print(f"    {line}")
        print("  retries of the killed tasks, as the provider logged them:")
        for line in self.retries:
            print(f"    {line}")
        print("  Filed, read back with FiledClient (jobWorks of the connection, every job):")
        for line in self.filed:
            print(f"    {line}")
        statuses: Counter[str] = Counter()
        for by_status in self.stats.get("requests", {}).values():
            statuses.update(by_status)
        print(
            f"  faults injected     {self.stats.get('faults_injected')} over {self.stats.get('total_requests', 0):,} "
            f"API requests; answers by status {dict(sorted(statuses.items()))} (emulator's counters, information only)"
        )
        print(
            f"  durations           stack up {self.stack_up_s:.0f}s, DAG run {outcome.seconds:.0f}s, "
            f"read-back {self.read_s:.1f}s, total {time.monotonic() - begun:.0f}s"
        )


if __name__ == "__main__":
    sys.exit(main())
