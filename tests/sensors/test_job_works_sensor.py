from __future__ import annotations

import json
import time

import pytest
from airflow.sdk import conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout, TaskDeferred

from airflow_provider_filed.sensors.job_works import JobWorksSensor
from airflow_provider_filed.triggers.job_works import JobWorksTrigger


class FakeTI:
    dag_id, run_id, task_id, map_index, try_number, max_tries = "d", "r", "wait", -1, 1, 2

    def __init__(self) -> None:
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = value


@pytest.fixture(autouse=True)
def variables(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Airflow Variables outside a task: a dict."""
    from airflow.sdk import Variable

    store: dict[str, str] = {}
    monkeypatch.setattr(Variable, "get", staticmethod(lambda key, default=None: store.get(key, default)))
    monkeypatch.setattr(
        Variable, "set", staticmethod(lambda key, value, description=None: store.__setitem__(key, value))
    )
    monkeypatch.setattr(Variable, "delete", staticmethod(lambda key: store.pop(key, None)))
    return store


def sensor(**kwargs: object) -> JobWorksSensor:
    return JobWorksSensor(task_id="wait", **({"connection_job_id": "job_1"} | kwargs))  # type: ignore[arg-type]


def test_deferrable_defaults_to_the_airflow_setting() -> None:
    assert sensor().deferrable is conf.getboolean("operators", "default_deferrable", fallback=False)


def test_needs_a_connection_job_or_job_works() -> None:
    with pytest.raises(ValueError, match="connection_job_id or job_work_ids"):
        JobWorksSensor(task_id="wait")


def test_deferrable_sensor_pushes_the_job_id_then_defers_with_a_json_safe_deadline(filed_connection) -> None:
    ti = FakeTI()
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, timeout=120, poke_interval=5, max_failed=0.1).execute({"ti": ti})  # type: ignore[arg-type]

    assert ti.xcom == {"connection_job_id": "job_1"}
    trigger = deferred.value.trigger
    assert isinstance(trigger, JobWorksTrigger)
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_filed.triggers.job_works.JobWorksTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert before + 120 <= kwargs["end_time"] <= time.time() + 120
    assert kwargs["workspace_id"] == filed_connection.workspace_id
    assert kwargs["max_failed"] == 0.1
    assert deferred.value.method_name == "execute_complete"


SUMMARY = {"total": 2, "succeeded": 2, "failed": 0}


def test_success_event_returns_the_summary() -> None:
    event = {"status": "success", "message": "ok", "summary": SUMMARY}
    assert sensor().execute_complete({"ti": FakeTI()}, event) == SUMMARY  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"status": "failed", "message": "2 job works failed"}, AirflowFailException),
        ({"status": "timeout", "message": "not done"}, AirflowSensorTimeout),
        ({"status": "error", "message": "boom"}, AirflowException),
        ({"status": "SUCCESS", "summary": SUMMARY}, AirflowException),
        ({"status": "done", "summary": SUMMARY}, AirflowException),
        ({"summary": SUMMARY}, AirflowException),
        ("success", AirflowException),
        (None, AirflowException),
    ],
    ids=["failed", "timeout", "error", "wrong-case", "unknown", "no-status", "not-a-dict", "none"],
)
def test_any_other_event_fails_the_task(event: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        sensor().execute_complete({"ti": FakeTI()}, event)  # type: ignore[arg-type]


def test_max_failed_can_be_templated() -> None:
    assert "max_failed" in JobWorksSensor.template_fields
    assert sensor(max_failed="0.25")._max_failed() == 0.25
    assert sensor(max_failed=3)._max_failed() == 3
    with pytest.raises(AirflowFailException, match="max_failed"):
        sensor(max_failed="a few")._max_failed()
    with pytest.raises(ValueError, match="max_failed"):
        sensor(max_failed=-1)


def test_a_retry_keeps_the_first_try_s_deadline(filed_connection, variables: dict[str, str]) -> None:
    first, retry = FakeTI(), FakeTI()
    retry.try_number = 2
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, timeout=3600).execute({"ti": first})  # type: ignore[arg-type]
    deadline = deferred.value.trigger.serialize()[1]["end_time"]
    time.sleep(0.05)
    with pytest.raises(TaskDeferred) as again:
        sensor(deferrable=True, timeout=3600).execute({"ti": retry})  # type: ignore[arg-type]
    assert again.value.trigger.serialize()[1]["end_time"] == deadline  # not the retry's start + timeout
    with pytest.raises(AirflowSensorTimeout):
        sensor().execute_complete({"ti": retry}, {"status": "timeout", "message": "not done"})  # type: ignore[arg-type]
    assert variables == {}  # the wait ended for good: nothing left behind
