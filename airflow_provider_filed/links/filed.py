"""The "Filed" button on a task: opens the connection's workspace in Filed's app through a deep link."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey


def workspace_deep_link(app_url: str, workspace_slug: str | None, path: str = "") -> str:
    """``{app}/sign-in?deep_link=/w/{slug}{path}``, or ``/w/redirect{path}`` when the slug is unknown."""
    target = f"/w/{workspace_slug or 'redirect'}{path}"
    return f"{app_url.rstrip('/')}/sign-in?deep_link={quote(target, safe='')}"


class FiledWorkspaceLink(BaseOperatorLink):
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
        return workspace_deep_link(settings.app_url, settings.workspace_slug)
