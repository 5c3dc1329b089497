"""The Filed client: no Airflow import, usable from any Python program.

``FiledClient`` (blocking, thread-safe) and ``AsyncFiledClient`` drive the operations in
:mod:`.operations`; :mod:`.bulk` creates job works and artifacts exactly once at scale.
"""

from __future__ import annotations

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
