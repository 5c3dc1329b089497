"""The connection job an import DAG opened and has not triggered yet, remembered in one Airflow Variable.

Filed has no way to list connection jobs, so the DAG remembers its open one: a retry, a cleared run or
the next run adopts it (its works are not stranded in a job nobody triggers), and the record is
deleted once the job is triggered, so none pile up over a season. Before the trigger is sent the
record says ``triggering``: whoever finds it so next cannot tell whether the trigger went out, so it
sends it again (Filed refuses a second trigger, which counts as done) and forgets the job.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from airflow_provider_filed.hooks.filed import FiledHook

log = logging.getLogger(__name__)
KEY_PREFIX = "filed_open_connection_job"


class OpenConnectionJob(BaseModel):
    """What the Variable holds: the job, the run that opened it, and whether its trigger may be in flight."""

    connection_job_id: str
    run_id: str
    state: Literal["open", "triggering"] = "open"
    trigger_document: str | None = None


def ledger_key(dag_id: str, connection_id: str) -> str:
    return f"{KEY_PREFIX}::{dag_id}::{connection_id}"


def recall(dag_id: str, connection_id: str) -> OpenConnectionJob | None:
    """The DAG's open connection job on this provider connection, if it has one."""
    from airflow.sdk import Variable

    raw = Variable.get(ledger_key(dag_id, connection_id), default=None)
    if raw is None:
        return None
    try:
        return OpenConnectionJob.model_validate_json(raw)
    except ValidationError:
        return None


def remember(dag_id: str, connection_id: str, record: OpenConnectionJob) -> None:
    from airflow.sdk import Variable

    Variable.set(
        ledger_key(dag_id, connection_id),
        record.model_dump_json(exclude_none=True),
        description="Filed connection job opened by this DAG and not triggered yet (deleted once triggered)",
    )


def forget(dag_id: str, connection_id: str) -> None:
    from airflow.sdk import Variable

    Variable.delete(ledger_key(dag_id, connection_id))


def open_connection_job(hook: FiledHook, dag_id: str, connection_id: str) -> OpenConnectionJob | None:
    """The connection job this DAG opened and has not triggered, after settling one whose trigger may be in flight."""
    record = recall(dag_id, connection_id)
    if record is None or record.state == "open":
        return record
    log.info(
        "Connection job %s (run %s) stopped while being triggered: triggering it again to be sure, "
        "then opening a new job for what is left",
        record.connection_job_id,
        record.run_id,
    )
    if record.trigger_document:
        hook.trigger_connection_job(record.connection_job_id, record.trigger_document)
    else:
        hook.trigger_connection_job(record.connection_job_id)
    forget(dag_id, connection_id)
    return None
