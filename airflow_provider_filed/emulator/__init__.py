"""A local, faithful emulator of the Filed gateway GraphQL API, for tests, benchmarks and demos."""

from __future__ import annotations

from airflow_provider_filed.emulator.app import EmulatorApp, create_app
from airflow_provider_filed.emulator.config import EmulatorConfig

__all__ = ["EmulatorApp", "EmulatorConfig", "create_app"]
