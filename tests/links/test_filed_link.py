from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from airflow_provider_filed.links.filed import FiledWorkspaceLink, workspace_deep_link
from airflow_provider_filed.operators.connection_job import CreateConnectionJobOperator


def test_deep_link_opens_the_workspace_through_sign_in() -> None:
    url = workspace_deep_link("https://app.filed.com/", "smith-cpa")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "app.filed.com", "/sign-in")
    assert parse_qs(parts.query) == {"deep_link": ["/w/smith-cpa"]}


def test_without_a_slug_filed_redirects_to_the_users_workspace() -> None:
    assert workspace_deep_link("https://app.filed.com", None).endswith("deep_link=%2Fw%2Fredirect")


def test_operator_link_uses_the_connection_slug(filed_connection) -> None:
    operator = CreateConnectionJobOperator(task_id="job", job_name="x")
    link = FiledWorkspaceLink().get_link(operator, ti_key=None)  # type: ignore[arg-type]
    assert link == workspace_deep_link("https://app.filed.com", filed_connection.workspace_slug)
    assert FiledWorkspaceLink in {type(link) for link in operator.operator_extra_links}


def test_link_is_empty_when_the_connection_is_unusable(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FILED_BROKEN", '{"conn_type": "filed", "host": "https://x/graphql"}')
    operator = CreateConnectionJobOperator(task_id="job", job_name="x", filed_conn_id="filed_broken")
    assert FiledWorkspaceLink().get_link(operator, ti_key=None) == ""  # type: ignore[arg-type]
