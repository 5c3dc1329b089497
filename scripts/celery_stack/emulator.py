"""The Filed emulator as a named child: ``filed-emulator`` on a free port, its start-up line read back.

The emulator prints one JSON line first (its URL, API key, seeded workspace and connection); the rest of
its output goes to the same log file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from celery_stack.processes import ProcessGroups, venv_tool

STARTUP_TIMEOUT_S = 30.0


def start_emulator(
    processes: ProcessGroups, args: Sequence[str], log: Path, timeout_s: float = STARTUP_TIMEOUT_S
) -> dict[str, Any]:
    """Start the emulator as ``emulator`` with ``args`` on a free port (output to ``log``); its start-up line."""
    log.unlink(missing_ok=True)
    child = processes.start("emulator", [venv_tool("filed-emulator"), "--port", "0", *args], log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and child.running:
        first = log.read_text(errors="replace").splitlines()[:1] if log.exists() else []
        if first and first[0].startswith("{"):
            seed: dict[str, Any] = json.loads(first[0])
            return seed
        time.sleep(0.2)
    raise RuntimeError(f"the Filed emulator did not start; see {log}")
