"""The GraphQL documents the client sends; each validates against ``emulator/schema.graphql`` in tests."""

from __future__ import annotations

CONNECTION_JOB_FIELDS = "id connectionId workspaceId name status createdAt updatedAt"
CONNECTION_FIELDS = "id workspaceId providerKey status action displayName settings createdAt updatedAt"
WORKSPACE_FIELDS = "id slug displayName status workspaceType"
JOB_WORK_CREATED_FIELDS = "id createdAt updatedAt workspaceId workId connectionJobId"


ME = (
    """
query Me($workspaceIds: [ID!]) {
  me { id email name workspaces(filters: {ids: $workspaceIds}) { %s } }
}"""
    % WORKSPACE_FIELDS
)

CONNECTIONS = (
    """
query Connections($workspaceId: ID!, $filters: ConnectionFilters, $limit: Int, $offset: Int, $sortBy: SortBy) {
  me { workspaces(filters: {ids: [$workspaceId]}) {
    connections(filters: $filters, limit: $limit, offset: $offset, sortBy: $sortBy) {
      %s provider { name category }
    }
  } }
}"""
    % CONNECTION_FIELDS
)

CREATE_WORKSPACE = (
    """
mutation CreateWorkspace($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) { %s }
}"""
    % WORKSPACE_FIELDS
)

ADD_USERS_TO_THE_WORKSPACE = """
mutation AddUsersToTheWorkspace($workspaceId: ID!, $userEmails: [String!]!) {
  addUsersToTheWorkspace(workspaceId: $workspaceId, userEmails: $userEmails) { id email name role }
}"""

START_PROVIDER_CONNECTION = (
    """
mutation StartProviderConnection($workspaceId: ID!, $providerKey: String!, $inputs: JSON) {
  startProviderConnection(workspaceId: $workspaceId, providerKey: $providerKey, inputs: $inputs) { %s }
}"""
    % CONNECTION_FIELDS
)

COLLECT_PROVIDER_CONNECTION = (
    """
mutation CollectProviderConnection($connectionId: ID!, $inputs: JSON) {
  collectProviderConnection(connectionId: $connectionId, inputs: $inputs) { %s }
}"""
    % CONNECTION_FIELDS
)

CREATE_CONNECTION_JOB = (
    """
mutation CreateConnectionJob($connectionId: ID!, $jobName: String!) {
  createConnectionJob(connectionId: $connectionId, jobName: $jobName) { %s }
}"""
    % CONNECTION_JOB_FIELDS
)

CREATE_JOB_WORKS = (
    """
mutation CreateJobWorks($connectionJobId: ID!, $inputs: [CreateJobWorksInput!]!) {
  createJobWorks(connectionJobId: $connectionJobId, inputs: $inputs) { %s work { externalId } }
}"""
    % JOB_WORK_CREATED_FIELDS
)

CREATE_JOB_WORK_ARTIFACTS = """
mutation CreateJobWorkArtifacts($jobWorkId: ID!, $inputs: [CreateJobWorkArtifactsInput!]!) {
  createJobWorkArtifacts(jobWorkId: $jobWorkId, inputs: $inputs) {
    id jobWorkId artifactId workArtifact { id externalId status }
  }
}"""

TRIGGER_CONNECTION_JOB = (
    """
mutation TriggerConnectionJob($connectionJobId: ID!) {
  triggerConnectionJob(connectionJobId: $connectionJobId) { %s }
}"""
    % CONNECTION_JOB_FIELDS
)

JOB_WORK_FULL_SELECTION = """
id createdAt updatedAt workspaceId workId connectionJobId
work { id name externalId status tag }
jobWorkArtifacts {
  id createdAt updatedAt workspaceId artifactId connectionJobId jobWorkId
  workArtifact { id externalId createdAt updatedAt workId connectionId name type status uploadedUrl metadata }
}"""

JOB_WORK_STATUS_SELECTION = "id work { externalId status }"
JOB_WORK_ARTIFACT_STATUS_SELECTION = (
    "id work { externalId status } jobWorkArtifacts { workArtifact { externalId status metadata } }"
)
JOB_WORK_EXTERNAL_ID_SELECTION = "id workId work { externalId }"
JOB_WORK_ARTIFACT_IDS_SELECTION = "id workId work { externalId } jobWorkArtifacts { workArtifact { externalId } }"


def job_works_query(selection: str) -> str:
    """A ``GetJobWorks`` query walking me → workspace → connection → jobWorks with ``selection``."""
    return (
        """
query GetJobWorks($workspaceId: ID!, $connectionId: ID!, $filters: JobWorkFilters, $sortBy: SortBy,
                  $offset: Int, $limit: Int) {
  me { workspaces(filters: {ids: [$workspaceId]}) {
    connections(filters: {ids: [$connectionId]}) {
      jobWorks(filters: $filters, sortBy: $sortBy, offset: $offset, limit: $limit) { %s }
    }
  } }
}"""
        % selection
    )


def aliased_artifacts_mutation(count: int) -> str:
    """One ``CreateJobWorkArtifacts`` document with ``count`` aliased fields ``a0``…: many job works a request."""
    params = ", ".join(f"$j{i}: ID!, $i{i}: [CreateJobWorkArtifactsInput!]!" for i in range(count))
    fields = "\n  ".join(
        f"a{i}: createJobWorkArtifacts(jobWorkId: $j{i}, inputs: $i{i}) {{ id workArtifact {{ externalId }} }}"
        for i in range(count)
    )
    return f"mutation CreateJobWorkArtifacts({params}) {{\n  {fields}\n}}"
