"""The one home of Filed status sets: which strings mean success, failure or still in progress.

Filed documents no complete status lists, so these are settings (arguments or connection extras),
compared case-insensitively. Anything in neither set — ``cancelled``, a typo, a new status — is
in progress, never success.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

DEFAULT_SUCCESS_STATUSES: tuple[str, ...] = ("completed", "success")
DEFAULT_FAILURE_STATUSES: tuple[str, ...] = ("failed", "error", "terminated")

CONNECTION_JOB_ACCEPTS_WORKS = "pending"


class Outcome(str, Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    IN_PROGRESS = "in_progress"


def _normalise(values: Iterable[str] | str) -> frozenset[str]:
    if isinstance(values, str):
        values = values.split(",")
    return frozenset(v.strip().lower() for v in values if v and v.strip())


class StatusSets(BaseModel):
    """Terminal status sets for works and artifacts; everything else is in progress."""

    model_config = ConfigDict(frozen=True)

    success: frozenset[str] = frozenset(DEFAULT_SUCCESS_STATUSES)
    failure: frozenset[str] = frozenset(DEFAULT_FAILURE_STATUSES)

    @field_validator("success", "failure", mode="before")
    @classmethod
    def _lowercase(cls, value: Iterable[str] | str) -> frozenset[str]:
        return _normalise(value)

    @model_validator(mode="after")
    def _disjoint(self) -> StatusSets:
        if not self.success:
            raise ValueError("success statuses must not be empty")
        if overlap := self.success & self.failure:
            raise ValueError(f"statuses both success and failure: {sorted(overlap)}")
        return self

    def overridden(self, success: Iterable[str] | None = None, failure: Iterable[str] | None = None) -> StatusSets:
        """These sets with a task's own choices: empty ``success`` keeps the default; ``failure=[]`` means none."""
        return StatusSets(
            success=frozenset(success or self.success),
            failure=frozenset(failure if failure is not None else self.failure),
        )

    def outcome(self, status: str | None) -> Outcome:
        value = (status or "").strip().lower()
        if value in self.success:
            return Outcome.SUCCESS
        if value in self.failure:
            return Outcome.FAILURE
        return Outcome.IN_PROGRESS
