"""A small GraphQL caller for emulator tests and the documents it sends (the documented shapes)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from airflow_provider_filed.emulator.testing import EmulatorHandle

SOURCE_PLATFORM = "emulator-tests"

LOGIN = "mutation Login($apiKey: String!) { loginViaPersonalApiToken(token: $apiKey) { accessToken } }"
CREATE_JOB = """
mutation CreateConnectionJob($connectionId: ID!, $jobName: String!) {
  createConnectionJob(connectionId: $connectionId, jobName: $jobName) {
    id connectionId workspaceId name status createdAt updatedAt
  }
}
"""
CREATE_JOB_WORKS = """
mutation CreateJobWorks($connectionJobId: ID!, $inputs: [CreateJobWorksInput!]!) {
  createJobWorks(connectionJobId: $connectionJobId, inputs: $inputs) {
    id createdAt updatedAt workspaceId workId connectionJobId
  }
}
"""
CREATE_ARTIFACTS = """
mutation CreateJobWorkArtifacts($jobWorkId: ID!, $inputs: [CreateJobWorkArtifactsInput!]!) {
  createJobWorkArtifacts(jobWorkId: $jobWorkId, inputs: $inputs) {
    id createdAt updatedAt workspaceId artifactId connectionJobId jobWorkId
    workArtifact { id externalId createdAt updatedAt workId connectionId name type status uploadedUrl metadata }
  }
}
"""
TRIGGER = """
mutation TriggerConnectionJob($connectionJobId: ID!) {
  triggerConnectionJob(connectionJobId: $connectionJobId) { id status createdAt updatedAt }
}
"""
GET_JOB_WORKS = """
query GetJobWorks(
  $workspaceId: ID!, $connectionId: ID!, $filters: JobWorkFilters, $sortBy: SortBy, $offset: Int, $limit: Int
) {
  me {
    workspaces(filters: {ids: [$workspaceId]}) {
      connections(filters: {ids: [$connectionId]}) {
        jobWorks(filters: $filters, sortBy: $sortBy, offset: $offset, limit: $limit) {
          id createdAt updatedAt workspaceId workId connectionJobId
          work { id name externalId status tag }
          jobWorkArtifacts {
            id createdAt updatedAt workspaceId artifactId connectionJobId jobWorkId
            workArtifact { id externalId createdAt updatedAt workId connectionId name type status uploadedUrl metadata }
          }
        }
      }
    }
  }
}
"""


class Gateway:
    """A GraphQL caller for one emulator, with an access token and the project's request shapes."""

    def __init__(self, emulator: EmulatorHandle, token: str | None) -> None:
        self.emulator = emulator
        self.token = token
        self.http: httpx.Client = emulator.http

    def post(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        operation_name: str | None = None,
    ) -> httpx.Response:
        sent = {"source-platform": SOURCE_PLATFORM}
        bearer = token or self.token
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        sent.update(headers or {})
        payload: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
        if operation_name:
            payload["operationName"] = operation_name
        return self.http.post(self.emulator.url, json=payload, headers=sent)

    def data(self, query: str, variables: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        response = self.post(query, variables, **kwargs)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]
        return result

    def error(
        self, query: str, variables: Mapping[str, Any] | None = None, *, status: int = 200, **kwargs: Any
    ) -> dict[str, Any]:
        """The first error of a failing request, after checking its HTTP status."""
        response = self.post(query, variables, **kwargs)
        body = response.json()
        assert response.status_code == status, body
        first: dict[str, Any] = body["errors"][0]
        return first

    def create_job(self, name: str = "tax season 2024", connection_id: str | None = None) -> str:
        variables = {"connectionId": connection_id or self.emulator.connection_id, "jobName": name}
        job_id: str = self.data(CREATE_JOB, variables)["createConnectionJob"]["id"]
        return job_id

    def create_works(self, job_id: str, external_ids: Iterable[str]) -> list[dict[str, Any]]:
        inputs = [{"name": f"Client {ext}", "externalId": ext} for ext in external_ids]
        works: list[dict[str, Any]] = self.data(CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": inputs})[
            "createJobWorks"
        ]
        return works

    def create_artifacts(self, job_work_id: str, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        created: list[dict[str, Any]] = self.data(CREATE_ARTIFACTS, {"jobWorkId": job_work_id, "inputs": inputs})[
            "createJobWorkArtifacts"
        ]
        return created

    def trigger(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self.data(TRIGGER, {"connectionJobId": job_id})["triggerConnectionJob"]
        return job

    def job_works(self, job_id: str | None = None, **args: Any) -> list[dict[str, Any]]:
        variables: dict[str, Any] = {
            "workspaceId": self.emulator.workspace_id,
            "connectionId": self.emulator.connection_id,
            **args,
        }
        if job_id is not None:
            variables["filters"] = {"connectionJobIds": [job_id], **variables.get("filters", {})}
        data = self.data(GET_JOB_WORKS, variables)
        rows: list[dict[str, Any]] = data["me"]["workspaces"][0]["connections"][0]["jobWorks"]
        return rows

    def wait_for_job(self, job_id: str, status: str = "completed", timeout_s: float = 5.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.emulator.stats()["jobs"][job_id] != status:
            assert time.monotonic() < deadline, f"job {job_id} never reached {status!r}"
            time.sleep(0.05)
