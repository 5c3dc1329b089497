"""The garbage collector kept off the import's hot path: paused in pure steps, and blind to older objects
while a bulk import runs."""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

Undo = Callable[[], None]


class _SharedSetting:
    """A process-wide collector setting held by any number of threads at once: the first in applies it (or
    finds it needless), the last out undoes what the first did."""

    def __init__(self, apply: Callable[[], Undo | None]) -> None:
        self._apply = apply
        self._lock = threading.Lock()
        self._holders = 0
        self._undo: Undo | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._undo = self._apply()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._undo is not None:
                    self._undo()
                    self._undo = None

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def held(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.held():
                return fn(*args, **kwargs)

        return held


def _pause() -> Undo | None:
    if not gc.isenabled():
        return None
    gc.disable()
    return gc.enable


def _freeze() -> Undo | None:
    if gc.get_freeze_count():
        return None
    gc.freeze()
    return gc.unfreeze


collector_paused = _SharedSetting(_pause)
"""Automatic garbage collection held off during a burst of acyclic objects, then restored as it was.

Validating a season's rows, or parsing and tallying a 1,000-row page, makes tens of thousands of objects at
once, none in a reference cycle: the collector would scan them again and again for nothing (a third of
``parse_artifacts``'s CPU), and in a triggerer each scan of its whole heap holds the GIL. Only pure steps are
paused (no I/O inside, so a pause is short); threads inside at once share it, the last one ends it."""

older_objects_frozen = _SharedSetting(_freeze)
"""Objects alive when a bulk import starts left out of the collector's scans until it ends (``gc.freeze``).

A task process holds Airflow's heap and the validated rows; an import's thousands of requests would make
the collector scan them again and again (a tenth of a 10,000-client import's CPU with Airflow's SDK loaded).
Frozen objects are still freed by reference counting, and the collector keeps collecting what the import
makes, so nothing it leaves in a cycle piles up. A process that already freezes objects is left alone."""
