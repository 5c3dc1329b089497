"""The GraphQL documents the client sends; each validates against ``emulator/schema.graphql`` in tests."""

from __future__ import annotations

import functools

CONNECTION_JOB_FIELDS = "id connectionId workspaceId name status createdAt updatedAt"
CONNECTION_FIELDS = "id workspaceId providerKey status action displayName settings createdAt updatedAt"
WORKSPACE_FIELDS = "id slug displayName status workspaceType"
JOB_WORK_CREATED_FIELDS = "id createdAt updatedAt workspaceId workId connectionJobId"


ME = f"""
query Me($workspaceIds: [ID!]) {{
  me {{ id email name workspaces(filters: {{ids: $workspaceIds}}) {{ {WORKSPACE_FIELDS} }} }}
}}"""


def _sort_by(sent: bool) -> tuple[str, str]:
    """The ``$sortBy`` variable and argument, only when the caller sends one (Filed documents no fields)."""
    return (", $sortBy: SortBy", ", sortBy: $sortBy") if sent else ("", "")


def connections_query(*, sort_by: bool) -> str:
    """A ``Connections`` query, ``sortBy`` only when sent."""
    sort_param, sort_arg = _sort_by(sort_by)
    return f"""
query Connections($workspaceId: ID!, $filters: ConnectionFilters, $limit: Int, $offset: Int{sort_param}) {{
  me {{ workspaces(filters: {{ids: [$workspaceId]}}) {{
    connections(filters: $filters, limit: $limit, offset: $offset{sort_arg}) {{
      {CONNECTION_FIELDS} provider {{ name category }}
    }}
  }} }}
}}"""


CREATE_WORKSPACE = f"""
mutation CreateWorkspace($input: CreateWorkspaceInput!) {{
  createWorkspace(input: $input) {{ {WORKSPACE_FIELDS} }}
}}"""

ADD_USERS_TO_THE_WORKSPACE = """
mutation AddUsersToTheWorkspace($workspaceId: ID!, $userEmails: [String!]!) {
  addUsersToTheWorkspace(workspaceId: $workspaceId, userEmails: $userEmails) { id email name role }
}"""

START_PROVIDER_CONNECTION = f"""
mutation StartProviderConnection($workspaceId: ID!, $providerKey: String!, $inputs: JSON) {{
  startProviderConnection(workspaceId: $workspaceId, providerKey: $providerKey, inputs: $inputs) {{ {CONNECTION_FIELDS} }}
}}"""

COLLECT_PROVIDER_CONNECTION = f"""
mutation CollectProviderConnection($connectionId: ID!, $inputs: JSON) {{
  collectProviderConnection(connectionId: $connectionId, inputs: $inputs) {{ {CONNECTION_FIELDS} }}
}}"""

CREATE_CONNECTION_JOB = f"""
mutation CreateConnectionJob($connectionId: ID!, $jobName: String!) {{
  createConnectionJob(connectionId: $connectionId, jobName: $jobName) {{ {CONNECTION_JOB_FIELDS} }}
}}"""


def create_job_works_mutation(selection: str) -> str:
    """A ``CreateJobWorks`` mutation returning ``selection`` for each created job work."""
    return f"""
mutation CreateJobWorks($connectionJobId: ID!, $inputs: [CreateJobWorksInput!]!) {{
  createJobWorks(connectionJobId: $connectionJobId, inputs: $inputs) {{ {selection} }}
}}"""


CREATE_JOB_WORKS = create_job_works_mutation(JOB_WORK_CREATED_FIELDS + " work { externalId }")
#: What exactly-once bulk creation needs back: each job work's id and its client's externalId.
CREATE_JOB_WORKS_IDS = create_job_works_mutation("id work { externalId }")

CREATE_JOB_WORK_ARTIFACTS = """
mutation CreateJobWorkArtifacts($jobWorkId: ID!, $inputs: [CreateJobWorkArtifactsInput!]!) {
  createJobWorkArtifacts(jobWorkId: $jobWorkId, inputs: $inputs) {
    id jobWorkId artifactId workArtifact { id externalId status }
  }
}"""

#: Filed's answer (a regex) when a connection job was triggered before: a repeated trigger counts as done.
ALREADY_TRIGGERED = r"already triggered|no longer accepts works"

TRIGGER_CONNECTION_JOB = f"""
mutation TriggerConnectionJob($connectionJobId: ID!) {{
  triggerConnectionJob(connectionJobId: $connectionJobId) {{ {CONNECTION_JOB_FIELDS} }}
}}"""

JOB_WORK_FULL_SELECTION = """
id createdAt updatedAt workspaceId workId connectionJobId
work { id name externalId status tag }
jobWorkArtifacts {
  id createdAt updatedAt workspaceId artifactId connectionJobId jobWorkId
  workArtifact { id externalId createdAt updatedAt workId connectionId name type status uploadedUrl metadata }
}"""

# Minimal selections, each a subset of the fields Filed's documentation shows.
JOB_WORK_STATUS_SELECTION = "id work { externalId status }"
JOB_WORK_ARTIFACT_STATUS_SELECTION = (
    "id work { externalId status } jobWorkArtifacts { workArtifact { externalId status } }"
)
#: What a failure report needs: artifact ``metadata`` (Filed's reason), read for failed works only.
JOB_WORK_FAILURE_SELECTION = (
    "id work { externalId status } jobWorkArtifacts { workArtifact { externalId status metadata } }"
)
JOB_WORK_EXTERNAL_ID_SELECTION = "id connectionJobId work { externalId }"
JOB_WORK_ARTIFACT_IDS_SELECTION = (
    "id connectionJobId work { externalId } jobWorkArtifacts { workArtifact { externalId } }"
)


@functools.lru_cache(maxsize=64)
def job_works_query(selection: str, pages: int = 1, *, sort_by: bool = False) -> str:
    """A ``GetJobWorks`` query reading ``pages`` pages in one request (aliases ``p0``, ``p1``… at ``$o0``, ``$o1``…).

    Every page shares ``$filters`` and ``$limit``; ``sortBy`` is declared only when the caller sends one.
    """
    offsets = "".join(f", $o{i}: Int" for i in range(pages))
    sort_param, sort_arg = _sort_by(sort_by)
    fields = "\n      ".join(
        f"p{i}: jobWorks(filters: $filters, offset: $o{i}, limit: $limit{sort_arg}) {{ {selection} }}"
        for i in range(pages)
    )
    return f"""
query GetJobWorks($workspaceId: ID!, $connectionId: ID!, $filters: JobWorkFilters, $limit: Int{offsets}{sort_param}) {{
  me {{ workspaces(filters: {{ids: [$workspaceId]}}) {{
    connections(filters: {{ids: [$connectionId]}}) {{
      {fields}
    }}
  }} }}
}}"""


@functools.lru_cache(maxsize=64)
def aliased_artifacts_mutation(count: int) -> str:
    """One ``CreateJobWorkArtifacts`` document with ``count`` aliased fields ``a0``…: many job works a request
    (each answers only the ids of what it created: they are counted, nothing more)."""
    params = ", ".join(f"$j{i}: ID!, $i{i}: [CreateJobWorkArtifactsInput!]!" for i in range(count))
    fields = "\n  ".join(
        f"a{i}: createJobWorkArtifacts(jobWorkId: $j{i}, inputs: $i{i}) {{ id }}" for i in range(count)
    )
    return f"mutation CreateJobWorkArtifacts({params}) {{\n  {fields}\n}}"
