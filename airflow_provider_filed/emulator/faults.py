"""Fault decisions for one request: latency, 429 and 5xx before applying, commit-then-fail after."""

from __future__ import annotations

import random
import threading
from collections.abc import Collection
from dataclasses import dataclass

from airflow_provider_filed.emulator.config import EmulatorConfig

ERROR_STATUSES = (500, 502, 503)
RATE_LIMIT_STATUS = 429


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What to do to one request before it is applied; the default is no fault at all."""

    delay_s: float = 0.0
    reject_status: int | None = None


@dataclass(frozen=True, slots=True)
class CommitFailure:
    """How an applied mutation's reply fails: an HTTP status, or a connection cut mid-body."""

    status: int
    drop: bool


def retry_after_header(seconds: float) -> str:
    """Seconds as an integer string when whole ("2"), else a short decimal ("0.05")."""
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


class FaultInjector:
    """Rolls the fault dice; seeded for reproducible runs, locked so threads share one sequence."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def _hit(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def _targeted(self, config: EmulatorConfig, names: Collection[str]) -> bool:
        return config.fault_operations is None or any(name in config.fault_operations for name in names)

    def plan(self, config: EmulatorConfig, names: Collection[str], *, admin: bool = False) -> FaultPlan:
        """Decide latency, 429 or 5xx for a request whose root fields / operation name are ``names``.

        Admin (``/_emulator/*``) requests only ever get latency; ``fault_operations`` narrows all faults.
        """
        if not self._targeted(config, names):
            return FaultPlan()
        with self._lock:
            jitter_ms = self._rng.uniform(0, config.jitter_ms) if config.jitter_ms else 0.0
            delay_s = (config.latency_ms + jitter_ms) / 1000
            if admin:
                return FaultPlan(delay_s=delay_s)
            if self._hit(config.rate_limit_rate):
                return FaultPlan(delay_s=delay_s, reject_status=RATE_LIMIT_STATUS)
            if self._hit(config.error_rate):
                return FaultPlan(delay_s=delay_s, reject_status=self._rng.choice(ERROR_STATUSES))
            return FaultPlan(delay_s=delay_s)

    def after_commit(self, config: EmulatorConfig, names: Collection[str]) -> CommitFailure | None:
        """Whether a mutation that was applied (HTTP 200) gets a failed reply instead of its result."""
        if not self._targeted(config, names):
            return None
        with self._lock:
            if not self._hit(config.commit_then_fail_rate):
                return None
            return CommitFailure(status=self._rng.choice(ERROR_STATUSES), drop=config.commit_then_fail_mode == "drop")
