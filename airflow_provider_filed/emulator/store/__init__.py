"""The in-memory Filed data: partner -> workspaces -> connections -> jobs -> job works -> artifacts.

One lock guards every change; per-connection and per-job lists in creation order keep reads cheap.
:class:`Store` is the resources put together (``sessions``, ``workspaces``, ``imports``, ``stats``, ``views``, over
the shared ``state``) plus the seeded partner a reset returns to.
"""

from __future__ import annotations

import functools
import gc
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from airflow_provider_filed.emulator.errors import bad_input
from airflow_provider_filed.emulator.models import CONNECTION_ACTIVE, Partner, User
from airflow_provider_filed.emulator.store.imports import Imports
from airflow_provider_filed.emulator.store.state import slugify
from airflow_provider_filed.emulator.store.stats import DataStats
from airflow_provider_filed.emulator.store.views import Views
from airflow_provider_filed.emulator.store.workspaces import SEED_PROVIDER_KEY, Workspaces

__all__ = ["SeedInfo", "Store", "slugify"]


@dataclass(frozen=True, slots=True)
class SeedInfo:
    """What a script needs to talk to a seeded partner."""

    partner_id: str
    api_keys: tuple[str, ...]
    user_id: str
    workspace_id: str
    workspace_slug: str
    connection_id: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, with the first API key also as ``api_key``."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**values, "api_key": self.api_keys[0], "api_keys": list(self.api_keys)}


#: A reset that drops at least this many job works collects their records at once. Records reference each
#: other (a connection job and its job works), so only the cyclic garbage collector frees them; left to run
#: when it will, that collection lands in a request of the next import (measured: an import's emulator CPU
#: 0.31-0.77 s after a 10,000-client reset, 0.28-0.44 s with the collection done at the reset).
COLLECT_AFTER_RESET = 1_000


class Store(Workspaces, Imports, DataStats, Views):
    """Thread-safe in-memory state of one emulated Filed gateway."""

    def __init__(self, api_keys: Sequence[str]) -> None:
        if not api_keys:
            raise ValueError("at least one API key is required")
        super().__init__()
        self._install_seed = self._plan_partner(1, tuple(api_keys))
        self.reset()

    def _plan_partner(self, number: int, api_keys: tuple[str, ...]) -> Callable[[], SeedInfo]:
        """Reserve a partner's ids and creation time now; what it returns installs the partner (again at each reset)."""
        ids = self._next_id("partner"), self._next_id("user"), self._new_id("workspace"), self._new_id("connection")
        return functools.partial(self._install_partner, number, api_keys, *ids, self._timestamp())

    def _install_partner(
        self,
        number: int,
        api_keys: tuple[str, ...],
        partner_id: str,
        user_id: str,
        workspace_ident: tuple[int, str],
        connection_ident: tuple[int, str],
        created_at: float,
    ) -> SeedInfo:
        suffix = "" if number == 1 else f" {number}"
        user = User(
            id=user_id,
            email=f"partner{number}@partner.filed.emulator",
            name=f"Demo Partner{suffix}",
            role="owner",
        )
        partner = Partner(id=partner_id, name=f"Demo Partner{suffix}", user=user, api_keys=list(api_keys))
        self._partners[partner.id] = partner
        for key in api_keys:
            self._partner_by_key[key] = partner
        workspace = self._add_workspace(
            partner, workspace_ident, f"Demo Tax Firm{suffix}", created_at, firm_size="sm", users=[user]
        )
        connection = self._add_connection(
            workspace,
            connection_ident,
            SEED_PROVIDER_KEY,
            created_at,
            status=CONNECTION_ACTIVE,
            start_inputs={},
            settings={},
        )
        return SeedInfo(
            partner_id=partner.id,
            api_keys=api_keys,
            user_id=user.id,
            workspace_id=workspace.id,
            workspace_slug=workspace.slug,
            connection_id=connection.id,
        )

    def reset(self) -> SeedInfo:
        """Back to the seeded partner, workspace and connection, with the same ids and API keys."""
        with self._lock:
            dropped = len(self._job_works)
            self._clear()
            seed = self.seed = self._install_seed()
        if dropped >= COLLECT_AFTER_RESET:
            gc.collect()
        return seed

    def add_partner(self, api_key: str | None = None) -> SeedInfo:
        """Another partner (with its own workspace and active connection), to test isolation."""
        with self._lock:
            key = api_key or f"filed-emulator-{secrets.token_hex(16)}"
            if key in self._partner_by_key:
                raise bad_input("API key already belongs to a partner")
            return self._plan_partner(len(self._partners) + 1, (key,))()
