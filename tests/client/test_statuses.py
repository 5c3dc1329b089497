"""The status sets: case-insensitive, disjoint, and nothing outside the success set is ever success."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from airflow_provider_filed.client import StatusSets
from airflow_provider_filed.client.statuses import Outcome


def test_defaults() -> None:
    statuses = StatusSets()
    assert statuses.outcome("completed") is Outcome.SUCCESS
    assert statuses.outcome("success") is Outcome.SUCCESS
    for failure in ("failed", "error", "terminated"):
        assert statuses.outcome(failure) is Outcome.FAILURE
    for in_progress in ("pending", "processing", "initial", "active"):
        assert statuses.outcome(in_progress) is Outcome.IN_PROGRESS


@pytest.mark.parametrize("status", ["COMPLETED", "Completed", "  completed  ", "SUCCESS"])
def test_comparison_is_case_insensitive(status: str) -> None:
    assert StatusSets().outcome(status) is Outcome.SUCCESS


def test_configured_sets_are_case_insensitive_too() -> None:
    statuses = StatusSets(success=["Done", "OK "], failure="Broken, LOST")
    assert statuses.success == frozenset({"done", "ok"})
    assert statuses.failure == frozenset({"broken", "lost"})
    assert statuses.outcome("DONE") is Outcome.SUCCESS
    assert statuses.outcome("lost") is Outcome.FAILURE
    assert statuses.outcome("completed") is Outcome.IN_PROGRESS  # no longer in the success set


@pytest.mark.parametrize("status", ["cancelled", "terminated", "CANCELED", "new-status", "", None])
def test_unknown_cancelled_and_terminated_are_never_success(status: str | None) -> None:
    assert StatusSets().outcome(status) is not Outcome.SUCCESS


def test_overlap_is_rejected() -> None:
    with pytest.raises(ValidationError, match="both success and failure"):
        StatusSets(success=["completed", "Done"], failure=["done"])


def test_empty_success_is_rejected() -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        StatusSets(success=" , ")


def test_task_overrides_replace_the_connection_sets() -> None:
    base = StatusSets()
    assert base.overridden() == base
    custom = base.overridden(["Done"], ["Broken"])
    assert (custom.success, custom.failure) == (frozenset({"done"}), frozenset({"broken"}))
    assert base.overridden(failure=[]).failure == frozenset()
