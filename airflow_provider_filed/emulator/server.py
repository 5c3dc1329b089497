"""Serving an :class:`EmulatorApp` with uvicorn on a pre-bound socket, so port 0 yields a known port."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import socket
import sys
from typing import Any

import uvicorn

from airflow_provider_filed.emulator.app import EmulatorApp
from airflow_provider_filed.emulator.store import SeedInfo

#: What a client needs to reach a served emulator: ``filed-emulator``'s JSON line, ``EmulatorHandle``'s fields.
DESCRIPTION_KEYS = ("url", "base_url", "api_key", "api_keys", "workspace_id", "workspace_slug", "connection_id")


def describe(root: str, seed: SeedInfo) -> dict[str, Any]:
    """The :data:`DESCRIPTION_KEYS` of an emulator served at ``root`` (``http://host:port``)."""
    values = (f"{root}/graphql", root, seed.api_keys[0], list(seed.api_keys), seed.workspace_id)
    return dict(zip(DESCRIPTION_KEYS, (*values, seed.workspace_slug, seed.connection_id), strict=True))


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on ``host:port`` (0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only for an explicit TCP
    # socket; without it every answer on a kept-alive connection waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket, bracketing IPv6 hosts."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(app: EmulatorApp) -> uvicorn.Server:
    """A quiet uvicorn server: warnings only, no access log, no lifespan."""
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


#: Allocations between young collections in a serving process (CPython's default is 700).
YOUNG_COLLECTION_THRESHOLD = 50_000


def tune_gc() -> None:
    """Collect garbage less often in a process that only serves the emulator.

    The store keeps every record it creates; with CPython's default thresholds a 10,000-client import
    re-scans that growing heap so often that collections take ~40 % of the emulator's CPU. Records live
    until ``reset`` anyway; only garbage cycles wait a little longer to be freed.
    """
    gc.collect()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


async def serve(app: EmulatorApp, host: str, port: int) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, printing :func:`describe`'s JSON line to stdout once serving."""
    tune_gc()
    sock = bind_socket(host, port)
    server = make_server(app)
    for sig in (signal.SIGINT, signal.SIGTERM):
        # uvicorn swaps in its own handlers while serving and re-raises the signal on exit: land it here.
        signal.signal(sig, lambda *_: None)
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if server.started:
        sys.stdout.write(json.dumps(describe(base_url(sock), app.seed)) + "\n")
        sys.stdout.flush()
    try:
        await serving
    finally:
        sock.close()
