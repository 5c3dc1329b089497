"""The emulator's status strings fall in the provider's default status sets (project decision 1)."""

from __future__ import annotations

import pytest

from airflow_provider_filed.client.statuses import CONNECTION_JOB_ACCEPTS_WORKS, Outcome, StatusSets
from airflow_provider_filed.emulator import models


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (models.WORK_PENDING, Outcome.IN_PROGRESS),
        (models.WORK_PROCESSING, Outcome.IN_PROGRESS),
        (models.WORK_COMPLETED, Outcome.SUCCESS),
        (models.WORK_FAILED, Outcome.FAILURE),
        (models.ARTIFACT_INITIAL, Outcome.IN_PROGRESS),
        (models.ARTIFACT_SUCCESS, Outcome.SUCCESS),
        (models.ARTIFACT_ERROR, Outcome.FAILURE),
        (models.ARTIFACT_TERMINATED, Outcome.FAILURE),
        (models.JOB_ACTIVE, Outcome.IN_PROGRESS),
        (models.JOB_COMPLETED, Outcome.SUCCESS),
    ],
)
def test_default_status_sets_classify_emulator_statuses(status: str, outcome: Outcome) -> None:
    assert StatusSets().outcome(status) is outcome


def test_a_pending_job_is_what_accepts_works() -> None:
    assert models.JOB_PENDING == CONNECTION_JOB_ACCEPTS_WORKS
