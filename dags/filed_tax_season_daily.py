"""Every morning of tax season, import what is new in the firm's client export into Filed.

The export is the firm's whole client list, growing through the season. Each run imports only the
clients (and documents) Filed does not hold yet, waits until Filed has processed them, and publishes
the asset ``filed://{workspace_id}/{connection_id}`` for downstream DAGs. A morning with nothing new
opens no connection job. See ``DOC_MD`` below.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable, Param

from airflow_provider_filed.push_import.tasks import push_import_default_args, push_import_params, push_import_tasks

DAG_ID = "filed_tax_season_daily"
#: 06:00 every day from January to April, the firm's time: tax season. Adjust to your season.
SEASON = CronTriggerTimetable("0 6 * 1-4 *", timezone="America/New_York")
POKE_INTERVAL_S = float(os.environ.get("FILED_POKE_INTERVAL_S", "60"))

DOC_MD = """
# Filed tax-season daily import

Runs at 06:00 (New York) every day from January to April. Each morning it reads the firm's **current**
export — the whole client list, which grows through the season — and imports only what Filed does not
hold yet: new clients with their documents, and documents still missing on works of a connection job
this DAG opened and has not triggered. Clients already imported are skipped; documents that arrive
later for them cannot be attached (Filed closed their job) and are reported as *unattachable* in the
summary. Nothing new → no connection job.

When something new reached Filed and every work is done, `summary` publishes the asset
`filed://{workspace_id}/{connection_id}`: schedule downstream DAGs on it.

**Where the export is.** Airflow Variables `filed_clients_uri` (CSV `externalId,name`) and
`filed_documents_uri` (CSV `clientExternalId,externalId,name,type,url`), as paths or URIs (`s3://…`,
`gs://…`, `file://…`) every worker can read; a run's `clients_path` / `documents_path` params override them.
Batches are staged in `filed-staging` beside the clients file (or `staging_path`).
"""

with DAG(
    dag_id=DAG_ID,
    description="Import what is new in the firm's client export into Filed, every morning of tax season",
    doc_md=DOC_MD,
    schedule=SEASON,
    start_date=pendulum.datetime(2026, 1, 1, tz="America/New_York"),
    catchup=False,
    max_active_runs=1,
    tags=["filed", "tax-season", "example"],
    default_args=push_import_default_args(),
    params=push_import_params(
        clients_path=Param(
            None, type=["null", "string"], description="Clients export for this run; empty: Variable filed_clients_uri."
        ),
        documents_path=Param(
            None,
            type=["null", "string"],
            description="Documents export for this run; empty: Variable filed_documents_uri (optional).",
        ),
    ),
) as dag:
    push_import_tasks(
        clients="{{ params.clients_path or var.value.get('filed_clients_uri', '') }}",
        documents="{{ params.documents_path or var.value.get('filed_documents_uri', '') }}",
        poke_interval=POKE_INTERVAL_S,
        timeout=timedelta(hours=6),
    )
