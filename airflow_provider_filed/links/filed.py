"""The "Filed" button on a task: opens the run's connection job in Filed's app, else the workspace.

Filed's app is reached through its sign-in deep link (``{app_url}/sign-in?deep_link=<path>``). The path of
a connection job is not documented: it is the connection extra ``connection_job_path``, a template with
``{workspace_slug}``, ``{workspace_id}``, ``{connection_id}`` and ``{connection_job_id}``. Without it, or
before a task knows its job, the link opens the workspace (``/w/{slug}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

    from airflow_provider_filed.hooks.settings import FiledSettings

#: The slug Filed's deep links use when the workspace's slug is unknown.
ANY_WORKSPACE = "redirect"


def deep_link(app_url: str, path: str) -> str:
    """``{app}/sign-in?deep_link=<path>``: Filed's app opens ``path`` once the user is signed in."""
    return f"{app_url.rstrip('/')}/sign-in?deep_link={quote(path, safe='')}"


def workspace_deep_link(app_url: str, workspace_slug: str | None, path: str = "") -> str:
    """``{app}/sign-in?deep_link=/w/{slug}{path}``, or ``/w/redirect{path}`` when the slug is unknown."""
    return deep_link(app_url, f"/w/{workspace_slug or ANY_WORKSPACE}{path}")


def connection_job_link(
    app_url: str,
    template: str | None,
    connection_job_id: str | None,
    *,
    workspace_slug: str | None = None,
    workspace_id: str | None = None,
    connection_id: str | None = None,
) -> str:
    """The deep link of a connection job by ``template``; the workspace's when either is missing or unusable."""
    from airflow_provider_filed.hooks.settings import job_path_problem

    if not template or not connection_job_id or job_path_problem(template):
        return workspace_deep_link(app_url, workspace_slug)
    values = {
        "workspace_slug": workspace_slug or ANY_WORKSPACE,
        "workspace_id": workspace_id or "",
        "connection_id": connection_id or "",
        "connection_job_id": connection_job_id,
    }
    return deep_link(app_url, template.format(**{k: quote(v, safe="") for k, v in values.items()}))


def settings_link(settings: FiledSettings, connection_job_id: str | None) -> str:
    """The "Filed" link of a task on a connection with ``settings``."""
    return connection_job_link(
        settings.app_url,
        settings.connection_job_path,
        connection_job_id,
        workspace_slug=settings.workspace_slug,
        workspace_id=settings.workspace_id,
        connection_id=settings.connection_id,
    )


def pushed_connection_job_id(ti_key: Any) -> str | None:
    """The connection job id the task pushed (XCom ``connection_job_id``) before working or waiting."""
    if ti_key is None:
        return None
    from airflow.sdk.execution_time.xcom import XCom

    from airflow_provider_filed.operators.base import CONNECTION_JOB_ID_KEY

    value = XCom.get_value(ti_key=ti_key, key=CONNECTION_JOB_ID_KEY)
    return value if isinstance(value, str) and value else None


class FiledWorkspaceLink(BaseOperatorLink):
    """Opens the task's connection job in Filed (the workspace when the job or its path is unknown)."""

    name = "Filed"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow_provider_filed.hooks.filed import FiledHook

        conn_id = getattr(operator, "filed_conn_id", None)
        if not conn_id:
            return ""
        try:
            settings = FiledHook(conn_id).settings
        except Exception:
            return ""
        try:
            job_id = pushed_connection_job_id(ti_key)
        except Exception:
            job_id = None
        return settings_link(settings, job_id)
