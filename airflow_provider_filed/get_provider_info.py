"""Provider metadata read by Airflow's ProvidersManager through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_filed import __version__


def _text(label: str, description: str, default: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if default is not None:
        schema["default"] = default
    return {"label": label, "description": description, "schema": schema}


def _required_text(label: str, description: str) -> dict[str, Any]:
    """A text extra the form marks as required (the operators need it unless a task passes it)."""
    return {"label": label, "description": description, "schema": {"type": "string", "minLength": 1}}


def _number(label: str, description: str, default: float, kind: str = "integer") -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": [kind, "null"], "default": default}}


def get_provider_info() -> dict[str, Any]:
    """Describe the provider: package, versions, connection form, and what it registers."""
    return {
        "package-name": "airflow-provider-filed",
        "name": "Filed",
        "description": "Push-import clients and their documents into `Filed <https://filed.com/>`__, "
        "the tax-preparation platform, through its GraphQL API.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Filed",
                "external-doc-url": "https://docs.filed.com/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "Filed", "python-modules": ["airflow_provider_filed.hooks.filed"]}],
        "operators": [
            {
                "integration-name": "Filed",
                "python-modules": [
                    "airflow_provider_filed.operators.connection_job",
                    "airflow_provider_filed.operators.job_works",
                    "airflow_provider_filed.operators.job_work_artifacts",
                    "airflow_provider_filed.operators.plan_import",
                ],
            }
        ],
        "sensors": [{"integration-name": "Filed", "python-modules": ["airflow_provider_filed.sensors.job_works"]}],
        "triggers": [{"integration-name": "Filed", "python-modules": ["airflow_provider_filed.triggers.job_works"]}],
        "asset-uris": [{"schemes": ["filed"], "handler": "airflow_provider_filed.assets.sanitize_uri"}],
        "extra-links": ["airflow_provider_filed.links.filed.FiledWorkspaceLink"],
        "connection-types": [
            {
                "connection-type": "filed",
                "hook-class-name": "airflow_provider_filed.hooks.filed.FiledHook",
                "hook-name": "Filed",
                "conn-fields": {
                    "workspace_id": _required_text(
                        "Workspace ID",
                        "The Filed workspace (tax firm) to import into: an id from me { workspaces { id slug } }.",
                    ),
                    "connection_id": _required_text(
                        "Provider connection ID",
                        "The active provider connection that owns connection jobs: "
                        "me { workspaces { connections { id status } } }.",
                    ),
                    "workspace_slug": _text(
                        "Workspace slug", "The workspace's slug, e.g. smith-cpa: the 'Filed' link opens /w/{slug}."
                    ),
                    "source_platform": _text(
                        "Source platform", "Sent as the source-platform header.", "airflow-provider-filed"
                    ),
                    "timeout": _number("Request timeout (s)", "Per HTTP request.", 60, "number"),
                    "batch_size": _number("Batch size", "Works per createJobWorks request (Filed accepts 500).", 500),
                    "max_concurrency": _number("Max concurrent requests", "Bulk requests in flight at once.", 4),
                    "page_size": _number(
                        "Page size", "Job works asked per page (Filed documents a cap of 1,000).", 1000
                    ),
                    "pages_per_request": _number("Pages per request", "Pages read in one request (aliases).", 8),
                    "artifacts_per_request": _number(
                        "Documents per request", "Artifacts sent in one createJobWorkArtifacts request.", 500
                    ),
                    "sort_by": _text(
                        "Sort jobWorks by (JSON)",
                        'Sent as jobWorks\' sortBy only when set, e.g. {"field": "createdAt", "direction": "ASC"}.',
                    ),
                    "retry_initial_wait": _number("First retry wait (s)", "Backoff doubles from here.", 0.5, "number"),
                    "app_url": _text("Filed app URL", "Base of the 'Filed' link.", "https://app.filed.com"),
                    "connection_job_path": _text(
                        "Connection job path",
                        "Where Filed's app shows a connection job, e.g. /w/{workspace_slug}/imports/{connection_job_id}: "
                        "the 'Filed' link opens the run's job there. Empty: the link opens the workspace.",
                    ),
                    "max_attempts": _number("Retry attempts", "Per request, for 429, 5xx and network errors.", 6),
                    "retry_max_total_time": _number(
                        "Retry budget (s)", "Total time spent retrying one call.", 180, "number"
                    ),
                    "success_statuses": _text(
                        "Success statuses", "Comma-separated; case-insensitive.", "completed,success"
                    ),
                    "failure_statuses": _text(
                        "Failure statuses", "Comma-separated; case-insensitive.", "failed,error,terminated"
                    ),
                    "allow_insecure_http": {
                        "label": "Allow plain http://",
                        "description": "Only for trusted networks: the API key would travel unencrypted.",
                        "schema": {"type": ["boolean", "null"], "default": False},
                    },
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login", "extra"],
                    "relabeling": {"host": "GraphQL URL", "password": "API key"},
                    "placeholders": {
                        "host": "https://gateway.filed.com/graphql (the default when empty)",
                        "password": "a Filed personal API key",
                    },
                },
            }
        ],
    }
