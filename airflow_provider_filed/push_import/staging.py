"""Staged batches: each mapped task's clients and documents, written once by the plan, read by reference.

Client lists never travel through XCom: the plan writes one JSON-lines file of clients and one JSON
file of documents per batch under the run's staging folder (a local path or an object-storage URI that
every worker can read), and the mapped tasks receive only their URIs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from airflow_provider_filed.push_import.files import storage_path

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

#: Compact JSON (the C encoder, built once rather than per call as ``json.dumps(..., separators=...)`` does).
_COMPACT = json.JSONEncoder(separators=(",", ":"))

#: The staging folder, when none is given: next to the client export (a place every worker can read).
DEFAULT_FOLDER = "filed-staging"


class StagedBatch(BaseModel):
    """One mapped task's share, by reference: the URIs of its clients and of their documents (None: none)."""

    works: str | None
    artifacts: str | None


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", part).strip("_") or "run"


class StagingArea:
    """The staging folder of one DAG run: ``{root}/{dag_id}/{run_id}/batch-00001-works.jsonl`` and so on."""

    def __init__(self, root: str | Path | ObjectStoragePath, dag_id: str, run_id: str, conn_id: str | None = None):
        self.folder = storage_path(root, conn_id) / _safe(dag_id) / _safe(run_id)

    @property
    def uri(self) -> str:
        """Where the batches are: a path, or a URI that carries its storage connection (``s3://conn@bucket/…``)."""
        return str(self.folder)

    def clear(self) -> None:
        """Remove what an earlier attempt staged, so a re-plan starts clean."""
        remove_staging(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def write_batch(self, index: int, clients: Sequence[Mapping[str, str]], documents: str | None) -> StagedBatch:
        """Write one batch's clients (JSON lines) and documents (:func:`documents_json`'s text; None: none)."""
        works = self.folder / f"batch-{index:05d}-works.jsonl"
        artifacts = self.folder / f"batch-{index:05d}-artifacts.json"
        if clients:
            with works.open("w", encoding="utf-8") as handle:
                handle.writelines(_COMPACT.encode(client) + "\n" for client in clients)
        if documents:
            with artifacts.open("w", encoding="utf-8") as handle:
                handle.write(documents)
        return StagedBatch(works=str(works) if clients else None, artifacts=str(artifacts) if documents else None)


def documents_json(documents: Iterable[tuple[str, str]]) -> tuple[str | None, int]:
    """``{client: [document, …]}`` as JSON text, from ``(client, document JSON)`` pairs in file order, each
    document's text used as it is (not parsed again); None when there are none. Also how many documents."""
    by_client: dict[str, list[str]] = {}
    for client, document in documents:
        by_client.setdefault(client, []).append(document)
    if not by_client:
        return None, 0
    parts = [f"{_COMPACT.encode(client)}:[{','.join(texts)}]" for client, texts in by_client.items()]
    return "{" + ",".join(parts) + "}", sum(map(len, by_client.values()))


def remove_staging(folder: str | Path | ObjectStoragePath, conn_id: str | None = None) -> None:
    """Delete a run's staging folder and everything in it (nothing if it is not there)."""
    path = storage_path(folder, conn_id)
    if not path.exists():
        return
    if isinstance(path, Path):
        import shutil

        shutil.rmtree(path)
    else:
        path.rmdir(recursive=True)
