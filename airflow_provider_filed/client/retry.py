"""The one retry policy, shared by the sync and async transports and by the exactly-once writers.

Retried: HTTP 429 (honouring ``Retry-After``), 5xx, connection errors and timeouts — with exponential
backoff and jitter. Never retried: other 4xx and GraphQL user errors. A write that may already have
been applied is never re-sent blind: the transport gives it back to the caller
(``allow_maybe_applied=False``), which reads what landed before sending the rest.

One budget per call: every layer that retries within a call (the transport, a bulk batch that
reconciles, a listing's concurrent reads) spends the same :class:`RetryBudget`, so a call fails at
most ``max_attempts`` times and never retries past ``max_total_time`` — budgets do not nest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import tenacity
from pydantic import BaseModel, ConfigDict, Field

from airflow_provider_filed.client.errors import FiledError, FiledRateLimitedError

log = logging.getLogger(__name__)


class RetrySettings(BaseModel):
    """How hard to retry: attempts, backoff bounds and an overall time budget per call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=6, ge=1, le=50)
    initial_wait: float = Field(default=0.5, ge=0)
    max_wait: float = Field(default=20.0, ge=0)
    max_total_time: float = Field(default=180.0, gt=0)


class RetryBudget:
    """One call's allowance, shared by every request of the call: ``max_attempts`` failed attempts, and
    ``max_total_time`` seconds of retrying counted from the first failure (a long healthy read is not cut short)."""

    def __init__(self, settings: RetrySettings):
        self._max_failures = settings.max_attempts
        self._max_total_time = settings.max_total_time
        self._deadline: float | None = None
        self._failures = 0
        self._lock = threading.Lock()

    def spend(self) -> bool:
        """Count one failed attempt; whether the call may try again."""
        with self._lock:
            self._failures += 1
            if self._deadline is None:
                self._deadline = time.monotonic() + self._max_total_time
            return self._failures < self._max_failures and self.remaining() > 0

    def remaining(self) -> float:
        """Seconds of retrying left."""
        if self._deadline is None:
            return self._max_total_time
        return self._deadline - time.monotonic()


_active_budget: ContextVar[RetryBudget | None] = ContextVar("filed_retry_budget", default=None)


@contextmanager
def retry_budget(settings: RetrySettings) -> Iterator[RetryBudget]:
    """The budget of the call in progress, or a new one for the block (the outermost call owns it)."""
    active = _active_budget.get()
    if active is not None:
        yield active
        return
    budget = RetryBudget(settings)
    token = _active_budget.set(budget)
    try:
        yield budget
    finally:
        _active_budget.reset(token)


def is_retryable(exc: BaseException, *, allow_maybe_applied: bool) -> bool:
    """Whether ``exc`` is worth another attempt; writes that may have landed only if allowed."""
    if not isinstance(exc, FiledError) or not exc.retryable:
        return False
    return allow_maybe_applied or not exc.maybe_applied


class _Wait(tenacity.wait.wait_base):
    """Exponential backoff with full jitter, but never shorter than the server's ``Retry-After``."""

    def __init__(self, settings: RetrySettings, budget: RetryBudget):
        self._backoff = tenacity.wait_random_exponential(multiplier=settings.initial_wait, max=settings.max_wait)
        self._max_wait = settings.max_wait
        self._budget = budget

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = float(self._backoff(retry_state))
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, FiledRateLimitedError) and exc.retry_after is not None:
            wait = max(wait, min(exc.retry_after, self._max_wait))
        return max(0.0, min(wait, self._budget.remaining()))


def _log_before_sleep(retry_state: tenacity.RetryCallState) -> None:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    sleep = retry_state.next_action.sleep if retry_state.next_action else 0.0
    log.warning("Retrying after %s (attempt %d, waiting %.2fs)", exc, retry_state.attempt_number, sleep)


def _kwargs(settings: RetrySettings, predicate: Callable[[BaseException], bool], budget: RetryBudget) -> dict[str, Any]:
    return {
        "retry": tenacity.retry_if_exception(predicate),
        "stop": lambda _: not budget.spend(),
        "wait": _Wait(settings, budget),
        "before_sleep": _log_before_sleep,
        "reraise": True,
    }


def retry_kwargs(settings: RetrySettings, budget: RetryBudget, *, allow_maybe_applied: bool) -> dict[str, Any]:
    """Arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` around one HTTP request; re-raises the last error."""
    return _kwargs(settings, lambda exc: is_retryable(exc, allow_maybe_applied=allow_maybe_applied), budget)


def reconcile_retry_kwargs(settings: RetrySettings, budget: RetryBudget) -> dict[str, Any]:
    """The same policy for a write that may have landed: the caller reads what is there, then sends the rest."""
    return _kwargs(settings, lambda exc: isinstance(exc, FiledError) and exc.retryable and exc.maybe_applied, budget)
