"""Exactly-once bulk creation of job works and their artifacts, at tax-season scale.

Before writing, an import reads once what Filed already holds (on the whole provider connection, or
only in its connection job) and sends only the rest. A write that fails in a way that may have
landed (timeout, 5xx, dropped connection) is never re-sent blind: the job is read again and only the
missing ``externalId``s are sent — correct whether or not Filed enforces ``externalId`` uniqueness.
Clients that already have a work in another connection job are skipped (or refused, by policy), and
their documents are reported as unattachable once that job no longer accepts them.
"""

from __future__ import annotations

from airflow_provider_filed.client.bulk.artifacts import ArtifactsImport, ArtifactsImportResult, OnUnattachable
from airflow_provider_filed.client.bulk.batches import batched, run_batches
from airflow_provider_filed.client.bulk.held import ConnectionJobTarget, HeldWork, ProgressCallback, read_held_works
from airflow_provider_filed.client.bulk.job_works import (
    ExistingScope,
    JobWorksImport,
    JobWorksImportResult,
    OnExisting,
)

__all__ = [
    "ArtifactsImport",
    "ArtifactsImportResult",
    "ConnectionJobTarget",
    "ExistingScope",
    "HeldWork",
    "JobWorksImport",
    "JobWorksImportResult",
    "OnExisting",
    "OnUnattachable",
    "ProgressCallback",
    "batched",
    "read_held_works",
    "run_batches",
]
