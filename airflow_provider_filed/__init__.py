"""Apache Airflow provider for Filed, the tax-preparation platform."""

from __future__ import annotations

__version__ = "0.1.0"
