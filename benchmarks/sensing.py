"""Waiting for a 10,000-work import: one sensor poke (requests, memory), and the deferrable trigger's event loop.

* :func:`poke` — ``JobWorksSensor.poke`` in a fresh process, twice: cold (a new hook and client: it logs in,
  as every reschedule-mode try does) and warm (the token cached: poke mode). ``VmHWM`` is reset before each
  poke, so its growth is the poke's own.
* :func:`trigger_wait` — the real ``JobWorksTrigger.run()`` on an asyncio loop next to a copy of the
  triggerer's watchdog (``airflow/jobs/triggerer_job_runner.py`` ``block_watchdog``: wake every 100 ms, warn
  "Triggerer's async thread was blocked" when a wake-up comes later than
  ``[triggerer] blocked_main_thread_warning_threshold``, 0.2 s), which also records the CPU the loop's thread
  and the whole process used during each interval: a late wake-up with little CPU of either was the machine
  (another process on the core), not the trigger; and every garbage collection. Another process imports
  and triggers the job just before (its works finish 12 s later), so the trigger polls works in progress,
  then sees them finish. A second pass runs the loop in asyncio debug mode (what the warning recommends:
  ``PYTHONASYNCIODEBUG=1``) and counts callbacks slower than 100 ms.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import asdict
from typing import Any

from benchmarks.harness import (
    CONN_ID,
    EmulatorRef,
    child_env,
    measure,
    run_child,
)
from benchmarks.workload import clients, documents

WATCHDOG_INTERVAL_S = 0.1


def import_job(em: EmulatorRef, n: int, name: str) -> str:
    """``n`` clients x 2 documents into a new connection job, with the provider's sync client; not triggered."""
    from airflow_provider_filed.client import (
        ArtifactsImport,
        ConnectionJobTarget,
        FiledClient,
        JobWorksImport,
        load_config,
    )
    from airflow_provider_filed.client.inputs import parse_artifacts, parse_job_works

    rows = clients(n, name)
    with FiledClient(load_config(url=em.url, api_key=em.api_key, max_concurrency=8)) as client:
        job_id = client.create_connection_job(em.connection_id, name).id
        target = ConnectionJobTarget(
            workspace_id=em.workspace_id, connection_id=em.connection_id, connection_job_id=job_id
        )
        works = JobWorksImport(client, target).run(parse_job_works(rows), existing="none")
        ArtifactsImport(client, target).run(
            parse_artifacts(documents(rows)), job_work_ids=works.job_work_ids, fresh=True
        )
    return job_id


def trigger_job(em: EmulatorRef, job_id: str) -> None:
    from airflow_provider_filed.client import FiledClient, load_config

    with FiledClient(load_config(url=em.url, api_key=em.api_key)) as client:
        client.trigger_connection_job(job_id)


def triggered_job(emulator: dict[str, Any], n: int, processing_time_s: float, wait: bool) -> str:
    """A triggered job of ``n`` works whose works finish ``processing_time_s`` after the trigger; with ``wait``,
    once they all have (the sensor's last poke)."""
    em = EmulatorRef.of(emulator)
    controls = em.handle()
    controls.configure(processing_time_s=processing_time_s)
    job_id = import_job(em, n, f"job-{time.time_ns()}")
    trigger_job(em, job_id)
    deadline = time.monotonic() + 120
    while wait and controls.stats()["jobs"].get(job_id) != "completed" and time.monotonic() < deadline:
        time.sleep(0.5)
    controls.close()
    return job_id


# ---- the sensor's poke ---------------------------------------------------------------------------------


def poke(emulator: dict[str, Any], job_id: str, include_artifacts: bool, expected: int | None) -> list[dict[str, Any]]:
    """A cold poke, then a warm one, of the same ``JobWorksSensor``; each checked to say "done" over every work."""
    from airflow_provider_filed.sensors.job_works import JobWorksSensor

    em = EmulatorRef.of(emulator)
    sensor = JobWorksSensor(
        task_id="wait_for_job_works",
        connection_job_id=job_id,
        include_artifacts=include_artifacts,
        expected_works=expected,
        filed_conn_id=CONN_ID,
    )
    sensor._deadline = time.time() + 3600  # what execute() sets before its first poke
    samples = []
    for _ in ("cold", "warm"):
        gc.collect()
        with measure(em) as sample:
            value = sensor.poke({})
        summary = value.xcom_value or {}
        sample.extra.update(
            done=value.is_done,
            total=summary.get("total"),
            artifacts=sum(summary.get("artifacts_by_status", {}).values()),
        )
        samples.append(asdict(sample))
    return samples


def run_pokes(emulator: EmulatorRef, n: int, *, every_variant: bool = True) -> dict[str, Any]:
    """Each variant in its own process: what the example DAG's sensor passes, and the standalone default."""
    controls = emulator.handle()
    controls.reset()
    controls.close()
    job_id = run_child(
        "sensing:triggered_job", env=child_env(emulator), emulator=emulator, n=n, processing_time_s=0.5, wait=True
    )
    variants = {
        "include_artifacts, expected_works": (True, n),
        "no artifacts, expected_works": (False, n),
        "include_artifacts, no expected_works": (True, None),
    }
    if not every_variant:
        variants = dict(list(variants.items())[:1])
    result = {}
    for label, (artifacts, expected) in variants.items():
        samples = run_child(
            "sensing:poke",
            env=child_env(emulator),
            emulator=emulator,
            job_id=job_id,
            include_artifacts=artifacts,
            expected=expected,
        )
        result[label] = {"cold": samples[0], "warm": samples[1]}
    return {"works": n, "variants": result}


# ---- the deferrable trigger on a watched event loop -----------------------------------------------------


def _where(frame: Any) -> str:
    return f"{frame.filename.split('site-packages/')[-1].split('/work/main/')[-1]}:{frame.lineno}({frame.name})"


class LoopSampler:
    """Samples the event loop's thread every 2 ms: time it was busy (not waiting in ``select``), by the
    innermost provider function on its stack (else the innermost function): what runs on the loop."""

    INTERVAL_S = 0.002

    def __init__(self) -> None:
        import threading

        self._thread_id = threading.get_ident()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._run, daemon=True)
        self.counts: dict[str, int] = {}
        self.samples = 0

    def __enter__(self) -> LoopSampler:
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sampler.join()

    def _run(self) -> None:
        import sys
        import traceback

        while not self._stop.wait(self.INTERVAL_S):
            frame = sys._current_frames().get(self._thread_id)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            if (
                stack[-1].name in ("select", "poll", "_run_once")
                and "selectors" in stack[-1].filename + stack[-2].filename
            ):
                continue
            mine = [f for f in stack if "airflow_provider_filed" in f.filename] or stack
            key = " > ".join(dict.fromkeys(_where(f) for f in (mine[-1], stack[-1])))
            self.counts[key] = self.counts.get(key, 0) + 1
            self.samples += 1

    @property
    def busy_s(self) -> float:
        return self.samples * self.INTERVAL_S

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        return [(k, v * self.INTERVAL_S) for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1])[:n]]


def _clock_garbage_collections() -> list[tuple[float, int, bool]]:
    """Every garbage collection from now on: (seconds, generation, whether on the loop's thread). A collection
    holds the GIL throughout: on the loop's thread it blocks the loop, on a worker it makes the loop wait."""
    import threading

    loop_thread = threading.get_ident()
    started: list[float] = []
    collections: list[tuple[float, int, bool]] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            collections.append(
                (time.perf_counter() - started.pop(), info["generation"], threading.get_ident() == loop_thread)
            )

    gc.callbacks.append(callback)
    return collections


def _clock_worker_threads() -> dict[str, list[tuple[float, int]]]:
    """CPU of what the async client hands to worker threads (wrapped from outside, the provider unedited):
    parsing each response (``interpret_response``: ``json.loads`` of the body) and each step of the operation
    (``Stepper.answer``: tallying the rows). Both hold the GIL while they run, so the loop waits meanwhile."""
    import functools

    from airflow_provider_filed.client import async_client, transport

    clocked: dict[str, list[tuple[float, int]]] = {"parse": [], "step": []}
    interpret, answer = transport.interpret_response, transport.Stepper.answer

    @functools.wraps(interpret)
    def parse(request: Any, status_code: int, headers: Any, body: bytes) -> Any:
        started = time.thread_time()
        try:
            return interpret(request, status_code, headers, body)
        finally:
            clocked["parse"].append((time.thread_time() - started, len(body)))

    @functools.wraps(answer)
    def step(self: Any, reply: Any) -> None:
        started = time.thread_time()
        try:
            answer(self, reply)
        finally:
            clocked["step"].append((time.thread_time() - started, 0))

    transport.interpret_response = parse
    if hasattr(async_client, "interpret_response"):  # imported by name in earlier versions of the client
        async_client.interpret_response = parse
    transport.Stepper.answer = step  # type: ignore[method-assign,assignment]
    return clocked


def trigger_wait(emulator: dict[str, Any], job_id: str, n: int, debug: bool) -> dict[str, Any]:
    """Run ``JobWorksTrigger`` (2 s between polls) on the triggered job until its event; only the trigger's
    modules are loaded in this process, as in a triggerer."""
    from airflow.configuration import conf

    from airflow_provider_filed.triggers.job_works import JobWorksTrigger

    em = EmulatorRef.of(emulator)
    threshold = conf.getfloat("triggerer", "blocked_main_thread_warning_threshold", fallback=0.2)
    controls = em.handle()
    trigger = JobWorksTrigger(
        filed_conn_id=CONN_ID,
        workspace_id=em.workspace_id,
        connection_id=em.connection_id,
        end_time=time.time() + 300,
        connection_job_id=job_id,
        include_artifacts=True,
        expected_works=n,
        poll_interval=2.0,
    )
    slow: list[tuple[float, str]] = []

    class SlowCallbacks(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "took" in record.getMessage() and isinstance(record.args, tuple) and len(record.args) == 2:
                handle, seconds = record.args  # asyncio: "Executing %s took %.3f seconds"
                slow.append((float(str(seconds)), str(handle)[:300]))

    logging.getLogger("asyncio").addHandler(SlowCallbacks())
    wakeups: list[tuple[float, float, float]] = []  # wall, the loop thread's CPU, the process's CPU

    async def main() -> dict[str, Any]:
        done = asyncio.Event()

        async def watchdog() -> None:  # the triggerer's block_watchdog
            while not done.is_set():
                last = time.monotonic(), time.thread_time(), time.process_time()
                await asyncio.sleep(WATCHDOG_INTERVAL_S)
                now = time.monotonic(), time.thread_time(), time.process_time()
                wakeups.append((now[0] - last[0], now[1] - last[1], now[2] - last[2]))

        dog = asyncio.create_task(watchdog())
        events = [event async for event in trigger.run()]
        done.set()
        await dog
        payload: dict[str, Any] = events[0].payload
        return payload

    import sys

    worker = _clock_worker_threads()
    modules = set(sys.modules)
    collections = _clock_garbage_collections()
    sampler = LoopSampler()
    with measure(em, trace=False) as sample, sampler:
        loop = asyncio.new_event_loop()
        loop.set_debug(debug)
        loop.slow_callback_duration = WATCHDOG_INTERVAL_S
        try:
            payload = loop.run_until_complete(main())
        finally:
            loop.close()
    controls.close()
    blocked = [w for w in wakeups if w[0] > threshold]
    longest = max(wakeups, default=(WATCHDOG_INTERVAL_S, 0.0, 0.0))
    summary = payload.get("summary") or {}
    sample.extra.update(
        status=payload.get("status"),
        total=summary.get("total"),
        artifacts=sum((summary.get("artifacts_by_status") or {}).values()),
        threshold_s=threshold,
        wakeups=len(wakeups),
        blocked_warnings=len(blocked),
        longest_stall_s=longest[0] - WATCHDOG_INTERVAL_S,
        longest_stall_loop_cpu_s=longest[1],
        longest_stall_process_cpu_s=longest[2],
        blocked=[[round(x, 4) for x in w] for w in blocked],
        slow_callbacks=len(slow),
        slowest_callback_s=max((seconds for seconds, _ in slow), default=0.0),
        slowest_callbacks=sorted(slow, reverse=True)[:3],
        loop_busy_s=sampler.busy_s,
        gc_collections=len(collections),
        gc_longest=max(collections, default=(0.0, 0, False)),
        gc_over_100ms=[c for c in collections if c[0] > 0.1],
        worker_parses=len(worker["parse"]),
        worker_parse_max_s=max((c for c, _ in worker["parse"]), default=0.0),
        worker_parse_total_s=sum(c for c, _ in worker["parse"]),
        worker_parse_max_bytes=max((b for _, b in worker["parse"]), default=0),
        worker_steps=len(worker["step"]),
        worker_step_max_s=max((c for c, _ in worker["step"]), default=0.0),
        worker_step_total_s=sum(c for c, _ in worker["step"]),
        imported_during_wait=sorted({m.split(".")[0] for m in set(sys.modules) - modules if not m.startswith("_")}),
        modules_imported_during_wait=len(set(sys.modules) - modules),
        loop_busy_by_function=sampler.top(),
        debug=debug,
    )
    return asdict(sample)


def run_trigger(emulator: EmulatorRef, n: int, *, debug_pass: bool = True) -> dict[str, Any]:
    controls = emulator.handle()
    controls.reset()
    controls.close()
    passes = {}
    env = child_env(emulator)
    for debug in (False, True) if debug_pass else (False,):
        # Works finish 12 s after the trigger: the trigger's process starts in ~5 s, then polls them in progress.
        job_id = run_child("sensing:triggered_job", env=env, emulator=emulator, n=n, processing_time_s=12, wait=False)
        passes["debug" if debug else "plain"] = run_child(
            "sensing:trigger_wait", env=env, emulator=emulator, job_id=job_id, n=n, debug=debug
        )
    return {"works": n, "passes": passes}
