"""Every documented Filed operation, written once as a generator that the sync and async clients drive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_filed.client import documents, models
from airflow_provider_filed.client.errors import (
    FiledError,
    FiledResponseError,
    error_from_graphql,
)
from airflow_provider_filed.client.listing import visible_one
from airflow_provider_filed.client.transport import GraphQLRequest, GraphQLResponse, Op


def _call(document: str, variables: Mapping[str, Any], operation: str, *, idempotent: bool) -> GraphQLRequest:
    return GraphQLRequest(document, variables, operation, idempotent=idempotent)


def execute(
    document: str, variables: Mapping[str, Any] | None = None, operation: str = "execute"
) -> Op[GraphQLResponse]:
    """Any operation not wrapped here; mutations are not retried once they may have landed."""
    return (yield GraphQLRequest.for_document(document, variables or {}, operation))


def me(workspace_ids: Sequence[str] | None = None) -> Op[models.Me]:
    variables = {"workspaceIds": list(workspace_ids) if workspace_ids is not None else None}
    data = (yield _call(documents.ME, variables, "me", idempotent=True)).require("me")
    return models.Me.model_validate(data)


def workspaces(workspace_ids: Sequence[str] | None = None) -> Op[list[models.Workspace]]:
    return (yield from me(workspace_ids)).workspaces


def connections(
    workspace_id: str,
    filters: models.ConnectionFilters | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
    sort_by: Mapping[str, Any] | None = None,
) -> Op[list[models.ProviderConnection]]:
    variables: dict[str, Any] = {
        "workspaceId": workspace_id,
        "filters": filters,
        "limit": limit,
        "offset": offset,
    }
    if sort_by is not None:
        variables["sortBy"] = dict(sort_by)
    document = documents.connections_query(sort_by=sort_by is not None)
    data = (yield _call(document, variables, "connections", idempotent=True)).require("me")
    return [
        models.ProviderConnection.model_validate(c)
        for c in visible_one(data["workspaces"], "workspace", workspace_id)["connections"]
    ]


def create_workspace(workspace: models.CreateWorkspaceInput) -> Op[models.Workspace]:
    variables = {"input": workspace}
    response = yield _call(documents.CREATE_WORKSPACE, variables, "createWorkspace", idempotent=False)
    return models.Workspace.model_validate(response.require("createWorkspace"))


def add_users_to_the_workspace(workspace_id: str, user_emails: Sequence[str]) -> Op[list[models.User]]:
    variables = {"workspaceId": workspace_id, "userEmails": list(user_emails)}
    response = yield _call(documents.ADD_USERS_TO_THE_WORKSPACE, variables, "addUsersToTheWorkspace", idempotent=True)
    return [models.User.model_validate(u) for u in response.require("addUsersToTheWorkspace")]


def start_provider_connection(
    workspace_id: str, provider_key: str, inputs: Mapping[str, Any] | None = None
) -> Op[models.ProviderConnection]:
    variables = {
        "workspaceId": workspace_id,
        "providerKey": provider_key,
        "inputs": dict(inputs) if inputs else None,
    }
    response = yield _call(documents.START_PROVIDER_CONNECTION, variables, "startProviderConnection", idempotent=False)
    return models.ProviderConnection.model_validate(response.require("startProviderConnection"))


def collect_provider_connection(
    connection_id: str, inputs: Mapping[str, Any] | None = None
) -> Op[models.ProviderConnection]:
    variables = {"connectionId": connection_id, "inputs": dict(inputs) if inputs else None}
    response = yield _call(
        documents.COLLECT_PROVIDER_CONNECTION, variables, "collectProviderConnection", idempotent=True
    )
    return models.ProviderConnection.model_validate(response.require("collectProviderConnection"))


def create_connection_job(connection_id: str, job_name: str) -> Op[models.ConnectionJob]:
    """Open a connection job, retried like a read: a lost answer can only leave an empty job behind.

    Filed lists no connection jobs, so such a job cannot be found again; it holds no works and is never
    triggered. Each retry is logged, naming the error, so the stray job is not a silent one.
    """
    variables = {"connectionId": connection_id, "jobName": job_name}
    response = yield _call(documents.CREATE_CONNECTION_JOB, variables, "createConnectionJob", idempotent=True)
    return models.ConnectionJob.model_validate(response.require("createConnectionJob"))


def create_job_works(connection_job_id: str, inputs: Sequence[models.CreateJobWorksInput]) -> Op[list[models.JobWork]]:
    """One ``createJobWorks`` request, all-or-nothing. Bulk, exactly-once creation lives in ``bulk``."""
    rows = yield from create_job_works_ids(connection_job_id, inputs, documents.CREATE_JOB_WORKS)
    return [models.JobWork.model_validate(row) for row in rows]


def create_job_works_ids(
    connection_job_id: str, inputs: Sequence[models.CreateJobWorksInput], document: str = documents.CREATE_JOB_WORKS_IDS
) -> Op[list[dict[str, Any]]]:
    """The same request, answered as plain rows (by default only ``id`` and ``work.externalId``)."""
    variables = {"connectionJobId": connection_job_id, "inputs": list(inputs)}
    response = yield _call(document, variables, "createJobWorks", idempotent=False)
    rows: list[dict[str, Any]] = response.require("createJobWorks")
    return rows


def create_job_work_artifacts(
    job_work_id: str, inputs: Sequence[models.CreateJobWorkArtifactsInput]
) -> Op[list[models.JobArtifact]]:
    """One ``createJobWorkArtifacts`` request for one job work, all-or-nothing."""
    variables = {"jobWorkId": job_work_id, "inputs": list(inputs)}
    response = yield _call(documents.CREATE_JOB_WORK_ARTIFACTS, variables, "createJobWorkArtifacts", idempotent=False)
    return [models.JobArtifact.model_validate(a) for a in response.require("createJobWorkArtifacts")]


def trigger_connection_job(
    connection_job_id: str, document: str = documents.TRIGGER_CONNECTION_JOB
) -> Op[models.ConnectionJob]:
    """Start the import. ``document`` is replaceable: it must take ``$connectionJobId`` and return one root field.

    Safe to re-send after a lost answer: Filed refuses a second trigger ("already triggered"), which
    ``TriggerConnectionJobOperator`` treats as done.
    """
    response = yield _call(document, {"connectionJobId": connection_job_id}, "triggerConnectionJob", idempotent=True)
    error = response.first_error()
    if error is not None:
        raise error
    payload = next(iter((response.data or {}).values()), None)
    return (
        models.ConnectionJob.model_validate(payload)
        if isinstance(payload, dict)
        else models.ConnectionJob(id=connection_job_id)
    )


def create_job_work_artifacts_aliased(
    groups: Sequence[tuple[str, Sequence[models.CreateJobWorkArtifactsInput]]],
) -> Op[list[int | FiledError]]:
    """Artifacts for many job works in one request (aliases ``a0``…); per group, how many were created or its error."""
    variables: dict[str, Any] = {}
    for i, (job_work_id, inputs) in enumerate(groups):
        variables[f"j{i}"] = job_work_id
        variables[f"i{i}"] = inputs
    request = _call(
        documents.aliased_artifacts_mutation(len(groups)),
        variables,
        "createJobWorkArtifacts",
        idempotent=False,
    )
    response = yield request
    errors_by_alias = {
        str(e["path"][0]): error_from_graphql(e, operation="createJobWorkArtifacts")
        for e in response.errors
        if e.get("path")
    }
    unplaced = [e for e in response.errors if not e.get("path")]
    if unplaced:
        raise error_from_graphql(unplaced[0], operation="createJobWorkArtifacts")
    data = response.data or {}
    results: list[int | FiledError] = []
    for i in range(len(groups)):
        alias = f"a{i}"
        if alias in errors_by_alias:
            results.append(errors_by_alias[alias])
        elif data.get(alias) is not None:
            results.append(len(data[alias]))
        else:
            results.append(FiledResponseError(f"no result for {alias}", operation="createJobWorkArtifacts"))
    return results
