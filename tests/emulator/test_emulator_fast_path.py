"""The fast path answers exactly as graphql-core's executor: one corpus of requests, two fresh emulators.

Both emulators start from the same seed (so they hand out the same ids) under the same deterministic
clock; one runs compiled plans (``fast_path=True``), the other graphql-core only. Every answer (HTTP
status, ``Retry-After``, parsed body), the stats and a final dump of the stored data must be identical,
and the corpus checks which requests the plans actually served.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import GraphQLInputField, GraphQLInputObjectType, GraphQLNonNull, GraphQLScalarType, GraphQLString

from airflow_provider_filed.client import documents
from airflow_provider_filed.emulator import app as app_module
from airflow_provider_filed.emulator import models
from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.fast.variables import Fallback, coercer
from airflow_provider_filed.emulator.schema import build_schema
from airflow_provider_filed.emulator.store.imports import Imports
from airflow_provider_filed.emulator.testing import EmulatorHandle, run_emulator

API_KEY = "differential-api-key-0123456789"
WORK = "id createdAt updatedAt workspaceId workId connectionJobId work { id name externalId status tag __typename }"
ARTIFACT = (
    "id createdAt updatedAt workspaceId artifactId connectionJobId jobWorkId __typename"
    " workArtifact { id externalId createdAt updatedAt workId connectionId name type status uploadedUrl metadata }"
)
CREATE_WORKS = (
    "mutation CreateJobWorks($job: ID!, $inputs: [CreateJobWorksInput!]!) {"
    f" createJobWorks(connectionJobId: $job, inputs: $inputs) {{ {WORK} }} }}"
)
CREATE_WORKS_TWICE = (
    "mutation Twice($j0: ID!, $i0: [CreateJobWorksInput!]!, $j1: ID!, $i1: [CreateJobWorksInput!]!) {"
    " w0: createJobWorks(connectionJobId: $j0, inputs: $i0) { id work { externalId } }"
    " w1: createJobWorks(connectionJobId: $j1, inputs: $i1) { id } }"
)
CREATE_ARTIFACTS = (
    "mutation CreateJobWorkArtifacts($jw: ID!, $inputs: [CreateJobWorkArtifactsInput!]!) {"
    f" createJobWorkArtifacts(jobWorkId: $jw, inputs: $inputs) {{ {ARTIFACT} }} }}"
)
JOB_WORKS = f"{WORK} jobWorkArtifacts {{ {ARTIFACT} }}"
READ = (
    "query Read($filters: JobWorkFilters, $sortBy: SortBy, $offset: Int, $limit: Int, $ws: [ID!]) {"
    " me { id email name __typename workspaces(filters: {ids: $ws}) {"
    " id slug displayName status workspaceType metadata firmSize createdAt"
    " connections { id workspaceId providerKey status action displayName settings createdAt updatedAt"
    " provider { name category __typename }"
    f" jobWorks(filters: $filters, sortBy: $sortBy, offset: $offset, limit: $limit) {{ {JOB_WORKS} }} }} }} }} }}"
)
READ_LITERALS = (
    "query($ws: ID!, $conn: ID!, $job: ID!) { me { workspaces(filters: {ids: [$ws]}) {"
    ' connections(filters: {ids: [$conn]}, sortBy: {field: "id", direction: DESC}, limit: 5) { id'
    ' jobWorks(filters: {connectionJobIds: [$job]}, sortBy: {field: "id", direction: DESC}, offset: 1, limit: 2)'
    " { id work { externalId } } } } } }"
)
CONNECTIONS = (
    "query($filters: ConnectionFilters, $sortBy: SortBy, $offset: Int, $limit: Int) { me { workspaces {"
    " connections(filters: $filters, sortBy: $sortBy, offset: $offset, limit: $limit) { id status } } } }"
)


def pages(count: int, sort_by: bool) -> str:
    """The multi-page read the provider sends: aliased ``jobWorks`` fields ``p0``… in one connection."""
    sort_var, sort_arg = (", $sortBy: SortBy", ", sortBy: $sortBy") if sort_by else ("", "")
    offsets = "".join(f", $o{n}: Int" for n in range(count))
    fields = " ".join(
        f"p{n}: jobWorks(filters: $filters{sort_arg}, offset: $o{n}, limit: $limit) {{ id work {{ externalId status }}"
        " jobWorkArtifacts { workArtifact { externalId status metadata } } }"
        for n in range(count)
    )
    return (
        f"query GetJobWorks($ws: ID!, $conn: ID!, $filters: JobWorkFilters, $limit: Int{sort_var}{offsets}) {{"
        f" me {{ workspaces(filters: {{ids: [$ws]}}) {{ connections(filters: {{ids: [$conn]}}) {{ {fields} }} }} }} }}"
    )


def aliased_artifacts(count: int, selection: str = "id jobWorkId workArtifact { externalId status }") -> str:
    """Aliased ``createJobWorkArtifacts`` fields; with a selection that needs no resolver (the provider's
    ``{ id }``), plans send them to the store in one call (``in_turn``)."""
    params = ", ".join(f"$j{i}: ID!, $i{i}: [CreateJobWorkArtifactsInput!]!" for i in range(count))
    fields = " ".join(
        f"a{i}: createJobWorkArtifacts(jobWorkId: $j{i}, inputs: $i{i}) {{ {selection} }}" for i in range(count)
    )
    return f"mutation CreateJobWorkArtifacts({params}) {{ {fields} }}"


class Clock:
    """A wall clock that moves only when told, so both emulators stamp the same times."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Recorder:
    """Sends the corpus to one emulator and keeps a transcript of what came back."""

    emulator: EmulatorHandle
    general_runs: Callable[[], int]
    check_paths: bool
    token: str = ""
    transcript: list[dict[str, Any]] = field(default_factory=list)

    def call(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        fast: bool | None,
        token: str | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """One request; ``fast``: whether a plan must serve it (None: it never reaches execution)."""
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            payload["operationName"] = operation_name
        bearer = self.token if token is None else token
        headers = {"source-platform": "differential"} | ({"Authorization": f"Bearer {bearer}"} if bearer else {})
        before = self.general_runs()
        response = self.emulator.http.post(self.emulator.url, json=payload, headers=headers)
        body: dict[str, Any] = response.json()
        if self.check_paths and fast is not None:
            assert (self.general_runs() == before) is fast, (query[:120], variables, body)
        self.transcript.append(
            {"status": response.status_code, "retry_after": response.headers.get("retry-after"), "body": body}
        )
        return body


def _works(n: int, prefix: str) -> list[dict[str, str]]:
    return [{"name": f"Client {prefix}{i} — é", "externalId": f"{prefix}{i}"} for i in range(n)]


def _artifact(external_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"{external_id}.pdf",
        "type": "w2",
        "externalId": external_id,
        "url": "https://p.test/d.pdf",
        **extra,
    }


def scenario(rec: Recorder, clock: Clock) -> None:
    emu = rec.emulator
    ws, conn = emu.workspace_id, emu.connection_id
    call = rec.call
    start = f'mutation {{ startProviderConnection(workspaceId: "{ws}", providerKey: "k") {{ id status }} }}'
    other_connection = call(start, fast=False)["data"]["startProviderConnection"]["id"]
    call(f'mutation {{ collectProviderConnection(connectionId: "{other_connection}") {{ id }} }}', fast=False)
    create_job = 'mutation($c: ID!) { createConnectionJob(connectionId: $c, jobName: "j") { id status } }'
    j1 = call(create_job, {"c": conn}, fast=False)["data"]["createConnectionJob"]["id"]
    clock.advance(1)
    j2 = call(create_job, {"c": conn}, fast=False)["data"]["createConnectionJob"]["id"]
    j3 = call(create_job, {"c": other_connection}, fast=False)["data"]["createConnectionJob"]["id"]

    works = call(CREATE_WORKS, {"job": j1, "inputs": _works(4, "a")}, fast=True)["data"]["createJobWorks"]
    clock.advance(1)
    call(CREATE_WORKS, {"job": j2, "inputs": _works(3, "b"), "unused": 1}, fast=True)
    call(CREATE_WORKS, {"job": j3, "inputs": _works(2, "a")}, fast=True)
    call(CREATE_WORKS_TWICE, {"j0": j2, "i0": _works(2, "c"), "j1": j2, "i1": _works(2, "a")}, fast=True)
    call(CREATE_WORKS_TWICE, {"j0": j2, "i0": _works(1, "d"), "j1": j2, "i1": _works(2, "d")}, fast=True)
    call(
        CREATE_WORKS,
        {"job": j1, "inputs": [{"name": "x", "externalId": "e"}, {"name": "y", "externalId": "e"}]},
        fast=True,
    )
    for bad in (
        {"job": j1},
        {"job": j1, "inputs": None},
        {"job": None, "inputs": []},
        {"job": j1, "inputs": [{"name": "only"}]},
        {"job": j1, "inputs": [{"name": None, "externalId": "n"}]},
        {"job": j1, "inputs": [{"name": "n", "externalId": "n", "extra": 1}]},
        {"job": j1, "inputs": [{"name": 5, "externalId": "n"}]},
        {"job": j1, "inputs": "not a list"},
    ):
        call(CREATE_WORKS, bad, fast=None)
    call(CREATE_WORKS, {"job": 12, "inputs": []}, fast=False)
    call(CREATE_WORKS, {"job": j1, "inputs": {"name": "single", "externalId": "single"}}, fast=False)
    call(CREATE_WORKS, {"job": "job_missing", "inputs": _works(1, "z")}, fast=True)
    call(CREATE_WORKS, {"job": j1, "inputs": [{"name": " ", "externalId": "blank"}]}, fast=True)
    call(CREATE_WORKS, {"job": j1, "inputs": [{"name": "n", "externalId": ""}]}, fast=True)
    emu.configure(max_inputs_per_request=3)
    call(CREATE_WORKS, {"job": j1, "inputs": _works(4, "m")}, fast=True)
    emu.configure(max_inputs_per_request=500)

    jw = [work["id"] for work in works]
    metadata = {"year": 2024, "ratio": 0.25, "tags": ["a", None, True], "nested": {"é": "ü"}, "n": -3}
    artifacts = [_artifact("w2", metadata=metadata), _artifact("nourl", url=None), {**_artifact("bare")}]
    del artifacts[2]["url"]
    call(CREATE_ARTIFACTS, {"jw": jw[0], "inputs": artifacts}, fast=True)
    call(
        CREATE_ARTIFACTS,
        {
            "jw": jw[1],
            "inputs": [
                _artifact("bad", url="https://p.test/fail.pdf", metadata=7),
                _artifact("cx", url="https://p.test/cancel"),
            ],
        },
        fast=True,
    )
    call(CREATE_ARTIFACTS, {"jw": jw[1], "inputs": [_artifact("w2"), _artifact("w2")]}, fast=True)
    call(CREATE_ARTIFACTS, {"jw": jw[0], "inputs": [_artifact("new"), _artifact("w2")]}, fast=True)
    call(CREATE_ARTIFACTS, {"jw": "job_work_missing", "inputs": []}, fast=True)
    call(CREATE_ARTIFACTS, {"jw": jw[2], "inputs": [{**_artifact("t"), "type": ""}]}, fast=True)
    call(CREATE_ARTIFACTS, {"jw": jw[2], "inputs": [{**_artifact("t"), "metadata": None, "url": None}]}, fast=True)
    call(CREATE_ARTIFACTS, {"jw": jw[2], "inputs": [{"name": "t", "externalId": "t"}]}, fast=None)
    four = aliased_artifacts(4)
    inputs = {f"i{i}": [_artifact(f"x{i}"), _artifact(f"y{i}")] for i in range(4)}
    call(four, {"j0": jw[2], "j1": jw[3], "j2": jw[3], "j3": jw[2], **inputs}, fast=True)
    call(four, {"j0": jw[3], "j1": jw[2], "j2": jw[3], "j3": jw[2], **inputs, "i0": [_artifact("q")]}, fast=True)
    call(
        four,
        {"j0": jw[3], "j1": "job_work_nope", "j2": jw[3], "j3": jw[2], **inputs, "i0": [_artifact("r")]},
        fast=True,
    )
    call(four, {"j0": jw[3], "j1": jw[3], "j2": jw[3], "j3": jw[2], **inputs, "i0": [_artifact("s")]}, fast=True)
    call(four, {"j0": jw[3], "j1": jw[3], "j2": jw[3], "i0": [], "i1": [], "i2": []}, fast=None)
    ids = aliased_artifacts(3, "id")
    inputs = {f"i{i}": [_artifact(f"u{i}"), _artifact(f"v{i}")] for i in range(3)}
    call(ids, {"j0": jw[2], "j1": jw[3], "j2": jw[0], **inputs}, fast=True)
    call(ids, {"j0": jw[3], "j1": jw[2], "j2": jw[3], **inputs, "i0": [_artifact("k")], "i2": []}, fast=True)
    call(ids, {"j0": jw[1], "j1": "job_work_nope", "j2": jw[1], **inputs, "i0": [_artifact("m")]}, fast=True)
    call(
        ids,
        {"j0": jw[1], "j1": jw[0], "j2": jw[2], **inputs, "i0": [_artifact("n")], "i2": [_artifact("o")]},
        fast=True,
    )
    call(
        ids,
        {"j0": jw[0], "j1": jw[1], "j2": jw[0], **inputs, "i0": [_artifact("p")], "i1": [_artifact("p")]},
        fast=True,
    )
    call(ids, {"j0": jw[0], "j1": jw[1], "j2": jw[0], **inputs, "i1": [{"name": "t", "externalId": "t"}]}, fast=None)

    emu.configure(lenient_duplicates=True)
    call(CREATE_WORKS, {"job": j2, "inputs": _works(2, "a") + _works(2, "a")}, fast=True)
    call(CREATE_ARTIFACTS, {"jw": jw[0], "inputs": [_artifact("w2"), _artifact("w2")]}, fast=True)
    emu.configure(lenient_duplicates=False)

    for variables in (
        {},
        {"ws": [ws]},
        {"filters": {"ids": [jw[2], "job_work_x", jw[0], jw[2]]}},
        {"filters": {"workIds": [works[1]["workId"]], "connectionJobIds": [j1]}},
        {"filters": {"connectionJobIds": [j2, j1]}, "offset": 2, "limit": 5},
        {"filters": {"ids": [jw[0]], "workIds": [works[1]["workId"]]}},
        {"sortBy": {"field": "createdAt", "direction": "DESC"}, "limit": 4},
        {"sortBy": {"field": "id", "direction": "DESC"}, "offset": 3},
        {"sortBy": {"field": "updatedAt"}},
        {"limit": 0},
        {"offset": 1000},
        {"limit": None, "offset": None, "sortBy": None, "filters": None},
    ):
        call(READ, variables, fast=True)
    for bad in ({"sortBy": {"field": "name"}}, {"offset": -1}, {"limit": -5}):
        call(READ, bad, fast=True)
    for bad in ({"limit": "10"}, {"offset": 1.0}, {"sortBy": {"field": "id", "direction": "SIDEWAYS"}}):
        call(READ, bad, fast=None if bad != {"offset": 1.0} else False)
    call(READ_LITERALS, {"ws": ws, "conn": conn, "job": j2}, fast=True)
    create_workspace = "mutation($n: String!) { createWorkspace(input: {displayName: $n}) { id } }"
    empty = call(create_workspace, {"n": "Empty"}, fast=False)["data"]["createWorkspace"]["id"]
    busy = call(create_workspace, {"n": "Busy"}, fast=False)["data"]["createWorkspace"]["id"]
    call(start.replace(ws, busy), fast=False)
    call(READ, {"ws": [empty, busy], "sortBy": {"field": "bad"}}, fast=True)
    call(READ, {"ws": [empty, busy], "limit": 1}, fast=True)
    call(CONNECTIONS, {"sortBy": {"field": "id", "direction": "DESC"}, "limit": 1, "offset": 1}, fast=True)
    call(CONNECTIONS, {"filters": {"statuses": ["ACTIVE"]}}, fast=True)
    call(CONNECTIONS, {"sortBy": {"field": "nope"}}, fast=True)

    three = pages(3, sort_by=True)
    page_vars = {"ws": ws, "conn": conn, "filters": {"connectionJobIds": [j1, j2]}, "limit": 3}
    call(three, {**page_vars, "o0": 0, "o1": 3, "o2": 6}, fast=True)
    call(three, {**page_vars, "o0": 0, "o1": 3, "o2": 6, "sortBy": {"field": "id", "direction": "DESC"}}, fast=True)
    call(three, {**page_vars, "o0": 0, "o1": -3, "o2": 6}, fast=True)
    call(pages(2, sort_by=False), {**page_vars, "o0": 1, "o1": 4}, fast=True)
    emu.configure(page_cap=2)
    call(pages(2, sort_by=False), {**page_vars, "o0": 0, "o1": 2}, fast=True)
    call(CONNECTIONS, {"limit": 10}, fast=True)
    emu.configure(page_cap=None, sort_by_argument=False)
    call(three, {**page_vars, "o0": 0, "o1": 3, "o2": 6}, fast=None)
    call(pages(2, sort_by=False), {**page_vars, "o0": 0, "o1": 2}, fast=True)
    emu.configure(sort_by_argument=True)

    call("query { me { id ...Spaces } } fragment Spaces on Me { workspaces { id } }", fast=False)
    call("query { me { id ... on Me { email } } }", fast=False)
    call("query($x: Boolean!) { me { id email @include(if: $x) } }", {"x": False}, fast=False)
    call("query { __typename me { id } }", fast=False)
    call("{ me { id } }", fast=True)
    call(
        "query A { me { id } } mutation B($j: ID!) { createJobWorks(connectionJobId: $j, inputs: []) { id } }",
        {"j": j1},
        operation_name="B",
        fast=True,
    )
    call('query($w: [ID!] = ["x"]) { me { workspaces(filters: {ids: $w}) { id } } }', fast=False)
    call(
        "mutation($j: ID!) { createJobWorks(connectionJobId: $j, inputs: []) { id } "
        "triggerConnectionJob(connectionJobId: $j) { id status } }",
        {"j": j3},
        fast=False,
    )
    call('{ __type(name: "JobWork") { name fields { name } } }', fast=False)

    emu.configure(processing_time_s=10, artifact_terminated_pattern="cancel")
    call(
        "mutation($j: ID!) { triggerConnectionJob(connectionJobId: $j) { id status updatedAt } }", {"j": j1}, fast=False
    )
    call(CREATE_WORKS, {"job": j1, "inputs": _works(1, "late")}, fast=True)
    call(CREATE_ARTIFACTS, {"jw": jw[0], "inputs": [_artifact("late")]}, fast=True)
    call(three, {**page_vars, "o0": 0, "o1": 3, "o2": 6}, fast=True)
    emu.configure(status_case="upper")
    call(CREATE_WORKS, {"job": j1, "inputs": _works(1, "late")}, fast=True)
    clock.advance(5)
    call(READ, {"filters": {"connectionJobIds": [j1]}}, fast=True)
    call(READ, {"sortBy": {"field": "updatedAt", "direction": "DESC"}}, fast=True)
    clock.advance(6)
    emu.configure(status_case="title")
    call(READ, {}, fast=True)
    call(three, {**page_vars, "o0": 0, "o1": 3, "o2": 6}, fast=True)
    emu.configure(status_case="lower")
    call(READ, {"filters": {"connectionJobIds": [j1]}}, fast=True)

    emu.configure(seed=5, commit_then_fail_rate=1.0, fault_operations=["createJobWorks"])
    call(CREATE_WORKS, {"job": j2, "inputs": _works(2, "ctf")}, fast=True)
    call(CREATE_WORKS, {"job": j2, "inputs": _works(2, "ctf")}, fast=True)
    emu.configure(commit_then_fail_rate=0, rate_limit_rate=1.0, fault_operations=["CreateJobWorkArtifacts"])
    call(four, {f"j{i}": jw[3] for i in range(4)} | inputs, fast=None)
    emu.configure(rate_limit_rate=0, error_rate=1.0, fault_operations=None)
    call(READ, {}, fast=None)
    emu.configure(error_rate=0, token_ttl_s=10)
    call("{ me { id } }", token="not-a-token", fast=None)
    call("{ me { id } }", token="", fast=None)
    rec.token = emu.login(API_KEY)
    call("{ me { id } }", fast=True)
    clock.advance(11)
    call("{ me { id } }", fast=None)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(models, "wall_clock", fake)
    return fake


@pytest.fixture
def general_runs(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many requests graphql-core's executor has run so far (in any emulator of this process)."""
    runs = [0]
    execute = app_module.execute_sync

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs[0] += 1
        return execute(*args, **kwargs)

    monkeypatch.setattr(app_module, "execute_sync", counted)
    return lambda: runs[0]


def _run(fast: bool, clock: Clock, general_runs: Callable[[], int]) -> tuple[list[dict[str, Any]], dict[str, Any], Any]:
    clock.now = 1_700_000_000.0
    with run_emulator(api_keys=[API_KEY], config=EmulatorConfig(fast_path=fast)) as emulator:
        recorder = Recorder(emulator, general_runs, check_paths=fast)
        recorder.token = emulator.login(API_KEY)
        scenario(recorder, clock)
        emulator.configure(fast_path=False, token_ttl_s=3600)
        token = emulator.login(API_KEY)
        dump = emulator.http.post(
            emulator.url,
            json={"query": READ, "variables": {"limit": 1000}},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        stats = emulator.stats()
    for entry in recorder.transcript:
        login = (entry["body"].get("data") or {}).get("loginViaPersonalApiToken")
        if login:
            login["accessToken"] = "<token>"
    return recorder.transcript, stats, dump


def test_fast_path_answers_as_graphql_core(clock: Clock, general_runs: Callable[[], int]) -> None:
    fast_transcript, fast_stats, fast_dump = _run(True, clock, general_runs)
    general_transcript, general_stats, general_dump = _run(False, clock, general_runs)
    assert len(fast_transcript) == len(general_transcript)
    for number, (fast, general) in enumerate(zip(fast_transcript, general_transcript, strict=True)):
        assert fast == general, f"request {number} differs"
    assert fast_stats == general_stats
    assert fast_dump == general_dump
    statuses = {entry["status"] for entry in fast_transcript}
    assert {200, 400, 401, 429} <= statuses
    assert statuses & {500, 502, 503}
    assert fast_stats["requests"]["createJobWorks"]["200"] > 10
    seen = set(_statuses(fast_transcript))
    assert {"pending", "processing", "completed", "failed", "initial", "success", "error", "terminated"} <= seen
    assert {"PROCESSING", "ACTIVE", "Completed", "Terminated", "Success"} <= seen


def _statuses(value: Any) -> Iterator[str]:
    """Every ``status`` value anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "status" and isinstance(item, str):
                yield item
            yield from _statuses(item)
    elif isinstance(value, list):
        for item in value:
            yield from _statuses(item)


def test_the_providers_aliased_artifacts_reach_the_store_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider's ``a0…`` mutation (``{ id }`` each) is one ``create_in_turn``, not a ``create`` per alias."""
    calls: dict[str, int] = {"create": 0, "create_in_turn": 0}
    for name in calls:
        original = getattr(Imports, name)

        def counted(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(Imports, name, counted)
    with run_emulator(api_keys=[API_KEY]) as emulator:
        headers = {"Authorization": f"Bearer {emulator.login(API_KEY)}"}

        def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            body: dict[str, Any] = emulator.http.post(
                emulator.url, json={"query": query, "variables": variables}, headers=headers
            ).json()
            assert "errors" not in body, body
            return body["data"]

        job = post(documents.CREATE_CONNECTION_JOB, {"connectionId": emulator.connection_id, "jobName": "j"})
        works = post(
            documents.CREATE_JOB_WORKS_IDS,
            {"connectionJobId": job["createConnectionJob"]["id"], "inputs": _works(3, "w")},
        )
        aliases = {f"j{i}": work["id"] for i, work in enumerate(works["createJobWorks"])}
        aliases |= {f"i{i}": [_artifact(f"d{i}")] for i in range(3)}
        created = post(documents.aliased_artifacts_mutation(3), aliases)
    assert [len(created[f"a{i}"]) for i in range(3)] == [1, 1, 1]
    assert calls == {"create": 1, "create_in_turn": 1}


def test_variable_coercers_leave_to_graphql_core_what_they_cannot_vouch_for() -> None:
    """A non-null ``JSON`` (no such field in the schema yet) refuses null; in an input object a nullable text
    takes null but not a number, and a missing required field, an unknown key or a non-object fall back."""
    json_scalar = build_schema().type_map["JSON"]
    assert isinstance(json_scalar, GraphQLScalarType)
    with pytest.raises(Fallback):
        coercer(GraphQLNonNull(json_scalar))(None)
    assert coercer(json_scalar)(None) is None
    note = GraphQLInputObjectType(
        "Note", {"text": GraphQLInputField(GraphQLString), "data": GraphQLInputField(GraphQLNonNull(json_scalar))}
    )
    coerce = coercer(GraphQLNonNull(note))
    assert coerce({"text": None, "data": [1]}) == {"text": None, "data": [1]}
    for refused in ({"text": 5, "data": 1}, {"data": None}, {"text": "t"}, {"data": 1, "more": 1}, None):
        with pytest.raises(Fallback):
            coerce(refused)
