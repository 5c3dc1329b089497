"""The Filed client: no Airflow import, usable from any Python program.

``FiledClient`` (blocking, thread-safe) and ``AsyncFiledClient`` drive the operations in
:mod:`.operations`; :mod:`.bulk` creates job works and artifacts exactly once at scale. Names are
imported on first use, so a DAG file that imports an operator does not pay for httpx and pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_filed.client.async_client import AsyncFiledClient
    from airflow_provider_filed.client.bulk import (
        ArtifactsImport,
        ArtifactsImportResult,
        ConnectionJobTarget,
        JobWorksImport,
        JobWorksImportResult,
    )
    from airflow_provider_filed.client.config import FiledClientConfig, load_config
    from airflow_provider_filed.client.errors import (
        FiledAuthError,
        FiledConfigurationError,
        FiledConflictError,
        FiledError,
        FiledInputError,
        FiledNotFoundError,
        FiledPartialImportError,
        FiledRateLimitedError,
        FiledServerError,
        FiledTransportError,
        FiledValidationError,
    )
    from airflow_provider_filed.client.progress import JobWorksSummary, job_works_progress
    from airflow_provider_filed.client.retry import RetrySettings
    from airflow_provider_filed.client.statuses import StatusSets
    from airflow_provider_filed.client.sync_client import FiledClient

_HOMES = {
    "AsyncFiledClient": "async_client",
    "ArtifactsImport": "bulk",
    "ArtifactsImportResult": "bulk",
    "ConnectionJobTarget": "bulk",
    "JobWorksImport": "bulk",
    "JobWorksImportResult": "bulk",
    "FiledClientConfig": "config",
    "load_config": "config",
    "FiledAuthError": "errors",
    "FiledConfigurationError": "errors",
    "FiledConflictError": "errors",
    "FiledError": "errors",
    "FiledInputError": "errors",
    "FiledNotFoundError": "errors",
    "FiledPartialImportError": "errors",
    "FiledRateLimitedError": "errors",
    "FiledServerError": "errors",
    "FiledTransportError": "errors",
    "FiledValidationError": "errors",
    "JobWorksSummary": "progress",
    "job_works_progress": "progress",
    "RetrySettings": "retry",
    "StatusSets": "statuses",
    "FiledClient": "sync_client",
}

__all__ = [
    "ArtifactsImport",
    "ArtifactsImportResult",
    "AsyncFiledClient",
    "ConnectionJobTarget",
    "FiledAuthError",
    "FiledClient",
    "FiledClientConfig",
    "FiledConfigurationError",
    "FiledConflictError",
    "FiledError",
    "FiledInputError",
    "FiledNotFoundError",
    "FiledPartialImportError",
    "FiledRateLimitedError",
    "FiledServerError",
    "FiledTransportError",
    "FiledValidationError",
    "JobWorksImport",
    "JobWorksImportResult",
    "JobWorksSummary",
    "RetrySettings",
    "StatusSets",
    "job_works_progress",
    "load_config",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
