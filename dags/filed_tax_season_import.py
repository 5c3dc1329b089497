"""Import a tax firm's clients and their documents into Filed, on demand — run it again any time.

Copy this file to import your own clients; see ``DOC_MD`` below, and ``filed_tax_season_daily.py`` for
the same import on a schedule.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_filed.push_import.tasks import push_import_default_args, push_import_params, push_import_tasks

DAG_ID = "filed_tax_season_import"
DAG_DIR = Path(__file__).resolve().parent

#: How often the sensor polls Filed while it waits (seconds). Fixed when the DAG is parsed, so it comes
#: from the environment rather than a run param; ``make demo`` sets it low because the emulator is fast.
POKE_INTERVAL_S = float(os.environ.get("FILED_POKE_INTERVAL_S", "10"))

DOC_MD = """
# Filed tax-season import

Imports a tax firm's clients, and the documents Filed should fetch for each, as **one Filed connection
job**. Run it as often as you like: clients Filed already holds are skipped, never created twice.

1. `plan_import` reads and validates both files whole (every problem, with its file line, before any
   request), reads what the provider connection already holds, and stages what is new in batches;
2. `anything_to_import`: nothing new → every step up to `summary` is skipped, no connection job is opened;
3. `create_connection_job` opens the job (or reuses the one this DAG opened and did not trigger);
4. `import_batch` — one mapped group per batch — creates the batch's works, then attaches their documents;
5. `trigger_connection_job` starts the import; `wait_for_job_works` (deferrable) waits in the triggerer;
6. `summary` reports works created / skipped / unattachable and completed / failed, and fails the run
   when more than `max_failed` clients failed.

**Files** (paths relative to the DAG folder, absolute paths, or URIs such as `s3://…`):
`clients_path`, CSV with columns `externalId,name`; `documents_path`, CSV with columns
`clientExternalId,externalId,name,type,url` (`type` is free text: `w2`, `1099`, `receipt`). The defaults
are the sample shipped with this DAG (`data/`).

**Connection.** `filed_default` (API key in the password; `workspace_id` and `connection_id` extras).
"""


def in_dag_folder(path: str) -> str:
    """A relative local path as one in the DAG folder; absolute paths and URIs unchanged."""
    if not path or "://" in path or Path(path).expanduser().is_absolute():
        return path
    return str(DAG_DIR / path)


with DAG(
    dag_id=DAG_ID,
    description="Import clients and their documents into Filed as one connection job",
    doc_md=DOC_MD,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["filed", "tax-season", "example"],
    default_args=push_import_default_args(retry_delay=timedelta(seconds=30), max_retry_delay=timedelta(minutes=5)),
    user_defined_macros={"in_dag_folder": in_dag_folder},
    params=push_import_params(
        clients_path=Param(
            "data/clients.csv",
            type="string",
            minLength=1,
            description="Clients CSV (externalId,name): a path (relative to the DAG folder) or a URI. "
            "Default: the sample shipped with this DAG.",
        ),
        documents_path=Param(
            "data/documents.csv",
            type="string",
            minLength=1,
            description="Documents CSV (clientExternalId,externalId,name,type,url): a path or a URI.",
        ),
        batch_size=100,
    ),
) as dag:
    push_import_tasks(
        clients="{{ in_dag_folder(params.clients_path) }}",
        documents="{{ in_dag_folder(params.documents_path) }}",
        poke_interval=POKE_INTERVAL_S,
        timeout=timedelta(hours=2),
    )
