"""Airflow hooks for Filed."""

from __future__ import annotations

#: The connection every Filed hook, operator and sensor uses unless told otherwise.
DEFAULT_CONN_ID = "filed_default"
