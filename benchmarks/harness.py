"""The one harness every benchmark uses: the emulator in its own process, fresh child processes, measurements.

* :func:`emulator_process` starts the stock ``filed-emulator`` CLI (``python -m airflow_provider_filed.emulator.cli``)
  and yields an :class:`EmulatorRef`: its seeded ids, its pid (its CPU is read from ``/proc``) and its
  ``/_emulator/*`` :class:`EmulatorControls`.
* :func:`run_child` runs ``benchmarks.<module>:<function>(**kwargs)`` in a fresh Python process and returns its
  JSON result, so that every peak RSS is one process's own and no measurement pays another's imports.
* :func:`measure` wraps one measured block in such a child: wall (``perf_counter``), CPU of this process
  (``process_time``, all threads), requests the emulator answered (``/_emulator/stats``, before and after,
  outside the clock), the emulator's CPU, this process's peak RSS (``VmHWM``, reset at the start), and a
  trace of every HTTP request sent through httpx, from which :func:`critical_path` counts the round trips
  that really ran one after another.
"""

from __future__ import annotations

import json
import os
import platform
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_filed.emulator.controls import EmulatorControls

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / ".out"
API_KEY = "bench-api-key-0123456789abcdef"
CONN_ID = "filed_default"
STARTUP_TIMEOUT_S = 30.0


# ---- the emulator, in its own process ----------------------------------------------------------------


@dataclass(frozen=True)
class EmulatorRef:
    """What any process needs to use a running emulator: its description line, its pid and its latency."""

    url: str
    base_url: str
    api_key: str
    workspace_id: str
    workspace_slug: str
    connection_id: str
    pid: int
    latency_ms: float

    @classmethod
    def of(cls, value: EmulatorRef | dict[str, Any]) -> EmulatorRef:
        return value if isinstance(value, EmulatorRef) else cls(**value)

    def handle(self) -> EmulatorControls:
        """The ``/_emulator/*`` controls (stats, configure, reset) of this emulator."""
        from airflow_provider_filed.emulator.controls import EmulatorControls

        return EmulatorControls(self.base_url, timeout_s=120)

    def cpu_seconds(self) -> float:
        """User + system CPU of the emulator process so far (``/proc/<pid>/stat``, 10 ms resolution)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def connection_json(self, **extra: Any) -> str:
        """``AIRFLOW_CONN_FILED_DEFAULT`` pointing at this emulator."""
        return json.dumps(
            {
                "conn_type": "filed",
                "host": self.url,
                "password": self.api_key,
                "extra": {
                    "workspace_id": self.workspace_id,
                    "connection_id": self.connection_id,
                    "workspace_slug": self.workspace_slug,
                    "source_platform": "airflow-provider-filed-bench",
                    **extra,
                },
            }
        )


@contextmanager
def emulator_process(latency_ms: float, *extra_args: str) -> Iterator[EmulatorRef]:
    """Start ``filed-emulator`` with ``latency_ms`` per request; stop it (by its pid) on exit."""
    command = [sys.executable, "-m", "airflow_provider_filed.emulator.cli", "--port", "0"]
    command += ["--latency-ms", str(latency_ms), "--api-key", API_KEY, *extra_args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT_S)
        line = process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the emulator did not start (exit code {process.poll()})")
        info = json.loads(line)
        keys = ("url", "base_url", "api_key", "workspace_id", "workspace_slug", "connection_id")
        yield EmulatorRef(**{k: info[k] for k in keys}, pid=process.pid, latency_ms=latency_ms)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- fresh child processes ---------------------------------------------------------------------------


def child_env(
    emulator: EmulatorRef | None = None,
    airflow_home: Path | None = None,
    conn_extra: dict[str, Any] | None = None,
    **extra: str,
) -> dict[str, str]:
    """The environment of a child: quiet Airflow in a private home, ``filed_default`` on the emulator (with
    ``conn_extra`` among its extras)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    home = airflow_home or OUT / "airflow-home"
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if emulator is not None:
        env[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = emulator.connection_json(**(conn_extra or {}))
    env.update(extra)
    return env


def run_child(target: str, timeout: float = 900, env: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """``benchmarks.<module>:<function>(**kwargs)`` in a fresh process (see ``benchmarks/child.py``); its JSON result."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", target],
        input=json.dumps(kwargs, default=_jsonable),
        capture_output=True,
        text=True,
        env=env or child_env(),
        cwd=REPO,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"child {target} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(lines[-1])["result"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, EmulatorRef):
        return asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def run_process(
    command: Sequence[str], *, env: dict[str, str], timeout: float, log: Path
) -> tuple[int, float, float, float]:
    """Run a command (its output to ``log``); exit code, wall seconds, CPU seconds and its peak RSS in MB.

    The peak is the largest resident set of the command's own process (``wait4``'s ``ru_maxrss``).
    """
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


# ---- measuring one block -----------------------------------------------------------------------------


class _Trace:
    """Start and end of every request httpx sends in this process while a trace is on."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] | None = None
        self._installed = False

    def install(self) -> None:
        if self._installed:
            return
        import httpx

        original = httpx.Client.send
        trace = self

        def send(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
            started = time.perf_counter()
            try:
                return original(client, request, **kwargs)  # reads the body unless stream=True
            finally:
                if trace.spans is not None:
                    trace.spans.append((started, time.perf_counter()))

        httpx.Client.send = send  # type: ignore[method-assign,assignment]
        self._installed = True


TRACE = _Trace()


def critical_path(spans: Sequence[tuple[float, float]]) -> int:
    """The longest chain of requests each sent after the previous one had its answer: round trips in sequence.

    What is concurrent (threads, a fan-out) shares a level; what waited for an answer (a login, a slot in a
    pool of 4, a page that tells the next offset) adds one. Times ``latency`` it is the wall time the
    observed request pattern costs at that latency with infinitely fast client and server.
    """
    ordered = sorted(spans)
    depth: list[int] = []
    for i, (start, _) in enumerate(ordered):
        depth.append(1 + max((depth[j] for j in range(i) if ordered[j][1] <= start), default=0))
    return max(depth, default=0)


def proc_kb(key: str) -> int:
    """A ``/proc/self/status`` field in kB (``VmRSS``, ``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> None:
    """Reset ``VmHWM`` to the current RSS (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    Path("/proc/self/clear_refs").write_text("5")


@dataclass
class Sample:
    """One measured block."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    requests: int = 0
    by_field: dict[str, int] = field(default_factory=dict)
    emulator_cpu_s: float = 0.0
    rss_before_mb: float = 0.0
    peak_rss_mb: float = 0.0
    critical_path: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rss_growth_mb(self) -> float:
        return max(0.0, self.peak_rss_mb - self.rss_before_mb)


def _requests(stats: dict[str, Any]) -> tuple[int, dict[str, int]]:
    by_field = {name: sum(by_status.values()) for name, by_status in stats["requests"].items()}
    return int(stats["total_requests"]), by_field


@contextmanager
def measure(emulator: EmulatorRef | None, *, trace: bool = True) -> Iterator[Sample]:
    """Measure the block (see the module docstring); the emulator's stats are read outside the clock."""
    sample = Sample()
    handle = emulator.handle() if emulator else None
    total0, fields0 = _requests(handle.stats()) if handle else (0, {})
    emulator_cpu0 = emulator.cpu_seconds() if emulator else 0.0
    if trace:
        TRACE.install()
        TRACE.spans = []
    reset_peak_rss()
    sample.rss_before_mb = proc_kb("VmRSS") / 1024
    sample.extra["load_1min"] = os.getloadavg()[0]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        yield sample
    finally:
        sample.wall_s = time.perf_counter() - wall0
        sample.cpu_s = time.process_time() - cpu0
        sample.peak_rss_mb = proc_kb("VmHWM") / 1024
        if trace and TRACE.spans is not None:
            sample.critical_path = critical_path(TRACE.spans)
            TRACE.spans = None
        if emulator and handle:
            sample.emulator_cpu_s = emulator.cpu_seconds() - emulator_cpu0
            total1, fields1 = _requests(handle.stats())
            sample.requests = total1 - total0
            sample.by_field = {k: v - fields0.get(k, 0) for k, v in fields1.items() if v - fields0.get(k, 0)}
            handle.close()


def profiled(fn: Callable[[], Any], top: int = 15) -> dict[str, list[dict[str, Any]]]:
    """Run ``fn`` under cProfile timed by CPU (this thread only): the heaviest functions by own CPU, and the provider's
    own functions by cumulative time, with call counts and seconds (cProfile adds its own overhead)."""
    import cProfile
    import pstats

    profile = cProfile.Profile(time.process_time)
    profile.runcall(fn)
    entries = []
    for (filename, line, name), (_, calls, own, cumulative, _) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        where = filename.split("site-packages/")[-1].replace(str(REPO) + "/", "")
        entries.append(
            {"function": f"{where}:{line}({name})", "calls": calls, "own_s": own, "cumulative_s": cumulative}
        )
    mine = [e for e in entries if e["function"].startswith("airflow_provider_filed/")]
    return {
        "own": sorted(entries, key=lambda e: -e["own_s"])[:top],
        "provider_cumulative": sorted(mine, key=lambda e: -e["cumulative_s"])[:top],
    }


# ---- repetitions ----------------------------------------------------------------------------------------


@dataclass
class Series:
    """Repetitions of one measurement: min and median of each figure."""

    samples: list[dict[str, Any]]

    @classmethod
    def of(cls, samples: Sequence[Sample | dict[str, Any]]) -> Series:
        dicts = [s if isinstance(s, dict) else asdict(s) for s in samples]
        for d in dicts:
            if "peak_rss_mb" in d:
                d.setdefault("rss_growth_mb", max(0.0, d["peak_rss_mb"] - d["rss_before_mb"]))
        return cls(dicts)

    def values(self, key: str) -> list[float]:
        return [float(s[key] if key in s else s["extra"][key]) for s in self.samples]

    def min(self, key: str) -> float:
        return min(self.values(key))

    def median(self, key: str) -> float:
        return statistics.median(self.values(key))

    def max(self, key: str) -> float:
        return max(self.values(key))

    def first(self, key: str) -> Any:
        sample = self.samples[0]
        return sample[key] if key in sample else sample["extra"][key]

    @property
    def n(self) -> int:
        return len(self.samples)


# ---- formatting and facts -------------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "n/a"
    if seconds >= 100:
        return f"{seconds:,.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.0f} ms"


def fmt_mb(mb: float) -> str:
    return f"{mb:,.0f} MB" if mb >= 10 else f"{mb:.1f} MB"


def fmt_bytes(n: float) -> str:
    return f"{n / 1024 / 1024:.2f} MB" if n >= 1024 * 1024 else f"{n / 1024:,.1f} KB"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_facts() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return {
        "CPUs": f"{os.cpu_count()} ({cpu})",
        "Memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
    }


def versions(
    names: Sequence[str] = ("apache-airflow", "httpx", "pydantic", "gql", "uvicorn", "msgspec"),
) -> dict[str, str]:
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def git_revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO, check=False).stdout.strip()

    dirty = git("status", "--porcelain", "--", "airflow_provider_filed", "dags")
    return git("rev-parse", "--short", "HEAD") + (" (+ uncommitted changes to the provider or dags)" if dirty else "")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value
