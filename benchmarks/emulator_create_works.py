"""Benchmark: create 10,000 works in 20 batches of 500 against a local emulator, then read them back.

"Emulator time" is the wall time of the 20 createJobWorks requests over loopback HTTP (client
serialisation included, so it is an upper bound of the server's share). Run:
``uv run python benchmarks/emulator_create_works.py``.
"""

from __future__ import annotations

import argparse
import time

import httpx

from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.testing import run_emulator

CREATE_JOB = """
mutation CreateConnectionJob($connectionId: ID!, $jobName: String!) {
  createConnectionJob(connectionId: $connectionId, jobName: $jobName) { id status }
}
"""
CREATE_JOB_WORKS = """
mutation CreateJobWorks($connectionJobId: ID!, $inputs: [CreateJobWorksInput!]!) {
  createJobWorks(connectionJobId: $connectionJobId, inputs: $inputs) {
    id createdAt updatedAt workspaceId workId connectionJobId
  }
}
"""
GET_JOB_WORKS = """
query GetJobWorks($workspaceId: ID!, $connectionId: ID!, $jobId: ID!, $offset: Int!, $limit: Int!) {
  me {
    workspaces(filters: {ids: [$workspaceId]}) {
      connections(filters: {ids: [$connectionId]}) {
        jobWorks(filters: {connectionJobIds: [$jobId]}, offset: $offset, limit: $limit) {
          id work { externalId status }
        }
      }
    }
  }
}
"""


def _post(client: httpx.Client, url: str, query: str, variables: dict[str, object]) -> dict[str, object]:
    response = client.post(url, json={"query": query, "variables": variables})
    response.raise_for_status()
    body: dict[str, object] = response.json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--page", type=int, default=1_000)
    args = parser.parse_args()

    with run_emulator(config=EmulatorConfig()) as emulator:
        token = emulator.login()
        headers = {"Authorization": f"Bearer {token}", "source-platform": "benchmark"}
        with httpx.Client(headers=headers, timeout=60, trust_env=False) as client:
            job = _post(
                client,
                emulator.url,
                CREATE_JOB,
                {"connectionId": emulator.connection_id, "jobName": "benchmark"},
            )
            job_id = job["data"]["createConnectionJob"]["id"]  # type: ignore[index]
            batches = [
                [{"name": f"Client {n}", "externalId": f"bench-{n}"} for n in range(start, start + args.batch)]
                for start in range(0, args.works, args.batch)
            ]
            started = time.perf_counter()
            for inputs in batches:
                _post(client, emulator.url, CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": inputs})
            create_s = time.perf_counter() - started

            started = time.perf_counter()
            read = 0
            for offset in range(0, args.works + 1, args.page):
                variables = {
                    "workspaceId": emulator.workspace_id,
                    "connectionId": emulator.connection_id,
                    "jobId": job_id,
                    "offset": offset,
                    "limit": args.page,
                }
                body = _post(client, emulator.url, GET_JOB_WORKS, variables)
                page = body["data"]["me"]["workspaces"][0]["connections"][0]["jobWorks"]  # type: ignore[index]
                read += len(page)
                if len(page) < args.page:
                    break
            read_s = time.perf_counter() - started

        stats = emulator.stats()
    stored = stats["works_per_job"][job_id]
    print(
        f"create: {args.works} works in {len(batches)} batches of {args.batch}: "
        f"{create_s:.2f} s wall time of the create requests (target < 5 s); stored {stored}"
    )
    print(f"read:   {read} job works in pages of {args.page}: {read_s:.2f} s wall time of the read requests")


if __name__ == "__main__":
    main()
