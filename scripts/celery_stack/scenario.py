"""What every script that drives a ``CeleryStack`` does around its own checks.

``import_arguments`` makes a parser with the import's sizes; ``import_files`` writes a firm's exports for ``filed_tax_season_import`` (the format the DAG tests use) and
returns the run's ``conf``; ``run_scenario`` starts the stack, runs the script's scenario on it and stops
everything it started, on success, failure or Ctrl-C, printing one verdict and returning the exit code.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from celery_stack.airflow_config import REPO
from celery_stack.processes import ignore_termination, raise_on_termination
from celery_stack.stack import CeleryStack, say

#: The scenario: runs on a started stack, returns the failed checks (empty: passed).
Scenario = Callable[[CeleryStack], list[str]]


def import_arguments(description: str | None, clients: int) -> argparse.ArgumentParser:
    """A script's argument parser with the import's sizes and the run's time limit (``clients`` by default)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=clients, help=f"clients to import (default {clients:,})")
    parser.add_argument("--docs-per-client", type=int, default=2, help="documents per client (default 2)")
    parser.add_argument("--batch-size", type=int, default=250, help="clients per mapped import_batch (default 250)")
    parser.add_argument("--timeout-s", type=float, default=1800, help="give up on the run after this long")
    return parser


def import_files(stack: CeleryStack, clients: int, docs_per_client: int, batch_size: int) -> dict[str, Any]:
    """Write ``clients`` clients with ``docs_per_client`` documents each under the stack's folder; the run's conf."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.dags.exports import write_exports

    data = stack.root / "data"
    clients_path, documents_path = write_exports(data, clients, docs_per_client=docs_per_client)
    say(f"wrote {clients:,} clients and {clients * docs_per_client:,} documents to {data.relative_to(REPO)}/")
    return {"clients_path": str(clients_path), "documents_path": str(documents_path), "batch_size": batch_size}


def run_scenario(stack: CeleryStack, scenario: Scenario, begun: float | None = None) -> int:
    """Start ``stack``, run ``scenario``, stop everything; 0 if every check passed, 1 on failure, 130 on Ctrl-C."""
    begun = time.monotonic() if begun is None else begun
    raise_on_termination()
    try:
        with stack:
            failed = scenario(stack)
            versions = stack.deployment.versions()
    except KeyboardInterrupt as interrupt:
        ignore_termination()
        say(f"interrupted ({interrupt or 'SIGINT'}); everything started was stopped")
        return 130
    except (RuntimeError, TimeoutError, OSError) as error:
        ignore_termination()
        say(f"FAILED: {error}")
        say(f"everything started was stopped; logs in {stack.logs.relative_to(REPO)}/")
        return 1
    ignore_termination()
    print("  versions            " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"  logs                {stack.logs.relative_to(REPO)}/")
    if failed:
        for problem in failed:
            say(f"FAILED: {problem}")
        return 1
    say(f"passed in {time.monotonic() - begun:.0f}s; every process started was stopped")
    return 0
