"""What every Filed operator shares: the connection, the hook, the "Filed" link, and error translation."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import BaseOperator, BaseOperatorLink, Context
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_filed.client.errors import (
    FiledAuthError,
    FiledConfigurationError,
    FiledConflictError,
    FiledInputError,
    FiledNotFoundError,
    FiledValidationError,
)
from airflow_provider_filed.hooks import DEFAULT_CONN_ID
from airflow_provider_filed.links.filed import FiledWorkspaceLink

if TYPE_CHECKING:
    from airflow_provider_filed.client.bulk import ConnectionJobTarget
    from airflow_provider_filed.hooks.filed import FiledHook

log = logging.getLogger(__name__)
CONNECTION_JOB_ID_KEY = "connection_job_id"

#: Errors a retry cannot fix: bad input, bad settings, refused ids. The task fails at once.
PERMANENT_ERRORS = (
    FiledInputError,
    FiledConfigurationError,
    FiledAuthError,
    FiledNotFoundError,
    FiledConflictError,
    FiledValidationError,
)


@contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Turn errors no retry can fix into ``AirflowFailException`` so Airflow does not retry them."""
    try:
        yield
    except PERMANENT_ERRORS as exc:
        log.debug("Where it was raised:", exc_info=True)
        raise AirflowFailException(str(exc)) from None  # the message says it all: no chained traceback


_Choice = TypeVar("_Choice")


def one_of(name: str, value: _Choice, choices: Collection[object]) -> _Choice:
    """``value`` if it is one of ``choices``; else a ``ValueError`` naming the argument (raised at DAG parse)."""
    if value not in choices:
        raise ValueError(f"{name} must be {' or '.join(map(repr, choices))}, got {value!r}")
    return value


class FiledTask:
    """What every Filed task (operator or sensor) shares: the connection, its hook, the "Filed" link.

    The connection is read only when the task runs, never when the DAG is parsed.
    """

    template_fields: Collection[str] = ("filed_conn_id", "workspace_id", "connection_id")
    operator_extra_links: Collection[BaseOperatorLink] = (FiledWorkspaceLink(),)
    ui_color: str = "#e8f1ff"

    def __init__(
        self,
        *,
        filed_conn_id: str = DEFAULT_CONN_ID,
        workspace_id: str | None = None,
        connection_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filed_conn_id = filed_conn_id
        self.workspace_id = workspace_id
        self.connection_id = connection_id

    @cached_property
    def hook(self) -> FiledHook:
        from airflow_provider_filed.hooks.filed import FiledHook

        return FiledHook(self.filed_conn_id)

    def on_kill(self) -> None:
        """Close the pooled connections; requests already sent may still land, which a retry reconciles."""
        if "hook" in self.__dict__:
            self.hook.close()


class FiledBaseOperator(FiledTask, BaseOperator):
    """Base of the Filed operators."""


class InConnectionJobOperator(FiledBaseOperator):
    """Base of the operators that work in one connection job, ``connection_job_id`` (templated).

    Each pushes that id to XCom (key ``connection_job_id``) before anything else, so a failed task still
    says which job it worked in, and the "Filed" link can open it.
    """

    template_fields: Sequence[str] = (*FiledBaseOperator.template_fields, "connection_job_id")

    def __init__(self, *, connection_job_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.connection_job_id = connection_job_id

    def push_connection_job_id(self, context: Context) -> None:
        context["ti"].xcom_push(key=CONNECTION_JOB_ID_KEY, value=self.connection_job_id)

    def job_target(self) -> ConnectionJobTarget:
        """The job as the client's bulk imports address it: in this task's workspace and provider connection."""
        return self.hook.target(
            self.connection_job_id, workspace_id=self.workspace_id, connection_id=self.connection_id
        )
