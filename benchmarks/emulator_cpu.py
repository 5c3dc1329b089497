"""Emulator CPU per request shape, measured in-process around the ASGI app (no HTTP server, no client).

Each request is a ready-made JSON body handed to ``EmulatorApp`` as one ASGI call; the clock is
``time.process_time`` around that call only, so the numbers are the emulator's own CPU (Starlette,
auth, faults, execution, store, JSON) and nothing of a client or of uvicorn. The documents are the
provider's own (``airflow_provider_filed.client.documents``), the rows the benchmarks' workload. Shapes:

- one ``createJobWorks`` of 500 inputs (median of ``--repeat`` requests, each on a fresh job);
- the import of 10,000 clients x 2 documents as the provider sends it on a first attempt: 20
  ``createJobWorks`` of 500, then 40 ``createJobWorkArtifacts`` requests of 250 aliased job works
  (``a0``, ``a1``, …) with 2 artifacts each; once on a new emulator (its first use of each document
  includes parsing, validating and compiling it), then five times after ``reset()`` (the median: single
  imports vary by ±15 % with the garbage collector);
- the import's 20,000 documents again as 40 requests of 10 aliased fields x 50 documents (after each
  import): the import's 10,000 fields of 2 cost the difference beyond their documents;
- ``jobWorks`` reads of 1,000-work pages with the sensor's selections, without and with artifacts
  (2 per work), one page per request and 8 aliased pages (the provider's ``pages_per_request``);
- the same import with the bytes the provider's client writes (its operations and ``request_body``, the
  rows validated by ``parse_job_works`` / ``parse_artifacts``), alone and again while a busy Python
  process (validating rows and writing and reading JSON, over and over) runs beside it: on a 2-core
  machine that is what the emulator meets over HTTP, where the client runs on the other core.

``make bench`` runs it (``benchmarks/run.py``); alone: ``uv run python benchmarks/emulator_cpu.py``
(``--general`` forces graphql-core's executor, ``--json`` prints the numbers as one JSON line).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_filed.client import documents as provider
from airflow_provider_filed.client import operations
from airflow_provider_filed.client.inputs import parse_artifacts, parse_job_works
from airflow_provider_filed.emulator.app import EmulatorApp, create_app
from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.server import tune_gc
from benchmarks.workload import (
    ARTIFACTS_AS_IMPORTED,
    ARTIFACTS_IN_FEWER_FIELDS,
    DOCUMENTS_PER_CLIENT,
    DOCUMENTS_PER_FEWER_FIELD,
    INPUTS_PER_REQUEST,
    LOGIN,
    PROVIDER_IMPORT,
    WORKS_PER_ARTIFACT_REQUEST,
    artifacts_variables,
    clients,
    documents,
    documents_of,
    first_body,
)

API_KEY = "bench-cpu-api-key-0123456789"
CLIENTS = 10_000
PAGE = 1_000
PAGES_PER_REQUEST = 8
IMPORTS = 5
#: The document the provider's bulk import sends (its lean one, where the provider has it).
BULK_CREATE_JOB_WORKS: str = getattr(provider, "CREATE_JOB_WORKS_IDS", provider.CREATE_JOB_WORKS)


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

    def post_body(self, body: bytes) -> dict[str, Any]:
        """One request with a ready-made body (a client's own bytes)."""
        payload = json.loads(body)
        return self.post(payload["query"], payload["variables"])

    def measured(self, fn: Callable[[], Any]) -> float:
        """CPU seconds the emulator spent in the requests ``fn`` sends."""
        before = self.cpu_s
        fn()
        return self.cpu_s - before


def new_emulator(general: bool) -> InProcess:
    tune_gc()  # as the serving process does
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
    job_id: str = emu.post(provider.CREATE_CONNECTION_JOB, variables)["data"]["createConnectionJob"]["id"]
    return job_id


def create_works(emu: InProcess, job_id: str, prefix: str, start: int, count: int) -> list[dict[str, Any]]:
    """One ``createJobWorks`` with the document the provider's bulk import sends."""
    variables = {"connectionJobId": job_id, "inputs": clients(count, prefix, start)}
    rows: list[dict[str, Any]] = emu.post(BULK_CREATE_JOB_WORKS, variables)["data"]["createJobWorks"]
    return rows


def read_pages(emu: InProcess, job_id: str, selection: str, pages: int = 1) -> int:
    """Every job work of the job, ``pages`` pages of 1,000 a request, to an empty page; how many."""
    query = provider.job_works_query(selection, pages)
    seen = 0
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
            seen += len(page)
            if not page:
                return seen


def attach_artifacts(
    emu: InProcess,
    job_works: list[dict[str, Any]],
    documents_for: Callable[[str], list[dict[str, Any]]] = documents_of,
    per_request: int = WORKS_PER_ARTIFACT_REQUEST,
) -> None:
    """Each job work's documents (by default the workload's two), ``per_request`` job works a request, with the
    provider's aliased document: a field per job work."""
    for start in range(0, len(job_works), per_request):
        chunk = [
            (row["id"], documents_for(row["work"]["externalId"])) for row in job_works[start : start + per_request]
        ]
        emu.post(provider.aliased_artifacts_mutation(len(chunk)), artifacts_variables(chunk))


def one_create(general: bool, repeat: int) -> list[float]:
    emu = new_emulator(general)
    samples = []
    for n in range(repeat):
        job_id = new_job(emu, f"single {n}")
        samples.append(emu.measured(functools.partial(create_works, emu, job_id, f"one{n}", 0, INPUTS_PER_REQUEST)))
    return samples


def full_import(emu: InProcess) -> dict[str, float]:
    job_id = new_job(emu, "import")
    rows: list[dict[str, Any]] = []
    parts: dict[str, float] = {}

    def create_all() -> None:
        for start in range(0, CLIENTS, INPUTS_PER_REQUEST):
            rows.extend(create_works(emu, job_id, "imp", start, INPUTS_PER_REQUEST))

    parts["20 createJobWorks x 500"] = emu.measured(create_all)
    parts[ARTIFACTS_AS_IMPORTED] = emu.measured(lambda: attach_artifacts(emu, rows))
    parts["total"] = sum(parts.values())
    return parts


def documents_in_fewer_fields(emu: InProcess) -> float:
    """CPU of attaching the import's 20,000 documents as 40 requests of 10 aliased fields x 50 documents (400 job
    works of a new job), sent back to back as the import's are: the import's shape minus this is its fields' cost."""
    fields = CLIENTS * DOCUMENTS_PER_CLIENT // DOCUMENTS_PER_FEWER_FIELD
    job_id = new_job(emu, "fewer fields")
    rows = create_works(emu, job_id, "few", 0, fields)
    aliases = INPUTS_PER_REQUEST // DOCUMENTS_PER_FEWER_FIELD
    return emu.measured(lambda: attach_artifacts(emu, rows, _fifty_documents, aliases))


def _fifty_documents(external_id: str) -> list[dict[str, Any]]:
    """``DOCUMENTS_PER_FEWER_FIELD`` documents of a client: the workload's two repeated with new externalIds."""
    pair = documents_of(external_id)
    return [{**pair[k % 2], "externalId": f"{external_id}-{k}"} for k in range(DOCUMENTS_PER_FEWER_FIELD)]


def pages(general: bool, repeat: int) -> dict[str, list[float]]:
    """The sensor's reads of a 10,000-work job (2 artifacts a work): one page, and all of it 8 pages a request."""
    emu = new_emulator(general)
    job_id = new_job(emu, "read")
    created = [row for s in range(0, CLIENTS, 500) for row in create_works(emu, job_id, "read", s, 500)]
    attach_artifacts(emu, created)
    shapes = {
        "1 page of 1,000, status selection": (provider.JOB_WORK_STATUS_SELECTION, 1, 1),
        "1 page of 1,000, with artifact statuses": (provider.JOB_WORK_ARTIFACT_STATUS_SELECTION, 1, 1),
        "10,000 works, 8 pages a request, with artifact statuses": (
            provider.JOB_WORK_ARTIFACT_STATUS_SELECTION,
            PAGES_PER_REQUEST,
            None,
        ),
    }
    result: dict[str, list[float]] = {}
    for label, (selection, width, only) in shapes.items():
        if only:  # one request for the first page only
            variables = {
                "workspaceId": emu.app.seed.workspace_id,
                "connectionId": emu.app.seed.connection_id,
                "filters": {"connectionJobIds": [job_id]},
                "limit": PAGE,
                "o0": 0,
            }
            query = provider.job_works_query(selection, 1)
            result[label] = [emu.measured(functools.partial(emu.post, query, variables)) for _ in range(repeat)]
        else:
            result[label] = [
                emu.measured(functools.partial(read_pages, emu, job_id, selection, width)) for _ in range(repeat)
            ]
    return result


def provider_import(emu: InProcess) -> float:
    """CPU of the import as the provider's client writes it: 20 ``createJobWorks``, then 40 aliased
    ``createJobWorkArtifacts`` with the job work ids the creates answered (bodies built outside the clock)."""
    rows = clients(CLIENTS, "prov")
    works = parse_job_works(rows)
    artifacts = parse_artifacts(documents(rows))
    job_id = new_job(emu, "provider bodies")
    ids: dict[str, str] = {}
    cpu = 0.0
    for start in range(0, CLIENTS, INPUTS_PER_REQUEST):
        body = first_body(operations.create_job_works_ids(job_id, works[start : start + INPUTS_PER_REQUEST]))
        before = emu.cpu_s
        created = emu.post_body(body)["data"]["createJobWorks"]
        cpu += emu.cpu_s - before
        ids.update((row["work"]["externalId"], row["id"]) for row in created)
    groups = [(ids[client], inputs) for client, inputs in artifacts.items()]
    for start in range(0, len(groups), WORKS_PER_ARTIFACT_REQUEST):
        chunk = groups[start : start + WORKS_PER_ARTIFACT_REQUEST]
        body = first_body(operations.create_job_work_artifacts_aliased(chunk))
        cpu += emu.measured(functools.partial(emu.post_body, body))
    return cpu


#: What runs beside the emulator in the "busy neighbour" shape: a client's kind of work, over and over —
#: validating 10,000 clients' rows, writing them as JSON and reading them back.
NEIGHBOUR = (
    "import json; from benchmarks.workload import clients, documents; "
    "from airflow_provider_filed.client.inputs import parse_artifacts, parse_job_works; "
    "rows = clients(10_000, 'n'); docs = documents(rows); print('ready', flush=True)\n"
    "while True: parse_job_works(rows); parse_artifacts(docs); json.loads(json.dumps(docs))"
)


def provider_imports(repeat: int) -> dict[str, list[float]]:
    """The provider's import ``repeat`` times alone, then ``repeat`` times beside a busy neighbour process."""
    emu = new_emulator(False)
    provider_import(emu)  # documents parsed, validated, compiled
    alone = []
    for _ in range(repeat):
        reset(emu, False)
        alone.append(provider_import(emu))
    beside = []
    root = Path(__file__).resolve().parent.parent
    with subprocess.Popen([sys.executable, "-c", NEIGHBOUR], cwd=root, stdout=subprocess.PIPE, text=True) as busy:
        try:
            if busy.stdout is None or busy.stdout.readline().strip() != "ready":
                raise RuntimeError("the busy neighbour process did not start")
            for _ in range(repeat):
                reset(emu, False)
                beside.append(provider_import(emu))
        finally:
            busy.kill()
    return {"alone": alone, "beside a busy process": beside}


def report(general: bool = False, repeat: int = 15) -> dict[str, float]:
    """Every shape's emulator CPU in milliseconds (medians), by label."""
    gc.collect()
    single = one_create(general, repeat)
    emu = new_emulator(general)
    first = full_import(emu)["total"]
    imports = []
    for _ in range(IMPORTS):
        reset(emu, general)
        imports.append(full_import(emu))
        imports[-1][ARTIFACTS_IN_FEWER_FIELDS] = documents_in_fewer_fields(emu)
    reads = pages(general, max(3, repeat // 3))
    provider_runs = provider_imports(IMPORTS)
    result: dict[str, float] = {"1 createJobWorks x 500 (median)": statistics.median(single)}
    result["import 10,000 x 2, first in the process (documents parsed, validated, compiled)"] = first
    for part in imports[0]:
        result[f"import 10,000 x 2: {part} (median of {IMPORTS})"] = statistics.median(run[part] for run in imports)

    for label, samples in reads.items():
        result[f"{label} (median)"] = statistics.median(samples)
    for label, samples in provider_runs.items():
        result[f"{PROVIDER_IMPORT}, {label} (median of {IMPORTS})"] = statistics.median(samples)
    return {name: round(value * 1000, 2) for name, value in result.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="samples of the single-request shapes (median)")
    parser.add_argument("--general", action="store_true", help="graphql-core's executor only (fast_path=False)")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    args = parser.parse_args()
    numbers = report(args.general, args.repeat)
    if args.json:
        print(json.dumps(numbers))
        return
    mode = "general path (graphql-core)" if args.general else "default path"
    print(f"emulator CPU, in-process ASGI calls, {mode}")
    width = max(len(name) for name in numbers)
    for name, value in numbers.items():
        print(f"  {name:<{width}}  {value:9.1f} ms")


if __name__ == "__main__":
    main()
