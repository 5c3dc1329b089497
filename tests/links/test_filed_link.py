"""The "Filed" link: the run's connection job by the connection's path template, else the workspace."""

from __future__ import annotations

import types
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from airflow_provider_filed.hooks.settings import job_path_problem
from airflow_provider_filed.links.filed import (
    FiledWorkspaceLink,
    connection_job_link,
    pushed_connection_job_id,
    settings_link,
    workspace_deep_link,
)
from airflow_provider_filed.operators.connection_job import CreateConnectionJobOperator

JOB_PATH = "/w/{workspace_slug}/connection-jobs/{connection_job_id}"


def deep_link_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["deep_link"][0]


def test_deep_link_opens_the_workspace_through_sign_in() -> None:
    url = workspace_deep_link("https://app.filed.com/", "smith-cpa")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "app.filed.com", "/sign-in")
    assert parse_qs(parts.query) == {"deep_link": ["/w/smith-cpa"]}


def test_without_a_slug_filed_redirects_to_the_users_workspace() -> None:
    assert workspace_deep_link("https://app.filed.com", None).endswith("deep_link=%2Fw%2Fredirect")


def test_job_link_fills_the_template_through_sign_in() -> None:
    url = connection_job_link(
        "http://127.0.0.1:9000",
        "/w/{workspace_slug}/c/{connection_id}/jobs/{connection_job_id}",
        "job_7",
        workspace_slug="smith-cpa",
        connection_id="connection_1",
    )
    assert url.startswith("http://127.0.0.1:9000/sign-in?deep_link=")
    assert deep_link_of(url) == "/w/smith-cpa/c/connection_1/jobs/job_7"


def test_job_link_quotes_the_values_it_inserts() -> None:
    url = connection_job_link("https://app.filed.com", JOB_PATH, "job/../x y", workspace_slug="smith cpa")
    assert deep_link_of(url) == "/w/smith%20cpa/connection-jobs/job%2F..%2Fx%20y"


@pytest.mark.parametrize(
    ("template", "job_id"),
    [
        (None, "job_7"),  # no template: Filed's job path is not documented
        (JOB_PATH, None),  # the task has not pushed a job yet
        ("/w/{workspace_slug}/jobs/{job}", "job_7"),  # unusable template
    ],
)
def test_job_link_falls_back_to_the_workspace(template: str | None, job_id: str | None) -> None:
    url = connection_job_link("https://app.filed.com", template, job_id, workspace_slug="smith-cpa")
    assert url == workspace_deep_link("https://app.filed.com", "smith-cpa")


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        (JOB_PATH, None),
        ("/w/redirect/imports/{connection_job_id}", None),
        ("w/{workspace_slug}/{connection_job_id}", "must be a path starting with /"),
        ("/w/{workspace_slug}", "must contain {connection_job_id}"),
        ("/w/{slug}/{connection_job_id}", "unknown placeholders ['slug']"),
        ("/w/{workspace_slug/{connection_job_id}", "not a valid template"),
    ],
)
def test_job_path_problems_are_named(template: str, problem: str | None) -> None:
    found = job_path_problem(template)
    assert found == problem if problem is None else problem in (found or "")


def test_settings_link_reads_the_connections_template() -> None:
    settings: Any = types.SimpleNamespace(
        app_url="https://app.filed.com",
        workspace_slug="smith-cpa",
        workspace_id="workspace_1",
        connection_id="connection_1",
        connection_job_path=JOB_PATH,
    )
    assert deep_link_of(settings_link(settings, "job_7")) == "/w/smith-cpa/connection-jobs/job_7"
    assert deep_link_of(settings_link(settings, None)) == "/w/smith-cpa"


def test_operator_link_without_a_run_opens_the_workspace(filed_connection) -> None:
    operator = CreateConnectionJobOperator(task_id="job", job_name="x")
    link = FiledWorkspaceLink().get_link(operator, ti_key=None)  # type: ignore[arg-type]
    assert link == workspace_deep_link("https://app.filed.com", filed_connection.workspace_slug)
    assert FiledWorkspaceLink in {type(link) for link in operator.operator_extra_links}


def test_link_is_empty_when_the_connection_is_unusable(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FILED_BROKEN", '{"conn_type": "filed", "host": "https://x/graphql"}')
    operator = CreateConnectionJobOperator(task_id="job", job_name="x", filed_conn_id="filed_broken")
    assert FiledWorkspaceLink().get_link(operator, ti_key=None) == ""  # type: ignore[arg-type]


def test_pushed_connection_job_id_is_read_from_the_tasks_xcom(run_dag, filed_connection, airflow_helpers) -> None:
    """In a real run, the trigger task pushes its job id, and the link's reader finds it by task key."""
    import pendulum
    from airflow.sdk import DAG, task

    from airflow_provider_filed.operators.connection_job import TriggerConnectionJobOperator

    with DAG("filed_link_xcom", schedule=None, start_date=pendulum.datetime(2025, 1, 1)) as dag:
        job = CreateConnectionJobOperator(task_id="create_connection_job", job_name="link test")
        trigger = TriggerConnectionJobOperator(task_id="trigger_connection_job", connection_job_id=job.output)

        @task
        def read_back(**context: Any) -> dict[str, Any]:
            ti = context["ti"]
            key = types.SimpleNamespace(
                dag_id=ti.dag_id, task_id="trigger_connection_job", run_id=ti.run_id, map_index=-1
            )
            return {
                "job": pushed_connection_job_id(key),
                "link": ti.xcom_pull("trigger_connection_job", key="_link_FiledWorkspaceLink"),
            }

        trigger >> read_back()

    dag_run = run_dag(dag)
    assert dag_run.state == "success", airflow_helpers.task_states(dag_run)
    job_id = airflow_helpers.xcom_value(dag_run, "create_connection_job")
    read = airflow_helpers.xcom_value(dag_run, "read_back")
    assert read["job"] == job_id
    assert read["link"].startswith("https://app.filed.com/sign-in?deep_link=")


def test_connection_refuses_an_unusable_job_path_naming_it() -> None:
    from airflow_provider_filed.client import FiledConfigurationError
    from airflow_provider_filed.hooks.settings import settings_from_connection

    kwargs: dict[str, Any] = {"host": "https://gateway.filed.com/graphql", "password": "k" * 20}
    good = settings_from_connection("c", **kwargs, extra={"connection_job_path": JOB_PATH})
    assert good.connection_job_path == JOB_PATH
    with pytest.raises(FiledConfigurationError, match=r"connection_job_path.*connection_job_id"):
        settings_from_connection("c", **kwargs, extra={"connection_job_path": "/w/{workspace_slug}"})
