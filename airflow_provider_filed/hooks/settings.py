"""The ``filed`` connection turned into typed settings, once: URL, API key, ids and tuning extras."""

from __future__ import annotations

import json
from string import Formatter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from airflow_provider_filed.client import FiledClientConfig, FiledConfigurationError, RetrySettings, StatusSets
from airflow_provider_filed.client.config import DEFAULT_SOURCE_PLATFORM, DEFAULT_URL, MAX_PAGE_SIZE, load_config
from airflow_provider_filed.client.statuses import DEFAULT_FAILURE_STATUSES, DEFAULT_SUCCESS_STATUSES

DEFAULT_APP_URL = "https://app.filed.com"
#: The placeholders a ``connection_job_path`` template may use.
JOB_PATH_FIELDS = ("workspace_slug", "workspace_id", "connection_id", "connection_job_id")


def job_path_problem(template: str) -> str | None:
    """Why ``template`` is not a usable ``connection_job_path`` (None if it is)."""
    if not template.startswith("/"):
        return "must be a path starting with /, e.g. /w/{workspace_slug}/imports/{connection_job_id}"
    try:
        fields = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
    except ValueError as exc:
        return f"is not a valid template: {exc}"
    unknown = sorted(fields - set(JOB_PATH_FIELDS))
    if unknown:
        return f"uses unknown placeholders {unknown}; known: {', '.join(JOB_PATH_FIELDS)}"
    if "connection_job_id" not in fields:
        return "must contain {connection_job_id}"
    return None


class FiledConnectionExtras(BaseModel):
    """The connection's ``extra`` fields (strings from a URI are coerced; unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid")

    source_platform: str = DEFAULT_SOURCE_PLATFORM
    workspace_id: str | None = None
    connection_id: str | None = None
    workspace_slug: str | None = None
    app_url: str = DEFAULT_APP_URL
    connection_job_path: str | None = None
    timeout: float = Field(default=60.0, gt=0)
    batch_size: int = Field(default=500, ge=1, le=10_000)
    max_concurrency: int = Field(default=4, ge=1, le=64)
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    pages_per_request: int = Field(default=8, ge=1, le=50)
    artifacts_per_request: int = Field(default=500, ge=1, le=10_000)
    sort_by: dict[str, Any] | None = None
    max_attempts: int = Field(default=6, ge=1, le=50)
    retry_max_total_time: float = Field(default=180.0, gt=0)
    retry_initial_wait: float = Field(default=0.5, ge=0)
    success_statuses: list[str] = Field(default_factory=lambda: list(DEFAULT_SUCCESS_STATUSES))
    failure_statuses: list[str] = Field(default_factory=lambda: list(DEFAULT_FAILURE_STATUSES))
    allow_insecure_http: bool = False

    @field_validator("sort_by", mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ValueError(f'must be a JSON object, e.g. {{"field": "createdAt"}}: {exc}') from None
        return value

    @field_validator("connection_job_path")
    @classmethod
    def _job_path(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        problem = job_path_problem(value.strip())
        if problem:
            raise ValueError(problem)
        return value.strip()

    @field_validator("success_statuses", "failure_statuses", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value


#: The extras that are client settings of the same name (timeout, batch_size, page_size…), passed on as they are.
CLIENT_EXTRAS = frozenset(FiledConnectionExtras.model_fields) & frozenset(FiledClientConfig.model_fields)


class FiledSettings(BaseModel):
    """What a hook resolved from its connection: the client config plus Filed ids and status sets."""

    model_config = ConfigDict(frozen=True)

    client: FiledClientConfig
    workspace_id: str | None
    connection_id: str | None
    workspace_slug: str | None
    app_url: str
    connection_job_path: str | None
    statuses: StatusSets


def settings_from_connection(
    conn_id: str, *, host: str | None, password: str | None, extra: dict[str, Any]
) -> FiledSettings:
    """Validate a connection's fields; errors name the field and never echo the API key."""
    try:
        extras = FiledConnectionExtras.model_validate(extra or {})
    except ValidationError as exc:
        problems = "; ".join(f"extra {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise FiledConfigurationError(f"connection {conn_id!r}: {problems}") from None
    if not password:
        raise FiledConfigurationError(f"connection {conn_id!r} has no API key: put a Filed API key in its password")
    try:
        client = load_config(
            url=host or DEFAULT_URL,
            api_key=password,
            **extras.model_dump(include=set(CLIENT_EXTRAS)),
            retry=RetrySettings(
                max_attempts=extras.max_attempts,
                max_total_time=extras.retry_max_total_time,
                initial_wait=extras.retry_initial_wait,
            ),
        )
        statuses = StatusSets(success=frozenset(extras.success_statuses), failure=frozenset(extras.failure_statuses))
    except (FiledConfigurationError, ValidationError) as exc:
        message = exc.message if isinstance(exc, FiledConfigurationError) else str(exc.errors()[0]["msg"])
        raise FiledConfigurationError(f"connection {conn_id!r}: {message}") from None
    return FiledSettings(
        client=client,
        workspace_id=extras.workspace_id,
        connection_id=extras.connection_id,
        workspace_slug=extras.workspace_slug,
        app_url=extras.app_url.rstrip("/"),
        connection_job_path=extras.connection_job_path,
        statuses=statuses,
    )
