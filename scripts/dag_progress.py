"""Progress lines of a DAG run read from Airflow's SQLite metadata DB: one line per task whose state changes."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

#: States not worth a line: the task has not started yet.
WAITING = {"scheduled", "queued"}
#: After this long without a change, a line says what is still going on.
QUIET_S = 8.0


def _query(db: Path, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
        return conn.execute(sql, args).fetchall()


def latest_run_row_id(db: Path, dag_id: str) -> int:
    """The newest ``dag_run`` row id of ``dag_id`` (0 when none or no DB yet)."""
    try:
        rows = _query(db, "SELECT COALESCE(MAX(id), 0) FROM dag_run WHERE dag_id = ?", (dag_id,))
    except sqlite3.Error:
        return 0
    return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]


def task_summaries(db: Path, dag_id: str, after_row_id: int) -> dict[str, str]:
    """``task_id`` → its state (mapped tasks: ``"success 2, running 1"``) in the first run after ``after_row_id``."""
    runs = _query(
        db, "SELECT run_id FROM dag_run WHERE dag_id = ? AND id > ? ORDER BY id LIMIT 1", (dag_id, after_row_id)
    )
    if not runs:
        return {}
    rows = _query(
        db, "SELECT task_id, map_index, state FROM task_instance WHERE dag_id = ? AND run_id = ?", (dag_id, runs[0][0])
    )
    states: dict[str, Counter[str]] = {}
    mapped: set[str] = set()
    for task_id, map_index, state in rows:
        states.setdefault(str(task_id), Counter())[str(state or "scheduled")] += 1
        if isinstance(map_index, int) and map_index >= 0:
            mapped.add(str(task_id))
    return {
        task_id: ", ".join(f"{state} {n}" for state, n in sorted(counts.items()))
        if task_id in mapped
        else next(iter(counts))
        for task_id, counts in states.items()
    }


class RunProgress(threading.Thread):
    """Polls the run's task states every ``interval_s`` and calls ``say`` with each change, until stopped."""

    def __init__(self, db: Path, dag_id: str, say: Callable[[str], None], interval_s: float = 1.0) -> None:
        super().__init__(name="dag-progress", daemon=True)
        self.db, self.dag_id, self.say, self.interval_s = db, dag_id, say, interval_s
        self.after_row_id = latest_run_row_id(db, dag_id)
        self.started = time.monotonic()
        self.shown: dict[str, str] = {}
        self.last_line = self.started
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval_s):
            self.poll()

    def poll(self) -> None:
        """Report every task whose state changed since the last poll."""
        try:
            current = task_summaries(self.db, self.dag_id, self.after_row_id)
        except sqlite3.Error:
            return  # the run holds a write lock for a moment: read on the next tick
        for task_id, state in current.items():
            if self.shown.get(task_id) != state and state not in WAITING:
                self.shown[task_id] = state
                self.report(f"{task_id}: {state}")
        if time.monotonic() - self.last_line >= QUIET_S:
            busy = [task_id for task_id, state in current.items() if state in ("running", "deferred")]
            self.report(f"still running: {', '.join(busy)}" if busy else "Airflow is preparing the run")

    def report(self, message: str) -> None:
        self.last_line = time.monotonic()
        self.say(f"{self.last_line - self.started:5.1f}s  {message}")

    def stop(self) -> None:
        """Stop polling after one last read, so the final states are shown."""
        self._stop_event.set()
        self.join(timeout=5)
        self.poll()
