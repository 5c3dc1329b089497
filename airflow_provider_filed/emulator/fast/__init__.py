"""The emulator's fast path: hot operations compiled once per document and run straight against the store."""

from __future__ import annotations

from airflow_provider_filed.emulator.fast.plan import BoundPlan, Plan, compile_plan

__all__ = ["BoundPlan", "Plan", "compile_plan"]
