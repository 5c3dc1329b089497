"""Tax-season import into Filed: clients and their documents from CSV files, in one connection job.

Copy this file (and adapt ``read_import_files``) to import your own clients. See ``doc_md`` below.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_filed.operators.connection_job import (
    CreateConnectionJobOperator,
    TriggerConnectionJobOperator,
)
from airflow_provider_filed.operators.job_work_artifacts import CreateJobWorkArtifactsOperator
from airflow_provider_filed.operators.job_works import CreateJobWorksOperator
from airflow_provider_filed.sensors.job_works import JobWorksSensor

DAG_ID = "filed_tax_season_import"
DAG_DIR = Path(__file__).resolve().parent

#: How often the sensor polls Filed while it waits (seconds). Fixed when the DAG is parsed, so it comes
#: from the environment rather than a run param; ``make demo`` sets it low because the emulator is fast.
POKE_INTERVAL_S = float(os.environ.get("FILED_POKE_INTERVAL_S", "10"))
#: The longest the sensor waits for Filed to process every work.
WAIT_TIMEOUT = timedelta(hours=2)
#: The sensor waits until *every* work is terminal, however many fail (a count no import reaches), so the
#: summary can report them all; the run's tolerance is the ``max_failed`` param, applied by the summary.
WAIT_FOR_EVERY_WORK = 1_000_000_000

CLIENT_COLUMNS = ("externalId", "name")
DOCUMENT_COLUMNS = ("clientExternalId", "externalId", "name", "type", "url")

DOC_MD = """
# Filed tax-season import

Imports a tax firm's clients, and the documents Filed should fetch for each of them, as **one Filed
connection job** named after the run:

1. `read_import_files` reads and validates both CSV files (every problem, with its row, before anything
   is sent); `split_into_batches` splits the clients into batches of `batch_size`;
2. `create_connection_job` opens the connection job (a retry reuses the job its first attempt opened);
3. `create_job_works` — one mapped task per batch — creates one job work per client, exactly once per
   `externalId` even across retries;
4. `create_job_work_artifacts` attaches each client's documents (Filed downloads them from their `url`);
5. `trigger_connection_job` starts the import;
6. `wait_for_job_works` (deferrable) waits in the triggerer until every work and document is done;
7. `summary` logs works created / completed / failed and fails the run when more than `max_failed`
   clients failed.

**Files.** `clients_path`: CSV with columns `externalId,name` (one row per client).
`documents_path`: CSV with columns `clientExternalId,externalId,name,type,url` (one row per document;
`type` is free text such as `w2`, `1099`, `receipt`). Relative paths are read from the DAG folder.

**Connection.** `filed_default` (API key in the password; `workspace_id` and `connection_id` extras).

**Re-running the sample.** Filed never accepts an `externalId` twice: to import the sample data again
into the same workspace, set `external_id_prefix` (e.g. `run2-`).
"""


def _resolve(path: str) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else DAG_DIR / candidate


def _prefixed(prefix: str, value: str | None) -> str | None:
    """``prefix + value``; an empty or missing value stays so, for validation to report it."""
    return f"{prefix}{value}" if value else value


def _present(**fields: str | None) -> dict[str, str]:
    """The fields that have a value: a missing one is then reported as required, with its row."""
    return {key: value for key, value in fields.items() if value}


def read_clients_and_documents(
    clients_path: str, documents_path: str, *, external_id_prefix: str = ""
) -> tuple[list[dict[str, str]], dict[str, list[dict[str, str]]]]:
    """Clients ``[{name, externalId}]`` and ``{client externalId: [document]}``, validated as a whole.

    Raises ``FiledInputError`` naming every bad row: missing or empty fields, duplicate externalIds
    (across all batches), documents of unknown clients.
    """
    from airflow_provider_filed.client.errors import FiledInputError, InputProblem
    from airflow_provider_filed.client.inputs import parse_artifacts, parse_job_works
    from airflow_provider_filed.operators.sources import load_rows

    clients_file, documents_file = _resolve(clients_path), _resolve(documents_path)
    rows = load_rows(str(clients_file), required=CLIENT_COLUMNS)
    clients = [
        _present(name=row.get("name"), externalId=_prefixed(external_id_prefix, row.get("externalId"))) for row in rows
    ]
    parse_job_works(clients, source=str(clients_file))

    known = {client["externalId"] for client in clients}
    documents: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
    problems: list[InputProblem] = []
    for number, row in enumerate(load_rows(str(documents_file), required=DOCUMENT_COLUMNS), start=1):
        client_id = _prefixed(external_id_prefix, row.get("clientExternalId"))
        if not client_id:
            problems.append(InputProblem(number, "clientExternalId", "is required"))
            continue
        if client_id not in known:
            problems.append(InputProblem(number, "clientExternalId", f"no client {client_id!r} in {clients_file.name}"))
            continue
        document = _present(
            name=row.get("name"),
            type=row.get("type"),
            url=row.get("url"),
            externalId=_prefixed(external_id_prefix, row.get("externalId")),
        )
        documents[client_id].append(document)
    if problems:
        raise FiledInputError(problems, source=str(documents_file))
    parse_artifacts(documents, source=str(documents_file))
    return clients, dict(documents)


with DAG(
    dag_id=DAG_ID,
    description="Import clients and their documents into Filed as one connection job",
    doc_md=DOC_MD,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["filed", "tax-season", "example"],
    default_args={
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=5),
        "execution_timeout": timedelta(minutes=30),
    },
    params={
        "clients_path": Param(
            "data/clients.csv",
            type="string",
            minLength=1,
            description="CSV of clients (columns externalId,name); relative paths are read from the DAG folder.",
        ),
        "documents_path": Param(
            "data/documents.csv",
            type="string",
            minLength=1,
            description="CSV of documents (columns clientExternalId,externalId,name,type,url).",
        ),
        "batch_size": Param(
            100, type="integer", minimum=1, maximum=10_000, description="Clients per create_job_works task."
        ),
        "max_failed": Param(
            0,
            type="number",
            minimum=0,
            description="Failed clients tolerated: a count (>= 1) or a fraction of the clients (< 1).",
        ),
        "external_id_prefix": Param(
            "",
            type="string",
            description="Prepended to every externalId, to re-import the same files (Filed refuses reused ids).",
        ),
    },
) as dag:

    @task(multiple_outputs=True)
    def read_import_files(params: dict[str, Any]) -> dict[str, Any]:
        """Read and validate both files: every problem, with its row, before a connection job is opened."""
        from airflow_provider_filed.client.errors import FiledInputError

        try:
            clients, documents = read_clients_and_documents(
                params["clients_path"],
                params["documents_path"],
                external_id_prefix=params.get("external_id_prefix") or "",
            )
        except FiledInputError as exc:
            raise AirflowFailException(str(exc)) from exc  # a retry cannot fix a bad file
        count = sum(len(docs) for docs in documents.values())
        print(f"{len(clients):,} clients with {count:,} documents")
        return {"clients": clients, "client_count": len(clients), "documents": documents, "document_count": count}

    @task
    def split_into_batches(clients: list[dict[str, str]], params: dict[str, Any]) -> list[list[dict[str, str]]]:
        """Batches of ``batch_size`` clients: one ``create_job_works`` task each."""
        size = int(params["batch_size"])
        batches = [clients[i : i + size] for i in range(0, len(clients), size)]
        print(f"{len(clients):,} clients in {len(batches)} batches of up to {size}")
        return batches

    files = read_import_files()
    batches = split_into_batches(files["clients"])

    job = CreateConnectionJobOperator(
        task_id="create_connection_job",
        job_name="tax-season import {{ dag.dag_id }} {{ run_id }}",
    )

    works = CreateJobWorksOperator.partial(
        task_id="create_job_works",
        connection_job_id=job.output,
    ).expand(works=batches)

    artifacts = CreateJobWorkArtifactsOperator(
        task_id="create_job_work_artifacts",
        connection_job_id=job.output,
        artifacts=files["documents"],
    )

    trigger = TriggerConnectionJobOperator(
        task_id="trigger_connection_job",
        connection_job_id=job.output,
    )

    wait = JobWorksSensor(
        task_id="wait_for_job_works",
        connection_job_id=job.output,
        deferrable=True,
        include_artifacts=True,
        max_failed=WAIT_FOR_EVERY_WORK,
        poke_interval=POKE_INTERVAL_S,
        timeout=WAIT_TIMEOUT.total_seconds(),
        execution_timeout=WAIT_TIMEOUT + timedelta(minutes=10),
    )

    @task
    def summary(
        clients: int,
        document_count: int,
        works_results: list[dict[str, Any]],
        artifacts_result: dict[str, Any],
        progress: dict[str, Any],
        params: dict[str, Any],
        dag_run: Any = None,
    ) -> dict[str, Any]:
        """Log what the import did; fail the run when more clients failed than ``max_failed`` allows."""
        from airflow_provider_filed.client.progress import allowed_failures

        # One slice read of the mapped results (iterating would probe past the end, logging a miss).
        results = list(works_results[:])
        created = sum(int(r.get("created", 0)) for r in results)
        already = sum(int(r.get("already_present", 0)) for r in results)
        report = {
            "clients": clients,
            "documents": document_count,
            "works_created": created,
            "works_already_present": already,
            "artifacts_created": int(artifacts_result.get("created", 0)),
            "artifacts_already_present": int(artifacts_result.get("already_present", 0)),
            "works_total": int(progress.get("total", 0)),
            "works_completed": int(progress.get("succeeded", 0)),
            "works_failed": int(progress.get("failed", 0)),
            "works_by_status": progress.get("works_by_status", {}),
            "artifacts_by_status": progress.get("artifacts_by_status", {}),
            "failed_external_ids": progress.get("failed_external_ids", []),
        }
        start = getattr(dag_run, "start_date", None)
        if start is not None:
            report["duration_s"] = round((pendulum.now("UTC") - start).total_seconds(), 1)
        print(
            "Filed import summary: {clients:,} clients, {works_created:,} works created "
            "({works_already_present:,} already there), {works_completed:,} completed, {works_failed:,} failed; "
            "{artifacts_created:,} documents attached".format(**report)
        )
        for failed in progress.get("failed_works", []):
            print(f"  failed: {failed.get('external_id')} ({failed.get('status')}): {failed.get('reason')}")
        tolerated = allowed_failures(float(params["max_failed"]), report["works_total"])
        if report["works_failed"] > tolerated:
            raise AirflowFailException(
                f"{report['works_failed']:,} clients failed in Filed, more than max_failed allows ({tolerated:,}): "
                f"{', '.join(report['failed_external_ids'][:20])}"
            )
        return report

    batches >> job
    works >> artifacts >> trigger >> wait
    summary(
        clients=files["client_count"],
        document_count=files["document_count"],
        works_results=works.output,
        artifacts_result=artifacts.output,
        progress=wait.output,
    )
