"""Run the emulator in a background thread for tests and benchmarks, and drive its controls over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from airflow_provider_filed.emulator.app import create_app
from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.server import DESCRIPTION_KEYS, base_url, bind_socket, describe, make_server

STARTUP_TIMEOUT_S = 15.0
_LOGIN = "mutation Login($apiKey: String!) { loginViaPersonalApiToken(token: $apiKey) { accessToken } }"


@dataclass
class EmulatorHandle:
    """A running emulator: where it is, its seeded ids, and its ``/_emulator/*`` controls."""

    url: str
    base_url: str
    api_key: str
    workspace_id: str
    workspace_slug: str
    connection_id: str
    api_keys: list[str] = field(default_factory=list)
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

    def describe(self) -> dict[str, Any]:
        """Where it is and its seeded ids, as ``filed-emulator`` prints them on start."""
        return {key: getattr(self, key) for key in DESCRIPTION_KEYS}

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _request(self, method: str, path: str, json: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, f"{self.base_url}{path}", json=json)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        """``GET /_emulator/stats``."""
        result: dict[str, Any] = self._request("GET", "/_emulator/stats")
        return result

    def configure(self, **fields: Any) -> dict[str, Any]:
        """``POST /_emulator/config`` with these EmulatorConfig fields; returns the full config."""
        result: dict[str, Any] = self._request("POST", "/_emulator/config", json=fields)
        return result

    def reset(self) -> None:
        """``POST /_emulator/reset``: seeded data, start-time config, no tokens, zeroed stats."""
        self._request("POST", "/_emulator/reset")

    def add_partner(self, api_key: str | None = None) -> dict[str, Any]:
        """``POST /_emulator/partners``: another partner with its own workspace and connection."""
        result: dict[str, Any] = self._request("POST", "/_emulator/partners", json={"api_key": api_key})
        return result

    def login(self, api_key: str | None = None) -> str:
        """An access token for ``api_key`` (default: the seeded key)."""
        response = self.http.post(self.url, json={"query": _LOGIN, "variables": {"apiKey": api_key or self.api_key}})
        response.raise_for_status()
        token: str = response.json()["data"]["loginViaPersonalApiToken"]["accessToken"]
        return token


@contextmanager
def run_emulator(
    api_keys: list[str] | None = None,
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
) -> Iterator[EmulatorHandle]:
    """Serve an emulator on a free port of ``host`` in a daemon thread until the block exits."""
    app = create_app(api_keys=api_keys, config=config)
    sock = bind_socket(host, 0)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="filed-emulator", daemon=True)
    thread.start()
    try:
        root = base_url(sock)
        _wait_until_serving(server, thread, root)
        handle = EmulatorHandle(**describe(root, app.seed))
        try:
            yield handle
        finally:
            handle.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_until_serving(server: uvicorn.Server, thread: threading.Thread, root: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the Filed emulator stopped during start-up")
        if time.monotonic() > deadline:
            raise TimeoutError("the Filed emulator did not start in time")
        time.sleep(0.01)
    httpx.get(f"{root}/_emulator/seed", timeout=5, trust_env=False).raise_for_status()
