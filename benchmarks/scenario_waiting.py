"""Scenario 4: worker slots held while 50 ``JobWorksSensor`` tasks wait — poke vs reschedule vs deferrable.

No scheduler runs. A *worker slot* is modelled as "a thread inside ``sensor.execute()``" (in Airflow
each running task instance occupies one executor slot for exactly that long, plus its task-process
start-up). The emulator is switched to ``processing_time_s=-1`` so the job's works never finish, and
every mode waits ``window`` seconds (time-compressed: ``poke_interval`` of ``interval`` seconds instead
of the sensor's default 60 s):

* **poke** — 50 sensors (``mode="poke"``, ``timeout=window``), one thread each, all run
  ``execute()`` until it raises ``AirflowSensorTimeout``; slot occupancy is sampled every 10 ms.
* **reschedule** — 50 sensors (``mode="reschedule"``); each try is a *new* sensor object (so a new
  hook, connection lookup, client and login — like a new task process), run in a thread until
  ``execute()`` raises ``AirflowRescheduleException``; the next try starts at its ``reschedule_date``.
  Average slots held = slot-seconds ÷ window, then scaled to a 60 s poke interval by
  ``50 x try duration ÷ 60 s``; a real task try also pays process start-up + DAG parse (scenario 3).
* **deferrable** — 50 sensors (``deferrable=True``): ``execute()`` with a minimal context must raise
  ``TaskDeferred`` at once, before any HTTP request; the 50 ``JobWorksTrigger`` s it hands over are then
  run for ``window`` seconds in ONE asyncio loop (a triggerer), which must end each with a ``timeout``
  event. Slots held after deferral: 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from benchmarks.common import Emulator, ScenarioReport, fmt_s, markdown_table, measure, median
from benchmarks.scenario_poke import CONN_ID, conn_env

SENSORS = 50
DEFAULT_POKE_INTERVAL_S = 60.0


class FakeTaskInstance:
    """What ``JobWorksSensor.execute`` and ``BaseSensorOperator.execute`` touch on ``context["ti"]``."""

    def __init__(self, first_try: datetime | None = None) -> None:
        self.first_try = first_try
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value

    def get_first_reschedule_date(self, context: Any) -> datetime | None:
        return self.first_try


class SlotMeter:
    """Counts threads inside ``execute()`` and integrates that count over time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.held = 0
        self.peak = 0
        self.slot_seconds = 0.0
        self.wait_seconds = 0.0
        self._since = time.perf_counter()
        self.tries: list[float] = []

    def _advance(self) -> None:
        now = time.perf_counter()
        self.slot_seconds += self.held * (now - self._since)
        self._since = now

    def enter(self) -> float:
        with self._lock:
            self._advance()
            self.held += 1
            self.peak = max(self.peak, self.held)
        return time.perf_counter()

    def leave(self, started: float) -> None:
        with self._lock:
            self._advance()
            self.held -= 1
            self.tries.append(time.perf_counter() - started)

    def waited(self, seconds: float) -> None:
        """One sensor's whole wait, from its first try to the end of its waiting."""
        with self._lock:
            self.wait_seconds += seconds

    def close(self) -> None:
        with self._lock:
            self._advance()

    def average_slots(self, sensors: int) -> float:
        """Slot-seconds per second of waiting, for ``sensors`` sensors waiting the same time on average."""
        return sensors * self.slot_seconds / self.wait_seconds if self.wait_seconds else float("nan")


@dataclass
class ModeResult:
    mode: str
    window_s: float
    slot_seconds: float
    average_slots: float
    peak_slots: int
    tries: list[float] = field(default_factory=list)
    requests: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    outcome: str = ""


def _context(ti: FakeTaskInstance) -> Any:
    return {"ti": ti}


def _execute(sensor: Any, ti: FakeTaskInstance) -> Any:
    """``sensor.execute(context)`` as the Task Runner calls it (with the executor-safeguard sentinel)."""
    from airflow.sdk.bases.operator import ExecutorSafeguard

    sentinel = {f"{type(sensor).__name__}__sentinel": ExecutorSafeguard.sentinel_value}
    return sensor.execute(_context(ti), **sentinel)


def prepare_job(emulator: Emulator, works: int) -> str:
    """A triggered job whose works never finish (``processing_time_s=-1``)."""
    from airflow_provider_filed.client import ConnectionJobTarget, FiledClient, JobWorksImport, load_config
    from airflow_provider_filed.client.inputs import parse_job_works
    from benchmarks.scenario_import import client_rows

    emulator.reset()
    emulator.configure(processing_time_s=-1)
    with FiledClient(load_config(url=emulator.url, api_key=emulator.api_key)) as client:
        job_id = client.create_connection_job(emulator.connection_id, "bench waiting").id
        target = ConnectionJobTarget(
            workspace_id=emulator.workspace_id, connection_id=emulator.connection_id, connection_job_id=job_id
        )
        JobWorksImport(client, target).run(parse_job_works(client_rows("wait", works)))
        client.trigger_connection_job(job_id)
    return job_id


def _sensor(job_id: str, index: int, **kwargs: Any) -> Any:
    from airflow_provider_filed.sensors.job_works import JobWorksSensor

    return JobWorksSensor(task_id=f"wait_{index}", connection_job_id=job_id, filed_conn_id=CONN_ID, **kwargs)


def run_poke_mode(emulator: Emulator, job_id: str, window: float, interval: float) -> ModeResult:
    from airflow.sdk.exceptions import AirflowSensorTimeout

    meter = SlotMeter()
    outcomes: list[str] = []
    sensors = [_sensor(job_id, i, mode="poke", poke_interval=interval, timeout=window) for i in range(SENSORS)]

    def one(index: int) -> None:
        time.sleep(interval * index / SENSORS)  # spread the starts over one interval, as a scheduler would
        started = meter.enter()
        try:
            _execute(sensors[index], FakeTaskInstance())
            outcomes.append("succeeded?!")
        except AirflowSensorTimeout:
            outcomes.append("timeout")
        except Exception as exc:
            outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            meter.leave(started)
            meter.waited(time.perf_counter() - started)

    with measure(emulator) as m:
        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(SENSORS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        meter.close()
    return ModeResult(
        mode="poke",
        window_s=m.wall_s,
        slot_seconds=meter.slot_seconds,
        average_slots=meter.average_slots(SENSORS),
        peak_slots=meter.peak,
        tries=meter.tries,
        requests=m.requests,
        wall_s=m.wall_s,
        cpu_s=m.cpu_s,
        outcome=_summarise(outcomes),
    )


def isolated_reschedule_tries(job_id: str, tries: int, interval: float) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``tries`` reschedule-mode tries run one at a time (no contention between them)."""
    from airflow.sdk.exceptions import AirflowRescheduleException

    walls, cpus = [], []
    for i in range(tries):
        sensor = _sensor(job_id, 1000 + i, mode="reschedule", poke_interval=interval, timeout=3600)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        with contextlib.suppress(AirflowRescheduleException):
            _execute(sensor, FakeTaskInstance())
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    return walls, cpus


def run_reschedule_mode(emulator: Emulator, job_id: str, window: float, interval: float) -> ModeResult:
    from airflow.sdk.exceptions import AirflowRescheduleException

    meter = SlotMeter()
    outcomes: list[str] = []
    deadline = time.perf_counter() + window  # set again when the threads start

    def one(index: int) -> None:
        time.sleep(interval * index / SENSORS)
        first_try: datetime | None = None
        waiting_since = time.perf_counter()
        try:
            wait_in_tries(index, first_try)
        finally:
            meter.waited(time.perf_counter() - waiting_since)

    def wait_in_tries(index: int, first_try: datetime | None) -> None:
        while time.perf_counter() < deadline:
            sensor = _sensor(job_id, index, mode="reschedule", poke_interval=interval, timeout=10 * window)
            ti = FakeTaskInstance(first_try)
            started = meter.enter()
            try:
                first_try = first_try or datetime.now(timezone.utc)
                _execute(sensor, ti)
                outcomes.append("succeeded?!")
                return
            except AirflowRescheduleException as exc:
                outcomes.append("rescheduled")
                wake = exc.reschedule_date
            except Exception as exc:
                outcomes.append(f"{type(exc).__name__}: {exc}")
                return
            finally:
                meter.leave(started)
            pause = max(0.0, (wake - datetime.now(timezone.utc)).total_seconds())
            time.sleep(min(pause, max(0.0, deadline - time.perf_counter())))

    with measure(emulator) as m:
        deadline = time.perf_counter() + window
        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(SENSORS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        meter.close()
    return ModeResult(
        mode="reschedule",
        window_s=m.wall_s,
        slot_seconds=meter.slot_seconds,
        average_slots=meter.average_slots(SENSORS),
        peak_slots=meter.peak,
        tries=meter.tries,
        requests=m.requests,
        wall_s=m.wall_s,
        cpu_s=m.cpu_s,
        outcome=_summarise(outcomes),
    )


def run_deferrable_mode(emulator: Emulator, job_id: str, window: float, interval: float) -> tuple[ModeResult, Any]:
    from airflow.sdk.exceptions import TaskDeferred

    meter = SlotMeter()
    triggers: list[Any] = []
    outcomes: list[str] = []
    with measure(emulator) as deferral:
        for i in range(SENSORS):
            sensor = _sensor(job_id, i, deferrable=True, poke_interval=interval, timeout=window)
            started = meter.enter()
            try:
                _execute(sensor, FakeTaskInstance())
                outcomes.append("returned without deferring?!")
            except TaskDeferred as deferred:
                triggers.append(deferred.trigger)
                outcomes.append("deferred")
            finally:
                meter.leave(started)
        meter.close()
    held_after = meter.held
    with measure(emulator) as triggerer:
        events = asyncio.run(_run_triggers(triggers))
    meter.wait_seconds = SENSORS * (deferral.wall_s / SENSORS + triggerer.wall_s)
    statuses = [e.payload.get("status") if isinstance(e.payload, dict) else repr(e) for e in events]
    result = ModeResult(
        mode="deferrable",
        window_s=triggerer.wall_s,
        slot_seconds=meter.slot_seconds,
        average_slots=meter.average_slots(SENSORS),
        peak_slots=meter.peak,
        tries=meter.tries,
        requests=deferral.requests,
        wall_s=deferral.wall_s,
        cpu_s=deferral.cpu_s,
        outcome=_summarise(outcomes),
    )
    return result, {
        "held_after_deferral": held_after,
        "triggers": len(triggers),
        "trigger_events": _summarise([str(s) for s in statuses]),
        "triggerer_wall_s": triggerer.wall_s,
        "triggerer_cpu_s": triggerer.cpu_s,
        "triggerer_requests": triggerer.requests,
        "triggerer_requests_by_field": triggerer.requests_by_field,
    }


async def _run_triggers(triggers: list[Any]) -> list[Any]:
    async def first_event(trigger: Any) -> Any:
        async for event in trigger.run():
            return event
        return None

    return list(await asyncio.gather(*(first_event(t) for t in triggers)))


def _summarise(outcomes: list[str]) -> str:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    return ", ".join(f"{n}x {o}" for o, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def run(emulator: Emulator, *, works: int, window: float, interval: float, startup_s: float | None) -> ScenarioReport:
    logging.getLogger("airflow.task").setLevel(logging.ERROR)
    os.environ.update(conn_env(emulator))
    job_id = prepare_job(emulator, works)
    try:
        alone_walls, alone_cpus = isolated_reschedule_tries(job_id, 5, interval)
        poke = run_poke_mode(emulator, job_id, window, interval)
        reschedule = run_reschedule_mode(emulator, job_id, window, interval)
        deferrable, triggerer = run_deferrable_mode(emulator, job_id, window, interval)
    finally:
        emulator.reset()
    try_s = median(alone_walls)
    at_default = SENSORS * try_s / DEFAULT_POKE_INTERVAL_S
    with_startup = SENSORS * (try_s + startup_s) / DEFAULT_POKE_INTERVAL_S if startup_s else None
    rows = [
        [
            "poke",
            f"{poke.average_slots:.1f}",
            str(poke.peak_slots),
            f"{len(poke.tries)} execute() calls, each held for its whole wait (median {fmt_s(median(poke.tries))})",
            str(poke.requests),
            f"{SENSORS}",
            poke.outcome,
        ],
        [
            "reschedule",
            f"{reschedule.average_slots:.2f}",
            str(reschedule.peak_slots),
            f"{len(reschedule.tries)} tries (new sensor, hook, connection, client, login, one poke): median "
            f"{fmt_s(median(reschedule.tries))} under this test's load, {fmt_s(try_s)} alone",
            str(reschedule.requests),
            f"{at_default:.2f}" + (f" ({with_startup:.1f} with task start-up)" if with_startup else ""),
            reschedule.outcome,
        ],
        [
            "deferrable",
            f"{deferrable.average_slots:.4f} (0 after deferral)",
            str(deferrable.peak_slots),
            f"{len(deferrable.tries)} execute() calls until TaskDeferred, median {fmt_s(median(deferrable.tries))}",
            str(deferrable.requests),
            "0",
            deferrable.outcome,
        ],
    ]
    table = markdown_table(
        [
            "mode",
            f"avg worker slots held (measured, {interval:g} s interval)",
            "peak slots",
            "what held them",
            "HTTP requests (sensors)",
            f"avg slots at a {DEFAULT_POKE_INTERVAL_S:g} s poke interval",
            "outcome",
        ],
        rows,
    )
    notes = [
        f"Method: {SENSORS} `JobWorksSensor`s against one triggered connection job of {works:,} works that never "
        f"finish (emulator `processing_time_s=-1`), for {window:g} s with poke_interval {interval:g} s "
        "(time-compressed; starts spread over one interval). A worker slot = a thread inside `execute()` "
        "(called as the Task Runner calls it, with a minimal fake context); average slots = slot-seconds ÷ "
        "seconds of waiting x 50. No scheduler: the reschedule loop re-runs a fresh sensor at the "
        "`reschedule_date` its previous try raised.",
        f"Reschedule, alone: a try takes {fmt_s(try_s)} wall / {median(alone_cpus) * 1000:.0f} ms CPU (median of "
        f"{len(alone_walls)}), so at the default 60 s interval {SENSORS} sensors hold {SENSORS} x {fmt_s(try_s)} ÷ 60 s "
        f"= {at_default:.2f} slots on average"
        + (
            f"; a real try also starts a task process and parses the DAG (≈ {fmt_s(startup_s)}: `import airflow.sdk` "
            f"+ provider modules, scenario 3), ≈ {with_startup:.1f} slots."
            if startup_s and with_startup is not None
            else "."
        )
        + f" The measured {reschedule.average_slots:.1f} slots are for the compressed {interval:g} s interval "
        f"(≈ {SENSORS} x try ÷ {interval:g} s); there all {SENSORS} sensors' tries share one Python process "
        f"(GIL, 2 cores) and queue behind each other, so a try took {fmt_s(median(reschedule.tries))} instead of "
        f"{fmt_s(try_s)}.",
        f"Deferrable: {triggerer['triggers']} sensors raised `TaskDeferred` with {deferrable.requests} HTTP requests "
        f"(the sensor only builds the trigger); slots still held after deferral: {triggerer['held_after_deferral']}. "
        f"The {triggerer['triggers']} triggers then waited {fmt_s(triggerer['triggerer_wall_s'])} together in one "
        f"asyncio loop (the triggerer's job, not a worker's): {triggerer['triggerer_requests']} requests, "
        f"{triggerer['triggerer_cpu_s'] * 1000:.0f} ms CPU, events: {triggerer['trigger_events']}.",
    ]
    targets = [
        (
            "zero worker slots held by deferrable sensors",
            triggerer["held_after_deferral"] == 0
            and deferrable.outcome == f"{SENSORS}x deferred"
            and deferrable.requests == 0,
            f"{deferrable.outcome}; each execute() gave its slot back in median {fmt_s(median(deferrable.tries))} "
            f"with {deferrable.requests} requests; 0 slots held while waiting.",
        )
    ]
    return ScenarioReport(
        title=f"4. Waiting: worker slots held by {SENSORS} sensors",
        table=table,
        notes=notes,
        targets=targets,
        data={
            "works": works,
            "window_s": window,
            "interval_s": interval,
            "poke": _mode_dict(poke),
            "reschedule": _mode_dict(reschedule),
            "reschedule_alone_walls_s": alone_walls,
            "reschedule_alone_cpus_s": alone_cpus,
            "deferrable": _mode_dict(deferrable),
            "triggerer": triggerer,
            "reschedule_slots_at_60s": at_default,
            "reschedule_slots_at_60s_with_startup": with_startup,
        },
    )


def _mode_dict(result: ModeResult) -> dict[str, Any]:
    return {
        "average_slots": result.average_slots,
        "peak_slots": result.peak_slots,
        "tries": len(result.tries),
        "median_try_s": median(result.tries),
        "requests": result.requests,
        "outcome": result.outcome,
        "window_s": result.window_s,
    }
