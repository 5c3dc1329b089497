"""The emulator's ``/_emulator/*`` controls over plain httpx, for a server in this process or another.

Imports only httpx: a benchmark drives a separate emulator process without loading the emulator itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

_LOGIN = "mutation Login($apiKey: String!) { loginViaPersonalApiToken(token: $apiKey) { accessToken } }"


@dataclass
class EmulatorControls:
    """Statistics, run-time configuration, reset, partners and logins of the emulator at ``base_url``."""

    base_url: str
    timeout_s: float = 10.0
    _client: httpx.Client | None = field(default=None, init=False, repr=False, compare=False)
    _client_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @property
    def http(self) -> httpx.Client:
        """One shared keep-alive client (building a client per call costs tens of milliseconds)."""
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout_s, trust_env=False)
            return self._client

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _request(self, method: str, path: str, json: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, f"{self.base_url}/_emulator/{path}", json=json)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        """``GET /_emulator/stats``."""
        result: dict[str, Any] = self._request("GET", "stats")
        return result

    def configure(self, **fields: Any) -> dict[str, Any]:
        """``POST /_emulator/config`` with these EmulatorConfig fields; returns the full config."""
        result: dict[str, Any] = self._request("POST", "config", json=fields)
        return result

    def reset(self) -> None:
        """``POST /_emulator/reset``: seeded data, start-time config, no tokens, zeroed stats."""
        self._request("POST", "reset")

    def add_partner(self, api_key: str | None = None) -> dict[str, Any]:
        """``POST /_emulator/partners``: another partner with its own workspace and connection."""
        result: dict[str, Any] = self._request("POST", "partners", json={"api_key": api_key})
        return result

    def login(self, api_key: str) -> str:
        """An access token for ``api_key``, from the GraphQL endpoint."""
        response = self.http.post(f"{self.base_url}/graphql", json={"query": _LOGIN, "variables": {"apiKey": api_key}})
        response.raise_for_status()
        token: str = response.json()["data"]["loginViaPersonalApiToken"]["accessToken"]
        return token
