"""Request counters for ``GET /_emulator/stats``: by root field and HTTP status, platforms, faults."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

FAULT_KINDS = ("error", "rate_limit", "commit_then_fail")
NO_SOURCE_PLATFORM = "(none)"


class RequestStats:
    """Thread-safe counters of ``/graphql`` requests; ``/_emulator/*`` calls are not counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
            self._total = 0
            self._platforms: defaultdict[str, int] = defaultdict(int)
            self._faults = dict.fromkeys(FAULT_KINDS, 0)

    def record(self, names: Iterable[str], outcome: int | str, source_platform: str | None) -> None:
        """Count one request under each of its root fields; ``outcome`` is the status or "dropped"."""
        with self._lock:
            self._total += 1
            self._platforms[source_platform or NO_SOURCE_PLATFORM] += 1
            for name in names:
                self._requests[name][str(outcome)] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {name: dict(by_status) for name, by_status in self._requests.items()},
                "total_requests": self._total,
                "source_platforms": dict(self._platforms),
                "faults_injected": dict(self._faults),
            }
