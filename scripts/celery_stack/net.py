"""Free loopback ports, and waiting for a server to listen on one."""

from __future__ import annotations

import socket
import time

from celery_stack.processes import Child


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout_s: float, child: Child | None = None) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; fail if ``child`` exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child is not None and not child.running:
            raise RuntimeError(f"{child.name} exited before listening on port {port}; see {child.log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout_s:.0f}s")
