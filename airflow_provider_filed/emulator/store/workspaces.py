"""Workspaces (tax firms), their users, and provider connections: partner set-up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_filed.emulator.errors import bad_input
from airflow_provider_filed.emulator.models import (
    CONNECTION_ACTIVE,
    CONNECTION_FAILED,
    CONNECTION_PENDING,
    Partner,
    ProviderConnection,
    User,
    Workspace,
)
from airflow_provider_filed.emulator.paging import Page, window
from airflow_provider_filed.emulator.store.state import StoreState, json_object, required_text

FIRM_SIZES = ("xs", "sm", "md", "lg", "xl")
SEED_PROVIDER_KEY = "partner-push"
PROVIDERS: dict[str, dict[str, str]] = {
    SEED_PROVIDER_KEY: {"name": "Partner push import", "category": "partner"},
}
WORKSPACE_STATUS = "active"
WORKSPACE_TYPE = "partner"


class Workspaces(StoreState):
    """``createWorkspace``, ``addUsersToTheWorkspace``, ``start``/``collectProviderConnection``, and their reads."""

    def _add_workspace(
        self,
        partner: Partner,
        ident: tuple[int, str],
        display_name: str,
        created: float,
        *,
        metadata: Any = None,
        firm_size: str | None = None,
        users: Sequence[User] = (),
    ) -> Workspace:
        """Record a workspace of ``partner`` with ``ident`` (sequence number, id)."""
        seq, workspace_id = ident
        workspace = Workspace(
            id=workspace_id,
            seq=seq,
            partnerId=partner.id,
            slug=self._unique_slug(display_name),
            displayName=display_name,
            status=WORKSPACE_STATUS,
            workspaceType=WORKSPACE_TYPE,
            metadata=metadata,
            firmSize=firm_size,
            createdAt=created,
            users=list(users),
        )
        self._workspaces[workspace.id] = workspace
        partner.workspaces.append(workspace)
        return workspace

    def _add_connection(
        self,
        workspace: Workspace,
        ident: tuple[int, str],
        provider_key: str,
        created: float,
        *,
        status: str,
        start_inputs: dict[str, Any],
        settings: Any = None,
    ) -> ProviderConnection:
        """Record a provider connection of ``workspace``; ``collect`` pending unless it starts active."""
        seq, connection_id = ident
        provider = dict(PROVIDERS.get(provider_key, {"name": provider_key, "category": "partner"}))
        display_name = start_inputs.get("displayName")
        connection = ProviderConnection(
            id=connection_id,
            seq=seq,
            partnerId=workspace.partnerId,
            workspaceId=workspace.id,
            providerKey=provider_key,
            status=status,
            action=None if status == CONNECTION_ACTIVE else "collect",
            displayName=display_name if isinstance(display_name, str) else provider["name"],
            settings=settings,
            provider=provider,
            createdAt=created,
            start_inputs=start_inputs,
        )
        self._connections[connection.id] = connection
        workspace.connection_list.append(connection)
        return connection

    def workspaces(self, partner: Partner, ids: Sequence[str] | None) -> list[Workspace]:
        with self._lock:
            if ids is None:
                return list(partner.workspaces)
            wanted = set(ids)
            return [workspace for workspace in partner.workspaces if workspace.id in wanted]

    def create_workspace(self, partner: Partner, display_name: str, metadata: Any, firm_size: str | None) -> Workspace:
        name = required_text(display_name, "displayName").strip()
        if firm_size is not None and firm_size not in FIRM_SIZES:
            raise bad_input(f"firmSize must be one of {', '.join(FIRM_SIZES)}, got {firm_size!r}", field="firmSize")
        with self._lock:
            ident = self._new_id("workspace")
            return self._add_workspace(
                partner, ident, name, self._timestamp(), metadata=metadata, firm_size=firm_size, users=[partner.user]
            )

    def add_users(self, partner: Partner, workspace_id: str, emails: Sequence[str]) -> list[User]:
        """Add users by email (an email already in the workspace returns that user); all-or-nothing."""
        cleaned = [email.strip() for email in emails]
        for email in cleaned:
            local, at, domain = email.partition("@")
            if not (local and at and domain):
                raise bad_input(f"invalid email {email!r}", field="userEmails")
        with self._lock:
            workspace = self._workspace_for(partner, workspace_id)
            by_email = {user.email.lower(): user for user in workspace.users}
            result: list[User] = []
            for email in cleaned:
                user = by_email.get(email.lower())
                if user is None:
                    user = User(id=self._next_id("user"), email=email, name=email.partition("@")[0], role="member")
                    workspace.users.append(user)
                    by_email[email.lower()] = user
                result.append(user)
            return result

    def start_connection(
        self, partner: Partner, workspace_id: str, provider_key: str, inputs: Any
    ) -> ProviderConnection:
        key = required_text(provider_key, "providerKey").strip()
        start_inputs = json_object(inputs, "inputs")
        with self._lock:
            workspace = self._workspace_for(partner, workspace_id)
            ident = self._new_id("connection")
            return self._add_connection(
                workspace, ident, key, self._timestamp(), status=CONNECTION_PENDING, start_inputs=start_inputs
            )

    def collect_connection(self, partner: Partner, connection_id: str, inputs: Any) -> ProviderConnection:
        """Verify a connection: active with its settings echoed, or failed when inputs say ``fail``."""
        collect_inputs = json_object(inputs, "inputs")
        with self._lock:
            connection = self._connection_for(partner, connection_id)
            if collect_inputs.get("fail") is True:
                connection.status = CONNECTION_FAILED
                connection.action = "collect"
            else:
                connection.status = CONNECTION_ACTIVE
                connection.action = None
                connection.settings = {**connection.start_inputs, **collect_inputs}
            connection.updatedAt = self._timestamp()
            return connection

    def list_connections(
        self, workspace: Workspace, filters: Mapping[str, Any] | None, page: Page
    ) -> list[ProviderConnection]:
        with self._lock:
            items: list[ProviderConnection] = list(workspace.connection_list)
        filters = filters or {}
        if filters.get("ids") is not None:
            ids = set(filters["ids"])
            items = [c for c in items if c.id in ids]
        if filters.get("statuses") is not None:
            statuses = {status.lower() for status in filters["statuses"]}
            items = [c for c in items if c.status.lower() in statuses]
        if filters.get("providerKeys") is not None:
            keys = set(filters["providerKeys"])
            items = [c for c in items if c.providerKey in keys]
        if filters.get("categories") is not None:
            categories = set(filters["categories"])
            items = [c for c in items if c.provider["category"] in categories]
        return window(items, page)
