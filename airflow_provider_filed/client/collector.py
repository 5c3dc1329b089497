"""Garbage collection paused while pure, CPU-bound steps build many short-lived or acyclic objects."""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class _CollectorPause:
    """Automatic garbage collection held off during a burst of acyclic objects, then restored as it was.

    Validating a season's rows, or parsing and tallying a 1,000-row page, makes tens of thousands of objects
    at once, none in a reference cycle: the collector would scan them again and again for nothing (a third of
    ``parse_artifacts``'s CPU), and in a triggerer each scan of its whole heap holds the GIL. Only pure steps
    are paused (no I/O inside, so a pause is short); threads inside at once share it, the last one ends it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._resume = False

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._resume:
                    gc.enable()

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def paused(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.held():
                return fn(*args, **kwargs)

        return paused


collector_paused = _CollectorPause()
