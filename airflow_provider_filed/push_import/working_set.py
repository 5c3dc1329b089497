"""The rows of one import and what Filed already holds, in a temporary SQLite file instead of memory.

A season's export has 100,000 clients and twice as many documents: checking it whole (duplicate
ids, documents of unknown clients) and comparing it with the provider connection happens on disk,
so the planning task's memory stays flat whatever the size of the export.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from airflow_provider_filed.client.listing import Row
from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput, CreateJobWorksInput

_SCHEMA = """
CREATE TABLE client (line INTEGER NOT NULL, external_id TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE document (
    line INTEGER NOT NULL, client TEXT NOT NULL, external_id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (client, external_id)
) WITHOUT ROWID;
CREATE TABLE held (external_id TEXT PRIMARY KEY, job_work_id TEXT NOT NULL, connection_job_id TEXT) WITHOUT ROWID;
CREATE TABLE held_artifact (client TEXT NOT NULL, external_id TEXT NOT NULL, PRIMARY KEY (client, external_id))
    WITHOUT ROWID;
"""


class WorkingSet:
    """Clients and documents of the export, and the provider connection's works, joined on disk."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="filed-plan-")
        self._db = sqlite3.connect(Path(self._dir.name) / "plan.sqlite3", isolation_level=None)
        self._db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-4000;" + _SCHEMA)
        self._db.execute("BEGIN")

    def __enter__(self) -> WorkingSet:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self._db.close()
        self._dir.cleanup()

    def add_clients(
        self, clients: Sequence[tuple[int, CreateJobWorksInput]]
    ) -> list[tuple[int, CreateJobWorksInput, int]]:
        """Record clients ``(line, client)`` in line order; those whose externalId came before, with its first line."""
        rows = [(line, client.external_id, client.name) for line, client in clients]
        firsts = self._insert_new("client", rows, ("external_id",))
        return [(line, client, first) for (line, client), first in zip(clients, firsts, strict=True) if first != line]

    def known_clients(self, external_ids: Iterable[str]) -> set[str]:
        """Which of these externalIds are clients of the export."""
        self._want(external_ids)
        found = self._db.execute(
            "SELECT c.external_id FROM wanted w CROSS JOIN client c ON c.external_id = w.external_id"
        )
        return {external_id for (external_id,) in found}

    def add_documents(
        self, documents: Sequence[tuple[int, str, CreateJobWorkArtifactsInput]]
    ) -> list[tuple[int, str, CreateJobWorkArtifactsInput, int]]:
        """Record documents ``(line, client, document)`` in line order; those whose (client, externalId) pair came
        before, with its first line."""
        rows = [(line, client, document.external_id, document.to_json()) for line, client, document in documents]
        firsts = self._insert_new("document", rows, ("client", "external_id"))
        return [
            (line, client, document, first)
            for (line, client, document), first in zip(documents, firsts, strict=True)
            if first != line
        ]

    def add_held(self, rows: list[Row], prefer_job: str | None) -> None:
        """Record works Filed holds (a listing's rows); a client held twice keeps its work in ``prefer_job``."""
        works = []
        artifacts = []
        for row in rows:
            external_id = (row.get("work") or {}).get("externalId") or row["id"]
            works.append((external_id, row["id"], row.get("connectionJobId"), prefer_job))
            artifacts += [
                (external_id, link["workArtifact"]["externalId"])
                for link in row.get("jobWorkArtifacts") or ()
                if (link.get("workArtifact") or {}).get("externalId")
            ]
        self._db.executemany(
            "INSERT INTO held VALUES (?, ?, ?) ON CONFLICT (external_id) DO UPDATE SET "
            "job_work_id = excluded.job_work_id, connection_job_id = excluded.connection_job_id "
            "WHERE excluded.connection_job_id IS ?4 AND connection_job_id IS NOT ?4",
            works,
        )
        self._db.executemany("INSERT OR IGNORE INTO held_artifact VALUES (?, ?)", artifacts)

    def count(self, sql: str, *params: Any) -> int:
        return int(self._db.execute(sql, params).fetchone()[0])

    def counts(self) -> tuple[int, int]:
        """Clients and documents in the export."""
        return self.count("SELECT COUNT(*) FROM client"), self.count("SELECT COUNT(*) FROM document")

    def new_clients(self) -> Iterator[tuple[str, str]]:
        """``(externalId, name)`` of clients Filed does not hold, in file order."""
        yield from self._db.execute(
            "SELECT c.external_id, c.name FROM client c LEFT JOIN held h USING (external_id) "
            "WHERE h.external_id IS NULL ORDER BY c.line"
        )

    def held_clients(self, *, in_job: str | None, limit: int) -> tuple[int, list[str]]:
        """How many clients of the export Filed holds in another connection job than ``in_job``, and the
        first ``limit`` of them in file order."""
        held = "FROM client c JOIN held h USING (external_id) WHERE h.connection_job_id IS NOT ?"
        first = self._db.execute(f"SELECT c.external_id {held} ORDER BY c.line LIMIT ?", (in_job, limit))
        return self.count(f"SELECT COUNT(*) {held}", in_job), [row[0] for row in first]

    def documents_of(self, clients: Iterable[str]) -> Iterator[tuple[str, str]]:
        """``(client, document JSON)`` of these clients' documents, in file order."""
        self._want(clients)
        return self._db.execute(
            "SELECT d.client, d.body FROM wanted w CROSS JOIN document d ON d.client = w.external_id ORDER BY d.line"
        )

    def missing_documents(self, job: str | None, *, in_job: bool) -> Iterator[tuple[str, str, str]]:
        """``(client, document externalId, document JSON)`` of documents Filed lacks, for clients it holds in ``job``
        (``in_job``) or in any other connection job (not ``in_job``: those can no longer be attached)."""
        comparison = "IS" if in_job else "IS NOT"
        yield from self._db.execute(
            "SELECT d.client, d.external_id, d.body FROM document d JOIN held h ON h.external_id = d.client "
            "LEFT JOIN held_artifact a ON a.client = d.client AND a.external_id = d.external_id "
            f"WHERE a.client IS NULL AND h.connection_job_id {comparison} ? ORDER BY d.line",
            (job,),
        )

    def present_documents(self) -> int:
        """Documents of the export Filed already holds."""
        return self.count(
            "SELECT COUNT(*) FROM document d JOIN held_artifact a ON a.client = d.client AND a.external_id = d.external_id"
        )

    def _insert_new(self, table: str, rows: list[tuple[Any, ...]], key: tuple[str, ...]) -> list[int]:
        """Insert ``rows`` (line first, then ``key``'s columns) whose key is not recorded yet; each row's first
        line (its own when it was new). The lookups run only when the insert skipped some rows."""
        if not rows:
            return []
        values = ", ".join("?" * len(rows[0]))
        if self._db.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({values})", rows).rowcount == len(rows):
            return [row[0] for row in rows]
        where = " AND ".join(f"{column} = ?" for column in key)
        return [self._line(f"SELECT line FROM {table} WHERE {where}", *row[1 : 1 + len(key)]) for row in rows]

    def _want(self, external_ids: Iterable[str]) -> None:
        """Fill the ``wanted`` table, which queries join as their outer loop (``CROSS JOIN``: SQLite keeps that
        order), so a batch costs its own lookups rather than a scan of the export."""
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (external_id TEXT PRIMARY KEY) WITHOUT ROWID")
        self._db.execute("DELETE FROM wanted")
        self._db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", ((e,) for e in external_ids))

    def _line(self, sql: str, *params: Any) -> int:
        return int(self._db.execute(sql, params).fetchone()[0])
