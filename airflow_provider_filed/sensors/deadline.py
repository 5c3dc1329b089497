"""A sensor's deadline that retries do not move: the first try's start plus ``timeout``.

Airflow clears a task's XComs at every try, so the deadline lives in an Airflow Variable keyed by the
task instance, set by the first try, read by the retries, and deleted once the wait has ended for good.
"""

from __future__ import annotations

import time
from typing import Any

KEY_PREFIX = "filed_sensor_deadline"


def deadline_key(ti: Any) -> str:
    return f"{KEY_PREFIX}::{ti.dag_id}::{ti.run_id}::{ti.task_id}::{ti.map_index}"


def absolute_deadline(ti: Any, timeout: float) -> float:
    """Epoch seconds when this task instance's wait ends, whichever try asks."""
    from airflow.sdk import Variable

    key = deadline_key(ti)
    stored = Variable.get(key, default=None)
    try:
        return float(stored)
    except (TypeError, ValueError):
        deadline = time.time() + timeout
        Variable.set(key, repr(deadline), description="When this Filed sensor's wait ends, across its retries")
        return deadline


def forget_deadline(ti: Any) -> None:
    from airflow.sdk import Variable

    Variable.delete(deadline_key(ti))
