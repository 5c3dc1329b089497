"""A local, faithful emulator of the Filed gateway GraphQL API, for tests, benchmarks and demos.

``EmulatorApp`` and ``create_app`` need the ``emulator`` extra and load on first use, so that
``EmulatorConfig`` and the ``filed-emulator`` command import without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_filed.emulator.config import EmulatorConfig

if TYPE_CHECKING:
    from airflow_provider_filed.emulator.app import EmulatorApp, create_app

__all__ = ["EmulatorApp", "EmulatorConfig", "create_app"]


def __getattr__(name: str) -> Any:
    if name in ("EmulatorApp", "create_app"):
        from airflow_provider_filed.emulator import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
