"""What one run of a recurring import must do, decided before anything is written to Filed.

The firm's export is the whole, growing client list. The plan validates it whole (every problem, with
its line, before any request), reads once what the provider connection already holds, and stages
only what is new: clients without a work, and documents still missing on works of the connection job
this DAG left open. Clients imported by an earlier job are skipped; their missing documents are
reported as unattachable (that job no longer accepts them). Nothing new means no batch at all.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from airflow_provider_filed.client import documents as gql
from airflow_provider_filed.client.errors import FiledInputError, InputProblem
from airflow_provider_filed.client.inputs import parse_rows
from airflow_provider_filed.client.listing import JobWorksScope, Row, list_job_works
from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput, CreateJobWorksInput, normalise_text
from airflow_provider_filed.push_import import ledger
from airflow_provider_filed.push_import.files import DEFAULT_ENCODING, iter_rows, storage_path
from airflow_provider_filed.push_import.staging import (
    DEFAULT_FOLDER,
    StagedBatch,
    StagingArea,
    documents_json,
    remove_staging,
)
from airflow_provider_filed.push_import.working_set import WorkingSet

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    from airflow_provider_filed.hooks.filed import FiledHook

log = logging.getLogger(__name__)

CLIENT_COLUMNS = ("externalId", "name")
DOCUMENT_COLUMNS = ("clientExternalId", "externalId", "name", "type", "url")
#: A document row's own fields (its client is the rest), in the order a row's problems are named.
DOCUMENT_FIELDS = ("name", "type", "url", "externalId")
IDS_SHOWN = 20
#: Rows validated in one call to pydantic and recorded in one batch while reading an export.
ROWS_PER_CHUNK = 1_000
#: Problems kept in memory while reading (every one is counted; the first 20 are shown).
PROBLEMS_KEPT = 1_000


class ImportPlan(BaseModel):
    """JSON-safe: what the export holds, what Filed holds of it, and the staged batches of what is left."""

    clients: int
    documents: int
    new_clients: int
    skipped_existing: int = Field(description="clients already imported by an earlier connection job")
    skipped_external_ids: list[str] = Field(default_factory=list, description=f"the first {IDS_SHOWN}")
    connection_job_id: str | None = Field(description="the connection job this DAG left open, which the run reuses")
    in_open_job: int = Field(description="clients of the export already in that open job")
    documents_to_attach: int
    documents_already_present: int
    unattachable: int = Field(description="documents of skipped clients that Filed lacks: their job is closed")
    unattachable_external_ids: list[str] = Field(default_factory=list, description="client/document, the first 20")
    expected_works: int = Field(description="job works the connection job holds once the batches are in")
    batches: list[StagedBatch]
    staging: str | None

    @property
    def nothing_to_import(self) -> bool:
        return not self.batches


class _Problems:
    """Every problem of a file, counted; the first :data:`PROBLEMS_KEPT` kept."""

    def __init__(self) -> None:
        self.kept: list[InputProblem] = []
        self.count = 0

    def add(self, *problems: InputProblem) -> None:
        self.count += len(problems)
        self.kept += problems[: max(0, PROBLEMS_KEPT - len(self.kept))]

    def raise_if_any(self, source: str) -> None:
        if self.count:
            raise FiledInputError(self.kept, source=source, total=self.count)


#: Columns a row may spell in snake_case too (``external_id`` for ``externalId``).
_SNAKE = {"externalId": "external_id", "clientExternalId": "client_external_id"}


def _field(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name)
    return row.get(_SNAKE[name]) if value is None and name in _SNAKE else value


def _present(row: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The row's values of these fields, in camelCase; a missing one is left out, so it reads "is required"."""
    return {name: value for name in names if (value := _field(row, name)) is not None}


def read_clients(
    working: WorkingSet, location: str | Path | ObjectStoragePath, conn_id: str | None, encoding: str = DEFAULT_ENCODING
) -> None:
    """Validate every client of the export into ``working``: fields, and duplicate externalIds across the file."""
    problems = _Problems()
    rows = iter_rows(location, required=CLIENT_COLUMNS, conn_id=conn_id, encoding=encoding)
    for chunk in _chunks(rows, ROWS_PER_CHUNK):
        problems.add(*_read_client_chunk(working, chunk))
    problems.raise_if_any(f"clients {location}")
    if working.counts()[0] == 0:
        raise FiledInputError("the client list is empty: nothing to import", source=f"clients {location}")


def _read_client_chunk(working: WorkingSet, chunk: list[tuple[int, Any]]) -> list[InputProblem]:
    """Some rows of the clients file, validated in one call and recorded in one batch; their problems."""
    lines = [line for line, _ in chunk]
    fields = [_present(row, CLIENT_COLUMNS) if isinstance(row, Mapping) else row for _, row in chunk]
    clients, problems = parse_rows(CreateJobWorksInput, fields, numbers=lines, unit="line")
    failed = {problem.row for problem in problems}
    recorded = working.add_clients(list(zip(_good(lines, failed), clients, strict=True)))
    problems += [
        InputProblem(line, "externalId", f"duplicate {client.external_id!r} (first at line {first})", unit="line")
        for line, client, first in recorded
    ]
    return sorted(problems, key=_by_line)


def read_documents(
    working: WorkingSet,
    location: str | Path | ObjectStoragePath,
    clients_name: str,
    conn_id: str | None,
    encoding: str = DEFAULT_ENCODING,
) -> None:
    """Validate every document of the export into ``working``: fields, known client, no duplicate per client."""
    problems = _Problems()
    rows = iter_rows(location, required=DOCUMENT_COLUMNS, conn_id=conn_id, encoding=encoding)
    for chunk in _chunks(rows, ROWS_PER_CHUNK):
        problems.add(*_read_document_chunk(working, chunk, clients_name))
    problems.raise_if_any(f"documents {location}")


def _read_document_chunk(working: WorkingSet, chunk: list[tuple[int, Any]], clients_name: str) -> list[InputProblem]:
    """Some rows of the documents file, validated in one call and recorded in one batch; their problems."""
    problems: list[InputProblem] = []
    lines: list[int] = []
    owners: list[Any] = []
    fields: list[dict[str, Any]] = []
    for line, row in chunk:
        if not isinstance(row, Mapping):
            problems.append(InputProblem(line, None, "must be an object with the document's fields", unit="line"))
            continue
        client = _field(row, "clientExternalId")
        lines.append(line)
        owners.append(normalise_text(client) if isinstance(client, str) else client)
        fields.append(_present(row, DOCUMENT_FIELDS))
    documents, invalid = parse_rows(CreateJobWorkArtifactsInput, fields, numbers=lines, unit="line")
    problems += invalid
    known = working.known_clients(owner for owner in owners if owner and isinstance(owner, str))
    valid = dict(zip(_good(lines, {problem.row for problem in invalid}), documents, strict=True))
    accepted = []
    for line, client in zip(lines, owners, strict=True):
        if not client or not isinstance(client, str):
            problems.append(InputProblem(line, "clientExternalId", "is required", unit="line"))
        elif client not in known:
            problems.append(
                InputProblem(line, "clientExternalId", f"no client {client!r} in {clients_name}", unit="line")
            )
        elif line in valid:
            accepted.append((line, client, valid[line]))
    problems += [
        InputProblem(
            line,
            "externalId",
            f"duplicate document {document.external_id!r} of client {client!r} (first at line {first})",
            unit="line",
        )
        for line, client, document, first in working.add_documents(accepted)
    ]
    return sorted(problems, key=_by_line)


def _good(lines: list[int], failed: set[int | None]) -> list[int]:
    """The lines whose rows validated, in order (``parse_rows`` returns their inputs in that order)."""
    return [line for line in lines if line not in failed] if failed else lines


def _by_line(problem: InputProblem) -> int:
    """Sort key: a file's problems by line; a line's own keep their order (the sort is stable)."""
    return problem.row or 0


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def plan_import(
    hook: FiledHook,
    *,
    dag_id: str,
    run_id: str,
    clients: str | Path | ObjectStoragePath,
    documents: str | Path | ObjectStoragePath | None = None,
    staging: str | Path | ObjectStoragePath | None = None,
    batch_size: int = 1_000,
    storage_conn_id: str | None = None,
    encoding: str = DEFAULT_ENCODING,
    workspace_id: str | None = None,
    connection_id: str | None = None,
) -> ImportPlan:
    """Validate the export, compare it with what Filed holds, and stage the batches still to import."""
    if batch_size < 1:
        raise FiledInputError(f"batch_size must be >= 1, got {batch_size}")
    with WorkingSet() as working:
        read_clients(working, clients, storage_conn_id, encoding)
        if documents is not None:
            read_documents(working, documents, Path(str(clients)).name, storage_conn_id, encoding)
        workspace = hook.require(workspace_id, "workspace_id")
        connection = hook.require(connection_id, "connection_id")
        open_job = ledger.open_connection_job(hook, dag_id, connection)
        job = open_job.connection_job_id if open_job else None
        works_in_job = _read_held(hook, working, workspace, connection, job, with_artifacts=documents is not None)
        if job is not None and works_in_job == 0:
            log.info("Connection job %s, remembered as open, holds no works: a fresh one will be opened", job)
            ledger.forget(dag_id, connection)
            job = None

        area = StagingArea(staging or _beside(clients, storage_conn_id), dag_id, run_id, storage_conn_id)
        batches, new_clients, to_attach = _stage(working, area, job, batch_size)
        total_clients, total_documents = working.counts()
        skipped, first_skipped = working.held_clients(in_job=job, limit=IDS_SHOWN)
        unattachable, first_unattachable = 0, list[str]()
        for client, document, _ in working.missing_documents(job, in_job=False):
            unattachable += 1
            if len(first_unattachable) < IDS_SHOWN:
                first_unattachable.append(f"{client}/{document}")
        plan = ImportPlan(
            clients=total_clients,
            documents=total_documents,
            new_clients=new_clients,
            skipped_existing=skipped,
            skipped_external_ids=first_skipped,
            connection_job_id=job,
            in_open_job=total_clients - new_clients - skipped,
            documents_to_attach=to_attach,
            documents_already_present=working.present_documents(),
            unattachable=unattachable,
            unattachable_external_ids=first_unattachable,
            expected_works=works_in_job + new_clients,
            batches=batches,
            staging=area.uri if batches else None,
        )
    log.info("%s", describe(plan))
    return plan


def _beside(clients: str | Path | ObjectStoragePath, conn_id: str | None) -> str:
    return str(storage_path(clients, conn_id).parent / DEFAULT_FOLDER)


def _read_held(
    hook: FiledHook, working: WorkingSet, workspace: str, connection: str, job: str | None, *, with_artifacts: bool
) -> int:
    """Record every work of the provider connection in ``working``; how many are in ``job``."""
    in_job: set[str] = set()

    def keep(rows: list[Row]) -> None:
        working.add_held(rows, job)
        in_job.update(row["id"] for row in rows if job is not None and row.get("connectionJobId") == job)

    selection = gql.JOB_WORK_ARTIFACT_IDS_SELECTION if with_artifacts else gql.JOB_WORK_EXTERNAL_ID_SELECTION
    # One page per request, one request at a time: the whole connection is read, its memory stays one page.
    paging = dataclasses.replace(hook.settings.client.paging, pages_per_request=1, max_concurrency=1)
    scope = JobWorksScope(workspace_id=workspace, connection_id=connection)
    hook.client.run(list_job_works(scope, paging, keep, selection=selection))
    return len(in_job)


def _stage(
    working: WorkingSet, area: StagingArea, job: str | None, batch_size: int
) -> tuple[list[StagedBatch], int, int]:
    """Write the new clients (with their documents) and the open job's missing documents, batch by batch;
    the batches, and how many clients and documents they hold."""
    batches: list[StagedBatch] = []
    counts = [0, 0]

    def write(clients: list[dict[str, str]], documents: Iterable[tuple[str, str]]) -> None:
        if not batches:
            area.clear()
        text, count = documents_json(documents)
        batches.append(area.write_batch(len(batches) + 1, clients, text))
        counts[0] += len(clients)
        counts[1] += count

    for chunk in _chunks(working.new_clients(), batch_size):
        clients = [{"name": name, "externalId": external_id} for external_id, name in chunk]
        write(clients, working.documents_of(external_id for external_id, _ in chunk))
    for chunk in _chunks(working.missing_documents(job, in_job=True), batch_size):
        write([], ((client, body) for client, _, body in chunk))
    if not batches:
        remove_staging(area.folder)
    return batches, counts[0], counts[1]


def describe(plan: ImportPlan) -> str:
    """One paragraph a person reads in the task log."""
    text = (
        f"{plan.clients:,} clients and {plan.documents:,} documents in the export: {plan.new_clients:,} new clients, "
        f"{plan.skipped_existing:,} already imported by an earlier connection job (skipped)"
    )
    if plan.connection_job_id:
        text += f", {plan.in_open_job:,} already in open connection job {plan.connection_job_id}"
    text += f"; {plan.documents_to_attach:,} documents to attach, {plan.documents_already_present:,} already in Filed"
    if plan.unattachable:
        text += (
            f", {plan.unattachable:,} unattachable (their client's connection job no longer accepts documents: "
            f"{', '.join(plan.unattachable_external_ids)}{' …' if plan.unattachable > IDS_SHOWN else ''})"
        )
    if plan.nothing_to_import:
        return text + ". Nothing new to import: no connection job will be opened."
    return text + f". Staged {len(plan.batches)} batches in {plan.staging}."
