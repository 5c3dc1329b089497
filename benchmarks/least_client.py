"""The least work a client can do for the import: the provider's own request bytes, sent on raw sockets.

Everything a client could compute before its first request is done before the clock: the rows validated
by the provider, every ``createJobWorks`` body and every ``createJobWorkArtifacts`` body written by the
provider's own operations, with a marker where each job work id goes. On the clock is only what no client
can avoid: a login, the same 61 requests on 4 kept-alive sockets (HTTP/1.1 written by hand, no httpx),
reading each created work's id from the answers, and splicing the ids into the prepared bytes. Its wall is
what the emulator, the latency and the round trips cost any client: the rest of a contender's wall is its own.
"""

from __future__ import annotations

import json
import queue
import re
import socket
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from benchmarks.harness import TRACE, EmulatorRef
from benchmarks.workload import INPUTS_PER_REQUEST, LOGIN, WORKS_PER_ARTIFACT_REQUEST, first_body

CONNECTIONS = 4
#: Where a job work id goes in a prepared artifacts body (inside a JSON string, so written as it is).
_MARK = "@@job-work:{}@@"
_MARKS = re.compile(rb"@@job-work:(\d+)@@")


@dataclass(frozen=True)
class PreparedArtifacts:
    """One aliased ``createJobWorkArtifacts`` body cut at its job work ids: ``fragments`` around the ids of
    ``clients`` (one fewer client than fragments)."""

    fragments: list[bytes]
    clients: list[str]

    def body(self, job_work_ids: dict[str, bytes]) -> bytes:
        parts = [self.fragments[0]]
        for client, fragment in zip(self.clients, self.fragments[1:], strict=True):
            parts += (job_work_ids[client], fragment)
        return b"".join(parts)


@dataclass(frozen=True)
class PreparedImport:
    """Every request body of the import, written before the clock."""

    login: bytes
    creates: list[bytes]
    artifacts: list[PreparedArtifacts]


def prepare(em: EmulatorRef, job_id: str, rows: Sequence[dict[str, str]], docs: dict[str, Any]) -> PreparedImport:
    """The provider's bodies for these rows: its validated inputs, its operations, its JSON writer."""
    from airflow_provider_filed.client import operations
    from airflow_provider_filed.client.inputs import parse_artifacts, parse_job_works

    works, artifacts = parse_job_works(rows), parse_artifacts(docs)
    creates = [
        first_body(operations.create_job_works_ids(job_id, works[start : start + INPUTS_PER_REQUEST]))
        for start in range(0, len(works), INPUTS_PER_REQUEST)
    ]
    clients = list(artifacts)
    prepared = []
    for start in range(0, len(clients), WORKS_PER_ARTIFACT_REQUEST):
        chunk = clients[start : start + WORKS_PER_ARTIFACT_REQUEST]
        groups = [(_MARK.format(start + i), artifacts[client]) for i, client in enumerate(chunk)]
        parts = _MARKS.split(first_body(operations.create_job_work_artifacts_aliased(groups)))
        prepared.append(PreparedArtifacts(parts[0::2], [clients[int(index)] for index in parts[1::2]]))
    login = json.dumps({"query": LOGIN, "variables": {"apiKey": em.api_key}}).encode()
    return PreparedImport(login, creates, prepared)


class RawConnection:
    """One kept-alive HTTP/1.1 connection that POSTs bytes and returns the answer's body (200 only)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._socket = socket.create_connection((parts.hostname, parts.port or 80))
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        self.token = ""

    def post(self, body: bytes) -> bytes:
        started = time.perf_counter()
        head = self._head + (f"Authorization: Bearer {self.token}\r\n" if self.token else "")
        self._socket.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        received = b""
        while b"\r\n\r\n" not in received:
            received += self._recv()
        head_bytes, answer = received.split(b"\r\n\r\n", 1)
        lines = head_bytes.decode("latin-1").split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
        while len(answer) < length:
            answer += self._recv()
        if TRACE.spans is not None:
            TRACE.spans.append((started, time.perf_counter()))
        if lines[0].split()[1] != "200":
            raise RuntimeError(f"{lines[0]}: {answer[:500]!r}")
        return answer

    def _recv(self) -> bytes:
        chunk = self._socket.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the emulator closed the connection")
        return chunk

    def close(self) -> None:
        self._socket.close()


def least_client(
    em: EmulatorRef, job_id: str, rows: Sequence[dict[str, str]], docs: dict[str, Any], prepared: PreparedImport
) -> None:
    """The import with :func:`prepare`'s bytes: log in, create the works, splice their ids, attach."""
    connections = [RawConnection(em.url) for _ in range(CONNECTIONS)]
    token = _data(connections[0].post(prepared.login))["loginViaPersonalApiToken"]["accessToken"]
    job_work_ids: dict[str, bytes] = {}
    free: queue.Queue[RawConnection] = queue.Queue()
    for connection in connections:
        connection.token = token
        free.put(connection)

    def post(body: bytes) -> bytes:
        connection = free.get()
        try:
            return connection.post(body)
        finally:
            free.put(connection)

    def create(body: bytes) -> dict[str, bytes]:
        works = _data(post(body))["createJobWorks"]
        return {work["work"]["externalId"]: work["id"].encode() for work in works}

    def attach(request: PreparedArtifacts) -> None:
        answer = post(request.body(job_work_ids))
        if b'"errors"' in answer:  # the answer holds ids only: no value can spell the key
            raise RuntimeError(f"createJobWorkArtifacts: {answer[:500]!r}")

    try:
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            for created in pool.map(create, prepared.creates):
                job_work_ids.update(created)
            list(pool.map(attach, prepared.artifacts))
    finally:
        for connection in connections:
            connection.close()


def _data(answer: bytes) -> Any:
    """The ``data`` of a GraphQL answer that has no errors."""
    parsed = json.loads(answer)
    if parsed.get("errors"):
        raise RuntimeError(f"GraphQL errors: {str(parsed['errors'])[:500]}")
    return parsed["data"]
