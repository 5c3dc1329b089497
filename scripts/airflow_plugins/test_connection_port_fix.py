"""``make airflow`` only: the connection list's Test button on a connection without a port.

Airflow 3.3.2's UI posts ``port: Number(null)``, i.e. ``0``, and the API server then refuses the test:
"The host or port to test differs from the stored connection" (every ``filed`` connection has no port).
apache/airflow#73298 fixed it after 3.3.2 by treating port 0 like a blank one; this plugin applies the same
rule in the API server until a release has it, and does nothing on an Airflow that already does.
"""

from __future__ import annotations

import contextlib

from airflow.plugins_manager import AirflowPlugin


def _backport() -> None:
    from airflow.api_fastapi.core_api.routes.public import connections

    original = connections._same_endpoint
    if original(0, None):
        return

    def same_endpoint(requested: str | int | None, stored: str | int | None) -> bool:
        return bool(original(None if requested == 0 else requested, None if stored == 0 else stored))

    connections._same_endpoint = same_endpoint


with contextlib.suppress(ImportError, AttributeError):
    _backport()


class TestConnectionPortFix(AirflowPlugin):
    """Registers the backport under a name ``airflow plugins`` lists."""

    name = "filed_dev_test_connection_port_fix"
