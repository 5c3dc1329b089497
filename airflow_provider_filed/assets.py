"""The Airflow Asset of a Filed provider connection: ``filed://{workspace_id}/{connection_id}``.

An import DAG publishes an event on it once new clients or documents reached Filed, so downstream
DAGs can be scheduled on it (``schedule=[filed_asset(workspace_id, connection_id)]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import SplitResult

if TYPE_CHECKING:
    from airflow.sdk import Asset

SCHEME = "filed"


def filed_asset_uri(workspace_id: str, connection_id: str) -> str:
    return f"{SCHEME}://{workspace_id}/{connection_id}"


def filed_asset(workspace_id: str, connection_id: str) -> Asset:
    """The Asset of a workspace's provider connection, as import DAGs publish it."""
    from airflow.sdk import Asset

    return Asset(uri=filed_asset_uri(workspace_id, connection_id))


def sanitize_uri(uri: SplitResult) -> SplitResult:
    """Validate ``filed://{workspace_id}/{connection_id}`` (registered for the ``filed`` scheme)."""
    connection = uri.path.strip("/")
    if not uri.netloc or not connection or "/" in connection:
        raise ValueError(f"a Filed asset URI is filed://<workspace id>/<provider connection id>, got {uri.geturl()!r}")
    return uri
