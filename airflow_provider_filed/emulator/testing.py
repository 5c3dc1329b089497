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
from airflow_provider_filed.emulator.controls import EmulatorControls
from airflow_provider_filed.emulator.server import DESCRIPTION_KEYS, base_url, bind_socket, describe, make_server

STARTUP_TIMEOUT_S = 15.0


@dataclass(kw_only=True)
class EmulatorHandle(EmulatorControls):
    """A running emulator: where it is, its seeded ids, and its ``/_emulator/*`` controls."""

    url: str
    api_key: str
    workspace_id: str
    workspace_slug: str
    connection_id: str
    api_keys: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """Where it is and its seeded ids, as ``filed-emulator`` prints them on start."""
        return {key: getattr(self, key) for key in DESCRIPTION_KEYS}

    def login(self, api_key: str | None = None) -> str:
        """An access token for ``api_key`` (default: the seeded key)."""
        return super().login(api_key or self.api_key)


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
