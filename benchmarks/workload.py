"""The import every contender performs, its round-trip floor, and the hand-written GraphQL documents.

The workload: ``n`` clients, each with 2 documents, into one new connection job. Filed documents at most
500 inputs per create request; a request that attaches artifacts to many job works (aliases ``a0``…)
carries at most 500 artifacts in all, as the provider and the hand-written client send it.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

INPUTS_PER_REQUEST = 500
DOCUMENTS_PER_CLIENT = 2
WORKS_PER_ARTIFACT_REQUEST = INPUTS_PER_REQUEST // DOCUMENTS_PER_CLIENT
#: ``emulator_cpu.py``'s label for the import sent with the provider's own request bodies (the report reads it).
PROVIDER_IMPORT = "import 10,000 x 2, the provider's own request bodies"
#: ``emulator_cpu.py``'s labels for the import's documents attached as it sends them (an aliased field per
#: client: Filed takes one job work a field) and in fewer fields of more documents; the report parts what
#: each field costs the emulator from what its documents cost.
ARTIFACTS_AS_IMPORTED = f"40 createJobWorkArtifacts x {WORKS_PER_ARTIFACT_REQUEST} aliases x {DOCUMENTS_PER_CLIENT}"
DOCUMENTS_PER_FEWER_FIELD = 50
ARTIFACTS_IN_FEWER_FIELDS = (
    f"the same documents as 40 createJobWorkArtifacts x "
    f"{INPUTS_PER_REQUEST // DOCUMENTS_PER_FEWER_FIELD} aliases x {DOCUMENTS_PER_FEWER_FIELD}"
)


def clients(n: int, prefix: str, start: int = 0) -> list[dict[str, str]]:
    """Clients ``start`` … ``start + n - 1``."""
    return [{"name": f"Client {i}", "externalId": f"{prefix}-{i:06d}"} for i in range(start, start + n)]


def documents_of(external_id: str) -> list[dict[str, Any]]:
    """A client's two documents: a W-2 with metadata, a 1099 without."""
    return [
        {
            "name": f"W-2 {external_id}",
            "type": "w2",
            "url": f"https://files.example.test/{external_id}/w2.pdf",
            "externalId": f"{external_id}-w2",
            "metadata": {"year": 2024},
        },
        {
            "name": f"1099 {external_id}",
            "type": "1099",
            "url": f"https://files.example.test/{external_id}/1099.pdf",
            "externalId": f"{external_id}-1099",
        },
    ]


def documents(rows: list[dict[str, str]]) -> dict[str, list[dict[str, Any]]]:
    return {row["externalId"]: documents_of(row["externalId"]) for row in rows}


@dataclass(frozen=True)
class Floor:
    """The least the workload needs: requests, and round trips with ``concurrency`` requests in flight.

    A login first; then every create request, in waves of ``concurrency`` (the artifacts of a batch can
    follow its works at once, so works and artifacts share the waves).
    """

    clients: int
    latency_ms: float
    concurrency: int = 4

    @property
    def work_requests(self) -> int:
        return math.ceil(self.clients / INPUTS_PER_REQUEST)

    @property
    def artifact_requests(self) -> int:
        return math.ceil(self.clients * DOCUMENTS_PER_CLIENT / INPUTS_PER_REQUEST)

    @property
    def requests(self) -> int:
        return 1 + self.work_requests + self.artifact_requests

    @property
    def round_trips(self) -> int:
        return 1 + math.ceil((self.requests - 1) / self.concurrency)

    @property
    def seconds(self) -> float:
        return self.round_trips * self.latency_ms / 1000


# ---- hand-written documents: what a DAG author types (the contenders and emulator_cpu.py use them) ----

LOGIN = "mutation Login($apiKey: String!) { loginViaPersonalApiToken(token: $apiKey) { accessToken } }"
CREATE_JOB = (
    "mutation CreateConnectionJob($connectionId: ID!, $jobName: String!) "
    "{ createConnectionJob(connectionId: $connectionId, jobName: $jobName) { id } }"
)
CREATE_JOB_WORKS = (
    "mutation CreateJobWorks($connectionJobId: ID!, $inputs: [CreateJobWorksInput!]!) "
    "{ createJobWorks(connectionJobId: $connectionJobId, inputs: $inputs) { id work { externalId } } }"
)
CREATE_JOB_WORK_ARTIFACTS = (
    "mutation CreateJobWorkArtifacts($jobWorkId: ID!, $inputs: [CreateJobWorkArtifactsInput!]!) "
    "{ createJobWorkArtifacts(jobWorkId: $jobWorkId, inputs: $inputs) { id } }"
)


def artifacts_mutation(count: int) -> str:
    """One request attaching artifacts to ``count`` job works, through aliases ``a0``…."""
    params = ", ".join(f"$j{i}: ID!, $i{i}: [CreateJobWorkArtifactsInput!]!" for i in range(count))
    fields = " ".join(f"a{i}: createJobWorkArtifacts(jobWorkId: $j{i}, inputs: $i{i}) {{ id }}" for i in range(count))
    return f"mutation CreateJobWorkArtifacts({params}) {{ {fields} }}"


def artifacts_variables(chunk: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """Variables of :func:`artifacts_mutation` for ``(job work id, documents)`` pairs."""
    variables: dict[str, Any] = {}
    for i, (job_work_id, docs) in enumerate(chunk):
        variables[f"j{i}"] = job_work_id
        variables[f"i{i}"] = docs
    return variables


def job_works_query(selection: str, pages: int = 1) -> str:
    """``me → workspace → connection → jobWorks`` with ``pages`` aliased pages ``p0``… at offsets ``$o0``…."""
    offsets = "".join(f", $o{n}: Int" for n in range(pages))
    fields = " ".join(
        f"p{n}: jobWorks(filters: $filters, offset: $o{n}, limit: $limit) {{ {selection} }}" for n in range(pages)
    )
    return (
        f"query GetJobWorks($workspaceId: ID!, $connectionId: ID!, $filters: JobWorkFilters, $limit: Int{offsets}) "
        f"{{ me {{ workspaces(filters: {{ids: [$workspaceId]}}) {{ connections(filters: {{ids: [$connectionId]}}) "
        f"{{ {fields} }} }} }} }}"
    )


def first_body(operation: Generator[Any, Any, Any]) -> bytes:
    """The body of the first request a provider operation sends, as its client writes it."""
    from airflow_provider_filed.client.transport import GraphQLRequest, request_body

    request = next(operation)
    if not isinstance(request, GraphQLRequest):
        raise TypeError(f"expected one request, got {request!r}")
    return request_body(request)
