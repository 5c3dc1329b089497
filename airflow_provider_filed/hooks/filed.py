"""``FiledHook``: the ``filed`` connection type, and the sync and async Filed clients built from it."""

from __future__ import annotations

import asyncio
import re
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from airflow_provider_filed.client import (
    AsyncFiledClient,
    ConnectionJobTarget,
    FiledClient,
    FiledConfigurationError,
    FiledError,
    FiledValidationError,
)
from airflow_provider_filed.client.documents import ALREADY_TRIGGERED, TRIGGER_CONNECTION_JOB
from airflow_provider_filed.client.models import ConnectionFilters
from airflow_provider_filed.hooks import DEFAULT_CONN_ID
from airflow_provider_filed.hooks.settings import FiledSettings, settings_from_connection


def _mask(secret: str) -> None:
    """Register an access token with Airflow's secrets masker so it never reaches a log."""
    from airflow.sdk.log import mask_secret

    mask_secret(secret)


class FiledHook(BaseHook):
    """Talks to the Filed gateway as the partner whose API key is in the connection's password.

    The connection is read lazily, once per hook; the client is pooled and shared by the hook's threads.
    """

    conn_name_attr = "filed_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "filed"
    hook_name = "Filed"

    def __init__(self, filed_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filed_conn_id = filed_conn_id

    @cached_property
    def settings(self) -> FiledSettings:
        conn = self.get_connection(self.filed_conn_id)
        return settings_from_connection(
            self.filed_conn_id, host=conn.host, password=conn.password, extra=conn.extra_dejson
        )

    async def asettings(self) -> FiledSettings:
        """The same settings through the async connection lookup (for triggers)."""
        if "settings" not in self.__dict__:
            conn = await self.aget_connection(self.filed_conn_id)
            self.__dict__["settings"] = settings_from_connection(
                self.filed_conn_id, host=conn.host, password=conn.password, extra=conn.extra_dejson
            )
        return self.settings

    @cached_property
    def client(self) -> FiledClient:
        return FiledClient(self.settings.client, on_new_token=_mask)

    def get_conn(self) -> FiledClient:
        return self.client

    async def get_async_client(self) -> AsyncFiledClient:
        """A new async client (the caller closes it) for one trigger run; built off the event loop (the
        first one in a process loads the CA bundle)."""
        config = (await self.asettings()).client
        return await asyncio.to_thread(AsyncFiledClient, config, on_new_token=_mask)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()

    def require(self, value: str | None, name: str) -> str:
        """``value``, or the connection's extra ``name``; a clear error when neither is set."""
        resolved = value or getattr(self.settings, name)
        if not resolved:
            raise FiledConfigurationError(
                f"no {name}: pass it to the task or set the extra {name!r} on connection {self.filed_conn_id!r}"
            )
        return str(resolved)

    def target(
        self, connection_job_id: str, *, workspace_id: str | None = None, connection_id: str | None = None
    ) -> ConnectionJobTarget:
        return ConnectionJobTarget(
            workspace_id=self.require(workspace_id, "workspace_id"),
            connection_id=self.require(connection_id, "connection_id"),
            connection_job_id=connection_job_id,
        )

    def trigger_connection_job(
        self, connection_job_id: str, document: str = TRIGGER_CONNECTION_JOB, already: str = ALREADY_TRIGGERED
    ) -> str:
        """Trigger a connection job; Filed's refusal of a second trigger (``already`` matches its message)
        counts as done, so this is safe to repeat. Returns the job's status, or "already triggered"."""
        try:
            return str(self.client.trigger_connection_job(connection_job_id, document).status)
        except FiledValidationError as exc:
            if not re.search(already, exc.message, re.IGNORECASE):
                raise
            return "already triggered"

    def test_connection(self) -> tuple[bool, str]:
        """Log in, and check that the configured workspace and provider connection are visible."""
        try:
            settings = self.settings
            me = self.client.me([settings.workspace_id] if settings.workspace_id else None)
            if settings.workspace_id and not me.workspaces:
                return False, f"workspace {settings.workspace_id!r} is not visible to this API key"
            if settings.workspace_id and settings.connection_id:
                found = self.client.connections(settings.workspace_id, ConnectionFilters(ids=[settings.connection_id]))
                if not found:
                    return False, f"provider connection {settings.connection_id!r} not found in the workspace"
            return True, f"Connected to Filed as {me.email or me.id}; {len(me.workspaces)} workspace(s) visible"
        except FiledError as exc:
            return False, str(exc)
