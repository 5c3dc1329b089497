"""Shared helpers of the benchmarks: the emulator in its own process, measurements, tables, machine facts.

The emulator always runs in a separate process (``python -m airflow_provider_filed.emulator.cli``), so
``time.process_time()`` in the benchmark process counts the contenders' CPU only.
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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "benchmarks"
API_KEY = "bench-api-key-123456"
STARTUP_TIMEOUT_S = 30.0


def airflow_env(home: Path) -> dict[str, str]:
    """Environment for any process that imports airflow: a private AIRFLOW_HOME, no examples."""
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        }
    )
    return env


@dataclass
class Emulator:
    """A ``filed-emulator`` subprocess and its ``/_emulator/*`` controls."""

    process: subprocess.Popen[str]
    url: str
    base_url: str
    api_key: str
    workspace_id: str
    connection_id: str
    latency_ms: float
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60, trust_env=False))

    def stats(self) -> dict[str, Any]:
        response = self._http.get(f"{self.base_url}/_emulator/stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def total_requests(self) -> int:
        return int(self.stats()["total_requests"])

    def requests_by_field(self) -> dict[str, int]:
        return {name: sum(by_status.values()) for name, by_status in self.stats()["requests"].items()}

    def reset(self) -> None:
        """Seeded data only (same ids and key), start-time config, zeroed stats, no tokens."""
        self._http.post(f"{self.base_url}/_emulator/reset").raise_for_status()

    def configure(self, **fields: Any) -> dict[str, Any]:
        response = self._http.post(f"{self.base_url}/_emulator/config", json=fields)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def cpu_seconds(self) -> float:
        """User + system CPU of the emulator process so far (from /proc), for context only."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def describe(self) -> dict[str, str]:
        return {"url": self.url, "workspace_id": self.workspace_id, "connection_id": self.connection_id}


@contextmanager
def emulator_process(latency_ms: float, *extra_args: str, kind: str = "child") -> Iterator[Emulator]:
    """Start the emulator in a subprocess, read its JSON line, stop it (by its pid) on exit.

    ``kind`` "child": ``benchmarks/emulator_child.py`` (``run_emulator``, TCP_NODELAY); "cli": the stock
    ``filed-emulator`` entry point (see emulator_child.py for why it is slower per request).
    """
    module = {"child": "benchmarks.emulator_child", "cli": "airflow_provider_filed.emulator.cli"}[kind]
    command = [
        sys.executable,
        "-m",
        module,
        "--port",
        "0",
        "--latency-ms",
        str(latency_ms),
        "--api-key",
        API_KEY,
        *extra_args,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    emulator: Emulator | None = None
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT_S)
        line = process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the emulator did not start (exit code {process.poll()})")
        info = json.loads(line)
        emulator = Emulator(
            process=process,
            url=info["url"],
            base_url=info["base_url"],
            api_key=info["api_key"],
            workspace_id=info["workspace_id"],
            connection_id=info["connection_id"],
            latency_ms=latency_ms,
        )
        yield emulator
    finally:
        if emulator is not None:
            emulator._http.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Measurement:
    """Wall time, CPU time of this process, and the emulator's request count over one block."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    requests: int = 0
    requests_by_field: dict[str, int] = field(default_factory=dict)
    emulator_cpu_s: float = 0.0


@contextmanager
def measure(emulator: Emulator | None) -> Iterator[Measurement]:
    """Measure the block: ``perf_counter`` wall, ``process_time`` CPU, ``/_emulator/stats`` request delta."""
    result = Measurement()
    before = emulator.requests_by_field() if emulator else {}
    emu_cpu = emulator.cpu_seconds() if emulator else 0.0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        yield result
    finally:
        result.wall_s = time.perf_counter() - wall0
        result.cpu_s = time.process_time() - cpu0
        if emulator:
            after = emulator.requests_by_field()
            result.requests_by_field = {
                name: after[name] - before.get(name, 0) for name in after if after[name] - before.get(name, 0)
            }
            result.requests = sum(result.requests_by_field.values())
            result.emulator_cpu_s = emulator.cpu_seconds() - emu_cpu


def proc_status_kb(key: str, pid: int | str = "self") -> int:
    """A ``/proc/<pid>/status`` field in kB (``VmRSS``, ``VmHWM``); 0 when unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_json_child(args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 300) -> Any:
    """Run ``python <args>`` in a fresh process; its last stdout line is JSON, returned parsed."""
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_s(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "n/a"
    if seconds >= 100:
        return f"{seconds:,.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.0f} ms"


def fmt_n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


@dataclass
class ScenarioReport:
    """What a scenario hands back to the runner: tables for the terminal and RESULTS.md, and target checks."""

    title: str
    table: str
    notes: list[str] = field(default_factory=list)
    targets: list[tuple[str, bool, str]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def markdown(self) -> str:
        parts = [f"## {self.title}", "", self.table, ""]
        if self.targets:
            parts += [f"- Target — {name}: {verdict(met)}. {why}" for name, met, why in self.targets]
            parts.append("")
        parts += [*self.notes]
        return "\n".join(parts).rstrip() + "\n"


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_facts() -> dict[str, str]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = proc_status_kb("MemTotal") or 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "CPUs": f"{os.cpu_count()} ({cpu_model or platform.processor() or 'unknown'})",
        "Memory": f"{mem_kb / 1024 / 1024:.1f} GiB" if mem_kb else "unknown",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
    }


def versions() -> dict[str, str]:
    return {
        name: package_version(name)
        for name in (
            "apache-airflow",
            "apache-airflow-task-sdk",
            "airflow-provider-filed",
            "httpx",
            "gql",
            "ariadne",
            "uvicorn",
        )
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value
