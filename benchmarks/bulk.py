"""Importing ``n`` clients x 2 documents: the provider against hand-written clients, and how it scales.

Contenders (each in its own fresh process; each repetition starts from ``POST /_emulator/reset``, opens a
new connection job outside the clock and logs in inside it):

* **provider** — what the example DAG's ``import_batch`` tasks run on a first attempt: validate the rows
  (``parse_job_works``, ``parse_artifacts``), ``JobWorksImport.run(existing="none")``, then
  ``ArtifactsImport.run(job_work_ids=…, fresh=True)``; default settings (500 a request, 4 in flight),
  ``max_concurrency`` tuned, and the standalone operator's default (``existing="connection"``: one read
  of the provider connection first);
* **httpx, 4 threads** — a hand-written client: ``httpx.Client``, ``createJobWorks`` in batches of 500
  and ``createJobWorkArtifacts`` aliased 250 job works (500 documents) a request, 4 threads; no
  validation, no retries;
* **gql** — the same batching and aliasing with ``gql``'s sync client (httpx transport), sequential;
* **least client work** — the provider's own request bodies written before the clock, sent on 4 raw
  sockets with the job work ids spliced in (``least_client.py``): the emulator's and the latency's share;
* **naive loop** — one ``createJobWorks`` per client and one ``createJobWorkArtifacts`` per job work on
  one kept-alive ``httpx.Client``; run on a sample and scaled linearly (said so in every table).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks import least_client
from benchmarks.harness import EmulatorRef, Series, measure, profiled, run_child
from benchmarks.workload import (
    CREATE_JOB,
    CREATE_JOB_WORK_ARTIFACTS,
    CREATE_JOB_WORKS,
    INPUTS_PER_REQUEST,
    LOGIN,
    WORKS_PER_ARTIFACT_REQUEST,
    artifacts_mutation,
    artifacts_variables,
    clients,
    documents,
)

Rows = list[dict[str, str]]
Docs = dict[str, list[dict[str, Any]]]
Import = Callable[[EmulatorRef, str, Rows, Docs], dict[str, Any] | None]
WARMUP_CLIENTS = 2 * WORKS_PER_ARTIFACT_REQUEST  # full-size documents: the emulator compiles each shape once


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


cached_artifacts_mutation = functools.lru_cache(maxsize=8)(artifacts_mutation)


# ---- in the child: one contender, repeated ------------------------------------------------------------


def new_job(emulator: EmulatorRef, name: str) -> str:
    """A fresh connection job, made outside the clock."""
    import httpx

    with httpx.Client(timeout=60, trust_env=False) as http:
        login = http.post(emulator.url, json={"query": LOGIN, "variables": {"apiKey": emulator.api_key}})
        token = login.json()["data"]["loginViaPersonalApiToken"]["accessToken"]
        variables = {"connectionId": emulator.connection_id, "jobName": name}
        created = http.post(
            emulator.url,
            json={"query": CREATE_JOB, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        job_id: str = created.json()["data"]["createConnectionJob"]["id"]
    return job_id


def repeat(
    emulator: dict[str, Any],
    contender: str,
    n: int,
    reps: int,
    profile: dict[str, Any] | None = None,
    emulator_config: dict[str, Any] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Warm up once (unmeasured), then import ``n`` clients ``reps`` times, each checked against the emulator;
    with ``profile`` (options overriding ``options``), one more import under cProfile. ``emulator_config``
    is applied after each reset (which restores the emulator's start-time config)."""
    em = EmulatorRef.of(emulator)
    run = CONTENDERS[contender]
    controls = em.handle()

    def prepared(rep: int, size: int, **opts: Any) -> tuple[Callable[[], Any], Callable[[], None]]:
        """The import to run (a fresh job on a reset emulator), and the check that everything landed once."""
        controls.reset()
        if emulator_config:
            controls.configure(**emulator_config)
        rows = clients(size, f"{contender}-{rep + 1}")
        docs = documents(rows)
        job_id = new_job(em, f"bench {contender} {rep}")
        if contender in PREPARED:
            opts = {**opts, "prepared": PREPARED[contender](em, job_id, rows, docs)}
        gc.collect()

        def check() -> None:
            stats = controls.stats()
            landed = (stats["works_per_job"].get(job_id), stats["artifacts_per_job"].get(job_id))
            if landed != (size, 2 * size):
                raise RuntimeError(f"{contender}: the emulator holds {landed} works/artifacts, not {(size, 2 * size)}")

        return (lambda: run(em, job_id, rows, docs, **opts)), check

    go, check = prepared(-1, WARMUP_CLIENTS, **options)
    go()
    check()
    samples = []
    for rep in range(reps):
        go, check = prepared(rep, n, **options)
        with measure(em) as sample:
            sample.extra.update(go() or {})
        check()
        samples.append(asdict(sample))
    result: dict[str, Any] = {"samples": samples}
    if profile is not None:
        go, check = prepared(reps, n, **{**options, **profile})
        result["profile"] = profiled(go)
        check()
    controls.close()
    return result


def provider(
    em: EmulatorRef,
    job_id: str,
    rows: Rows,
    docs: Docs,
    max_concurrency: int | None = None,
    existing: str = "none",
    automatic_gc: bool = True,
) -> dict[str, Any]:
    """The example DAG's batch tasks on a first attempt; CPU of each phase (``process_time``: all threads).
    ``automatic_gc=False`` runs the whole import with Python's automatic garbage collection off (what the
    collections cost it; the provider itself pauses it only around pure steps, ``client/collector.py``)."""
    import time

    from airflow_provider_filed.client import (
        ArtifactsImport,
        ConnectionJobTarget,
        FiledClient,
        JobWorksImport,
        load_config,
    )
    from airflow_provider_filed.client.inputs import parse_artifacts, parse_job_works

    settings: dict[str, Any] = {"url": em.url, "api_key": em.api_key}
    if max_concurrency:
        settings["max_concurrency"] = max_concurrency
    target = ConnectionJobTarget(workspace_id=em.workspace_id, connection_id=em.connection_id, connection_job_id=job_id)
    cpu = [time.process_time()]

    def lap() -> float:
        cpu.append(time.process_time())
        return cpu[-1] - cpu[-2]

    if not automatic_gc:
        gc.disable()
    try:
        works_in, docs_in = parse_job_works(rows), parse_artifacts(docs)
        validate = lap()
        with FiledClient(load_config(**settings)) as client:
            works = JobWorksImport(client, target).run(works_in, existing=existing)  # type: ignore[arg-type]
            create_works = lap()
            ArtifactsImport(client, target).run(docs_in, job_work_ids=works.job_work_ids, fresh=True)
            attach = lap()
    finally:
        gc.enable()
    return {"validate_cpu_s": validate, "works_cpu_s": create_works, "artifacts_cpu_s": attach}


def hot_paths(n: int, repeat: int = 3) -> dict[str, float]:
    """CPU (best of ``repeat``) of the per-row work on the provider's import path for ``n`` clients, without
    cProfile's overhead: validating the rows into inputs, and writing the request bodies from them."""
    import time

    from airflow_provider_filed.client import documents as provider_documents
    from airflow_provider_filed.client.inputs import parse_artifacts, parse_job_works
    from airflow_provider_filed.client.transport import GraphQLRequest, request_body

    rows = clients(n, "hot")
    docs = documents(rows)
    works_in, docs_in = parse_job_works(rows), parse_artifacts(docs)
    groups = [(f"jw-{i}", inputs) for i, inputs in enumerate(docs_in.values())]

    def bodies() -> None:
        for batch in chunks(works_in, INPUTS_PER_REQUEST):
            request_body(GraphQLRequest("", {"connectionJobId": "job", "inputs": batch}, "createJobWorks"))
        for chunk in chunks(groups, WORKS_PER_ARTIFACT_REQUEST):
            variables = {
                key: value for i, (jw, inputs) in enumerate(chunk) for key, value in ((f"j{i}", jw), (f"i{i}", inputs))
            }
            document = provider_documents.aliased_artifacts_mutation(len(chunk))
            request_body(GraphQLRequest(document, variables, "createJobWorkArtifacts"))

    pieces: dict[str, Callable[[], Any]] = {
        f"`parse_job_works` of {n:,} clients": lambda: parse_job_works(rows),
        f"`parse_artifacts` of {2 * n:,} documents": lambda: parse_artifacts(docs),
        f"request bodies of the {3 * n:,} inputs (`request_body`)": bodies,
    }
    result = {}
    for name, piece in pieces.items():
        best = float("inf")
        for _ in range(repeat):
            started = time.process_time()
            piece()
            best = min(best, time.process_time() - started)
        result[name] = best
    return result


def hand_httpx(em: EmulatorRef, job_id: str, rows: Rows, docs: Docs, threads: int = 4) -> None:
    import httpx

    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=threads)) as http:
        login = http.post(em.url, json={"query": LOGIN, "variables": {"apiKey": em.api_key}})
        headers = {"Authorization": f"Bearer {login.json()['data']['loginViaPersonalApiToken']['accessToken']}"}

        def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            answer = http.post(em.url, json={"query": query, "variables": variables}, headers=headers)
            answer.raise_for_status()
            body: dict[str, Any] = answer.json()
            if body.get("errors"):
                raise RuntimeError(str(body["errors"])[:500])
            data: dict[str, Any] = body["data"]
            return data

        def create(batch: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
            created: list[dict[str, Any]] = post(CREATE_JOB_WORKS, {"connectionJobId": job_id, "inputs": list(batch)})[
                "createJobWorks"
            ]
            return created

        def attach(chunk: Sequence[tuple[str, list[dict[str, Any]]]]) -> None:
            post(cached_artifacts_mutation(len(chunk)), artifacts_variables(list(chunk)))

        with ThreadPoolExecutor(threads) as pool:
            ids = {
                w["work"]["externalId"]: w["id"]
                for ws in pool.map(create, chunks(rows, INPUTS_PER_REQUEST))
                for w in ws
            }
            pairs = [(ids[row["externalId"]], docs[row["externalId"]]) for row in rows]
            list(pool.map(attach, chunks(pairs, WORKS_PER_ARTIFACT_REQUEST)))


def gql_batched(em: EmulatorRef, job_id: str, rows: Rows, docs: Docs) -> None:
    from gql import Client, GraphQLRequest, gql
    from gql.transport.httpx import HTTPXTransport

    with Client(transport=HTTPXTransport(url=em.url, timeout=60)) as session:
        token = session.execute(GraphQLRequest(LOGIN, variable_values={"apiKey": em.api_key}))
    bearer = {"Authorization": f"Bearer {token['loginViaPersonalApiToken']['accessToken']}"}
    with Client(transport=HTTPXTransport(url=em.url, headers=bearer, timeout=60)) as session:
        create = gql(CREATE_JOB_WORKS)
        ids: dict[str, str] = {}
        for batch in chunks(rows, INPUTS_PER_REQUEST):
            created = session.execute(
                GraphQLRequest(create, variable_values={"connectionJobId": job_id, "inputs": list(batch)})
            )
            ids.update({w["work"]["externalId"]: w["id"] for w in created["createJobWorks"]})
        pairs = [(ids[row["externalId"]], docs[row["externalId"]]) for row in rows]
        for chunk in chunks(pairs, WORKS_PER_ARTIFACT_REQUEST):
            document = _gql_document(cached_artifacts_mutation(len(chunk)))
            session.execute(GraphQLRequest(document, variable_values=artifacts_variables(list(chunk))))


@functools.lru_cache(maxsize=8)
def _gql_document(text: str) -> Any:
    from gql import gql

    return gql(text)


def naive(em: EmulatorRef, job_id: str, rows: Rows, docs: Docs) -> None:
    import httpx

    with httpx.Client(timeout=60) as http:
        login = http.post(em.url, json={"query": LOGIN, "variables": {"apiKey": em.api_key}})
        headers = {"Authorization": f"Bearer {login.json()['data']['loginViaPersonalApiToken']['accessToken']}"}
        for row in rows:
            variables: dict[str, Any] = {"connectionJobId": job_id, "inputs": [row]}
            created = http.post(em.url, json={"query": CREATE_JOB_WORKS, "variables": variables}, headers=headers)
            job_work_id = created.json()["data"]["createJobWorks"][0]["id"]
            variables = {"jobWorkId": job_work_id, "inputs": docs[row["externalId"]]}
            attached = http.post(
                em.url, json={"query": CREATE_JOB_WORK_ARTIFACTS, "variables": variables}, headers=headers
            )
            attached.raise_for_status()


CONTENDERS: dict[str, Callable[..., dict[str, Any] | None]] = {
    "provider": provider,
    "httpx": hand_httpx,
    "gql": gql_batched,
    "naive": naive,
    "least": least_client.least_client,
}
#: What a contender prepares before the clock (passed to it as ``prepared``).
PREPARED: dict[str, Callable[[EmulatorRef, str, Rows, Docs], Any]] = {"least": least_client.prepare}


# ---- in the parent ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A contender to run: which child function, the concurrency it uses, its options; ``sample``: run on fewer
    clients and scale linearly."""

    key: str
    label: str
    contender: str
    concurrency: int
    sample: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Contender:
    """One contender's repetitions; ``sample`` < ``clients`` means it ran on a sample and is scaled linearly."""

    key: str
    label: str
    clients: int
    sample: int
    concurrency: int
    series: Series
    profile: dict[str, Any] | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Contender:
        return cls(
            raw["key"], raw["label"], raw["clients"], raw["sample"], raw["concurrency"], Series.of(raw["samples"])
        )

    def raw(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "clients": self.clients,
            "sample": self.sample,
            "concurrency": self.concurrency,
            "samples": self.series.samples,
        }

    @property
    def scale(self) -> float:
        return self.clients / self.sample

    def med(self, key: str) -> float:
        """The median over the repetitions, scaled to all clients (peak RSS is the sample's own)."""
        return self.series.median(key) * (self.scale if key != "peak_rss_mb" else 1.0)

    def min(self, key: str) -> float:
        return self.series.min(key) * self.scale


def run_contenders(
    emulator: EmulatorRef, entries: Sequence[Entry], *, clients: int, reps: int, profile: str | None = None
) -> list[Contender]:
    """``reps`` rounds, each running every entry once in a fresh process (so a busy moment on a shared machine
    hits one repetition of each, not all of one); in the last round, the ``profile`` entry also runs once more
    under cProfile with ``max_concurrency=1``."""
    samples: dict[str, list[dict[str, Any]]] = {e.key: [] for e in entries}
    profiles: dict[str, Any] = {}
    for rep in range(reps):
        for entry in entries:
            options = dict(entry.options)
            if entry.key == profile and rep == reps - 1:
                options["profile"] = {"max_concurrency": 1}
            size = min(entry.sample or clients, clients)
            result = run_child(
                "bulk:repeat", emulator=emulator, contender=entry.contender, n=size, reps=1, timeout=1800, **options
            )
            samples[entry.key] += result["samples"]
            if "profile" in result:
                profiles[entry.key] = result["profile"]
    return [
        Contender(
            e.key,
            e.label,
            clients,
            min(e.sample or clients, clients),
            e.concurrency,
            Series.of(samples[e.key]),
            profiles.get(e.key),
        )
        for e in entries
    ]
