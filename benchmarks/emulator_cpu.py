"""Emulator CPU per request shape, measured in-process around the ASGI app (no HTTP server, no client).

Each request is a ready-made JSON body handed to ``EmulatorApp`` as one ASGI call; the clock is
``time.process_time`` around that call only, so the numbers are the emulator's own CPU (Starlette,
auth, faults, execution, store, JSON) and nothing of a client or of uvicorn. Shapes:

- one ``createJobWorks`` of 500 inputs (median of ``--repeat`` requests, each on a fresh job);
- the import of 10,000 clients x 2 documents as the provider sends it: a read of the empty job, 20
  ``createJobWorks`` of 500, ``jobWorks`` pages of 1,000 to map externalIds to job works, then 40
  ``createJobWorkArtifacts`` requests of 250 aliased job works (``a0``, ``a1``, …) with 2 artifacts each;
  once on a new emulator (its first use of each document includes parsing and validating it: about
  0.1 s for the 250-alias document), then three times after ``reset()`` with the documents prepared;
- a 1,000-work ``jobWorks`` page with every documented field, without and with artifacts (2 per work),
  one page per request and four aliased pages (``p0`` … ``p3``) in one request.

Run ``uv run python benchmarks/emulator_cpu.py`` (``--general`` forces graphql-core's executor when the
emulator has a ``fast_path`` switch, ``--json`` prints the numbers as one JSON line).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import statistics
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_filed.emulator.app import EmulatorApp, create_app
from airflow_provider_filed.emulator.config import EmulatorConfig

API_KEY = "bench-cpu-api-key-0123456789"
CLIENTS = 10_000
BATCH = 500
PAGE = 1_000
ALIASES_PER_REQUEST = 250

LOGIN = "mutation Login($apiKey: String!) { loginViaPersonalApiToken(token: $apiKey) { accessToken } }"
CREATE_JOB = """
mutation CreateConnectionJob($connectionId: ID!, $jobName: String!) {
  createConnectionJob(connectionId: $connectionId, jobName: $jobName) { id }
}"""
CREATE_JOB_WORKS = """
mutation CreateJobWorks($connectionJobId: ID!, $inputs: [CreateJobWorksInput!]!) {
  createJobWorks(connectionJobId: $connectionJobId, inputs: $inputs) {
    id createdAt updatedAt workspaceId workId connectionJobId work { externalId }
  }
}"""
EXTERNAL_IDS = "id workId work { externalId }"
ARTIFACT_IDS = "id workId work { externalId } jobWorkArtifacts { workArtifact { externalId } }"
FULL = """
id createdAt updatedAt workspaceId workId connectionJobId
work { id name externalId status tag }
jobWorkArtifacts {
  id createdAt updatedAt workspaceId artifactId connectionJobId jobWorkId
  workArtifact { id externalId createdAt updatedAt workId connectionId name type status uploadedUrl metadata }
}"""


def job_works_query(selection: str, pages: int = 1) -> str:
    """``me → workspace → connection → jobWorks`` with ``pages`` aliased page fields ``p0``…."""
    offsets = "".join(f", $o{n}: Int" for n in range(pages))
    fields = " ".join(
        f"p{n}: jobWorks(filters: $filters, offset: $o{n}, limit: $limit) {{ {selection} }}" for n in range(pages)
    )
    return (
        f"query GetJobWorks($workspaceId: ID!, $connectionId: ID!, $filters: JobWorkFilters, $limit: Int{offsets}) "
        f"{{ me {{ workspaces(filters: {{ids: [$workspaceId]}}) {{ connections(filters: {{ids: [$connectionId]}}) "
        f"{{ {fields} }} }} }} }}"
    )


def artifacts_mutation(count: int) -> str:
    """One request attaching artifacts to ``count`` job works through aliases ``a0``…."""
    params = ", ".join(f"$j{i}: ID!, $i{i}: [CreateJobWorkArtifactsInput!]!" for i in range(count))
    fields = " ".join(
        f"a{i}: createJobWorkArtifacts(jobWorkId: $j{i}, inputs: $i{i}) {{ id workArtifact {{ externalId }} }}"
        for i in range(count)
    )
    return f"mutation CreateJobWorkArtifacts({params}) {{ {fields} }}"


@dataclass
class InProcess:
    """Drives one ``EmulatorApp`` with ASGI calls and adds up the CPU spent inside them."""

    app: EmulatorApp
    token: str = ""
    cpu_s: float = 0.0
    requests: int = 0
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)

    def post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """One GraphQL request; raises on an HTTP error or GraphQL errors."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        headers = [(b"content-type", b"application/json"), (b"source-platform", b"benchmark")]
        if self.token:
            headers.append((b"authorization", f"Bearer {self.token}".encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        chunks: list[bytes] = []
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        started = time.process_time()
        self.loop.run_until_complete(self.app(scope, receive, send))
        self.cpu_s += time.process_time() - started
        self.requests += 1
        result: dict[str, Any] = json.loads(b"".join(chunks))
        if status[0] != 200 or "errors" in result:
            raise RuntimeError(f"HTTP {status[0]}: {str(result)[:500]}")
        return result

    def measured(self, fn: Callable[[], Any]) -> float:
        """CPU seconds the emulator spent in the requests ``fn`` sends."""
        before = self.cpu_s
        fn()
        return self.cpu_s - before


def new_emulator(general: bool) -> InProcess:
    app = create_app(api_keys=[API_KEY], config=EmulatorConfig(processing_time_s=-1))
    if general and "fast_path" in EmulatorConfig.model_fields:
        app.configure(fast_path=False)
    driver = InProcess(app)
    log_in(driver)
    return driver


def log_in(emu: InProcess) -> None:
    emu.token = ""
    emu.token = emu.post(LOGIN, {"apiKey": API_KEY})["data"]["loginViaPersonalApiToken"]["accessToken"]


def reset(emu: InProcess, general: bool) -> None:
    """Seeded data only, as a new emulator, but documents stay prepared (as in a long-running emulator)."""
    emu.app.reset()
    if general and "fast_path" in EmulatorConfig.model_fields:
        emu.app.configure(fast_path=False)
    gc.collect()
    log_in(emu)


def new_job(emu: InProcess, name: str) -> str:
    variables = {"connectionId": emu.app.seed.connection_id, "jobName": name}
    job_id: str = emu.post(CREATE_JOB, variables)["data"]["createConnectionJob"]["id"]
    return job_id


def create_works(emu: InProcess, job_id: str, prefix: str, start: int, count: int) -> list[dict[str, Any]]:
    inputs = [{"name": f"Client {n}", "externalId": f"{prefix}-{n}"} for n in range(start, start + count)]
    rows: list[dict[str, Any]] = emu.post(CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": inputs})["data"][
        "createJobWorks"
    ]
    return rows


def read_pages(emu: InProcess, job_id: str, selection: str, pages: int = 1) -> list[dict[str, Any]]:
    """Every job work of the job, ``pages`` pages of 1,000 a request, until a short page."""
    query = job_works_query(selection, pages)
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        variables: dict[str, Any] = {
            "workspaceId": emu.app.seed.workspace_id,
            "connectionId": emu.app.seed.connection_id,
            "filters": {"connectionJobIds": [job_id]},
            "limit": PAGE,
            **{f"o{n}": offset + n * PAGE for n in range(pages)},
        }
        connection = emu.post(query, variables)["data"]["me"]["workspaces"][0]["connections"][0]
        offset += pages * PAGE
        for n in range(pages):
            page = connection[f"p{n}"]
            rows += page
            if len(page) < PAGE:
                return rows


def attach_artifacts(emu: InProcess, job_works: list[dict[str, Any]], per_work: int = 2) -> None:
    """Two artifacts per job work, ``ALIASES_PER_REQUEST`` job works per request."""
    query = artifacts_mutation(ALIASES_PER_REQUEST)
    for start in range(0, len(job_works), ALIASES_PER_REQUEST):
        chunk = job_works[start : start + ALIASES_PER_REQUEST]
        if len(chunk) < ALIASES_PER_REQUEST:
            query = artifacts_mutation(len(chunk))
        variables: dict[str, Any] = {}
        for i, row in enumerate(chunk):
            external_id = row["work"]["externalId"]
            variables[f"j{i}"] = row["id"]
            variables[f"i{i}"] = [
                {
                    "name": f"{external_id}-{k}.pdf",
                    "type": "w2" if k == 0 else "1099",
                    "url": f"https://partner.test/{external_id}/{k}.pdf",
                    "externalId": f"{external_id}-doc-{k}",
                    "metadata": {"year": 2024, "page": k},
                }
                for k in range(per_work)
            ]
        emu.post(query, variables)


def one_create(general: bool, repeat: int) -> list[float]:
    emu = new_emulator(general)
    samples = []
    for n in range(repeat):
        job_id = new_job(emu, f"single {n}")
        samples.append(emu.measured(functools.partial(create_works, emu, job_id, f"one{n}", 0, BATCH)))
    return samples


def full_import(emu: InProcess) -> dict[str, float]:
    job_id = new_job(emu, "import")
    parts: dict[str, float] = {}
    parts["read of the empty job"] = emu.measured(lambda: read_pages(emu, job_id, EXTERNAL_IDS))
    parts["20 createJobWorks x 500"] = emu.measured(
        lambda: [create_works(emu, job_id, "imp", start, BATCH) for start in range(0, CLIENTS, BATCH)]
    )
    rows: list[dict[str, Any]] = []
    parts["11 jobWorks pages of 1,000"] = emu.measured(lambda: rows.extend(read_pages(emu, job_id, ARTIFACT_IDS)))
    parts["40 createJobWorkArtifacts x 250 aliases x 2"] = emu.measured(lambda: attach_artifacts(emu, rows))
    parts["total"] = sum(parts.values())
    return parts


def pages(general: bool, repeat: int) -> dict[str, list[float]]:
    emu = new_emulator(general)
    bare, with_artifacts = new_job(emu, "bare"), new_job(emu, "artifacts")
    for start in range(0, PAGE, BATCH):
        create_works(emu, bare, "bare", start, BATCH)
    created = [row for start in range(0, PAGE, BATCH) for row in create_works(emu, with_artifacts, "art", start, BATCH)]
    attach_artifacts(emu, created)
    result: dict[str, list[float]] = {}
    for label, job_id in (("without artifacts", bare), ("with 2 artifacts a work", with_artifacts)):
        result[f"1 page of 1,000, {label}"] = [
            emu.measured(functools.partial(read_pages, emu, job_id, FULL)) for _ in range(repeat)
        ]
    big = new_job(emu, "big")
    for start in range(0, 4 * PAGE, BATCH):
        create_works(emu, big, "big", start, BATCH)
    result["4 aliased pages of 1,000 in one request (+1 short), without artifacts"] = [
        emu.measured(lambda: read_pages(emu, big, FULL, pages=4)) for _ in range(repeat)
    ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="samples of the single-request shapes (median)")
    parser.add_argument("--general", action="store_true", help="graphql-core's executor only (fast_path=False)")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    args = parser.parse_args()

    gc.collect()
    single = one_create(args.general, args.repeat)
    emu = new_emulator(args.general)
    first = full_import(emu)["total"]
    imports = []
    for _ in range(3):
        reset(emu, args.general)
        imports.append(full_import(emu))
    reads = pages(args.general, args.repeat)
    report: dict[str, float] = {"1 createJobWorks x 500 (median)": statistics.median(single)}
    report["import 10,000 x 2, first in the process (documents parsed, validated, compiled)"] = first
    for part in imports[0]:
        report[f"import 10,000 x 2: {part} (median of 3)"] = statistics.median(run[part] for run in imports)
    for label, samples in reads.items():
        report[f"{label} (median)"] = statistics.median(samples)
    if args.json:
        print(json.dumps({name: round(value * 1000, 2) for name, value in report.items()}))
        return
    mode = "general path (graphql-core)" if args.general else "default path"
    print(f"emulator CPU, in-process ASGI calls, {mode}")
    width = max(len(name) for name in report)
    for name, value in report.items():
        print(f"  {name:<{width}}  {value * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
