"""Bad input, run through the real example DAG: it fails in one try, says where and why, and sends nothing.

And what validation accepts is exactly what is imported: ids with surrounding spaces are trimmed the
same way in both files, so works and their documents always agree.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.dags.exports import write_exports

HEADER = "externalId,name\n"
DOC_HEADER = "clientExternalId,externalId,name,type,url\n"
URL = "https://files.example.test/w2.pdf"


def clients_bytes(data: bytes) -> dict[str, Any]:
    return {"clients": data}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    (
        "latin-1",
        clients_bytes(HEADER.encode() + "c-1,Fran\u00e7ois\nc-2,B\n".encode("latin-1")),
        {},
        ["line 2 is not utf-8", "re-export", "encoding"],
    ),
    (
        "cp1252",
        clients_bytes(HEADER.encode() + b"c-1,A\nc-2,\x93Smart\x94 Quotes\n"),
        {},
        ["line 3 is not utf-8", "cp1252"],
    ),
    ("utf-16", clients_bytes((HEADER + "c-1,A\n").encode("utf-16")), {}, ["looks like UTF-16", "re-export"]),
    ("random-bytes", clients_bytes(bytes(range(256)) * 4), {}, ["is not utf-8"]),
    (
        "nul-byte",
        clients_bytes(HEADER.encode() + b"c-1,A\x00B\n"),
        {},
        ["line 2", "control character (U+0000)"],
    ),
    (
        "huge-field",
        clients_bytes(HEADER.encode() + b"c-1," + b"x" * (1024 * 1024 + 1) + b"\n"),
        {},
        ["line 2", "longer than 1024 KiB"],
    ),
    (
        "long-name",
        clients_bytes(HEADER.encode() + b"c-1," + b"n" * 256 + b"\n"),
        {},
        ["line 2, field 'name'", "longer than 255"],
    ),
    (
        "duplicate-id",
        clients_bytes(HEADER.encode() + b"c-1,A\nc-2,B\nc-1,C\n"),
        {},
        ["line 4, field 'externalId'", "duplicate 'c-1' (first at line 2)"],
    ),
    (
        "spaces-make-a-duplicate",
        clients_bytes(HEADER.encode() + b"c-1,A\n c-1 ,B\n"),
        {},
        ["line 3", "duplicate 'c-1'"],
    ),
    ("missing-column", clients_bytes(b"id,name\nc-1,A\n"), {}, ["lacks column(s) ['externalId']"]),
    ("ragged-row", clients_bytes(HEADER.encode() + b"c-1,A,extra\n"), {}, ["line 2", "has 3 cells, the header has 2"]),
    ("empty-export", clients_bytes(HEADER.encode()), {}, ["the client list is empty"]),
    ("missing-file", {}, {"clients_path": "/nowhere/clients.csv"}, ["file not found: /nowhere/clients.csv"]),
    (
        "unknown-client",
        {"documents": (DOC_HEADER + f"c-9,d-1,W-2,w2,{URL}\n").encode()},
        {},
        ["line 2, field 'clientExternalId'", "no client 'c-9'"],
    ),
    (
        "long-url",
        {"documents": (DOC_HEADER + "c-1,d-1,W-2,w2,https://x/" + "u" * 8200 + "\n").encode()},
        {},
        ["line 2, field 'url'", "longer than 8192"],
    ),
    (
        "bad-url",
        {"documents": (DOC_HEADER + "c-1,d-1,W-2,w2,ftp://x/1\n").encode()},
        {},
        ["line 2, field 'url'", "http(s) URL"],
    ),
    ("unknown-encoding", {}, {"encoding": "klingon"}, ["unknown encoding 'klingon'"]),
    ("typo-in-conf", {}, {"client_path": "/tmp/mine.csv"}, ["unknown key(s) in the run's conf: 'client_path'"]),
]


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("FILED_POKE_INTERVAL_S", "0.2")
    return DagBag(dag_folder="dags/filed_tax_season_import.py").dags["filed_tax_season_import"]


@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize(("files", "conf", "expected"), [pytest.param(f, c, e, id=i) for i, f, c, e in CASES])
def test_bad_input_fails_in_one_try_before_any_request(
    example: Any,
    filed_connection: Any,
    tmp_path: Path,
    capfd: Any,
    caplog: pytest.LogCaptureFixture,
    files: dict[str, bytes],
    conf: dict[str, Any],
    expected: list[str],
) -> None:
    clients, documents = tmp_path / "clients.csv", tmp_path / "documents.csv"
    clients.write_bytes(files.get("clients", HEADER.encode() + b"c-1,A\n"))
    documents.write_bytes(files.get("documents", (DOC_HEADER + f"c-1,d-1,W-2,w2,{URL}\n").encode()))

    dag_run = example.test(run_conf={"clients_path": str(clients), "documents_path": str(documents), **conf})

    assert dag_run.state == "failed"
    (plan,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == "plan_import"]
    assert (str(plan.state), plan.try_number) == ("failed", 1)  # no Airflow retry can fix a file
    seen = (capfd.readouterr().out + caplog.text).lower()
    for fragment in expected:
        assert fragment.lower() in seen, fragment
    assert filed_connection.stats()["total_requests"] == 0  # not even a read


@pytest.mark.usefixtures("airflow_db")
def test_a_declared_encoding_is_read(example: Any, filed_connection: Any, airflow_helpers: Any, tmp_path: Path) -> None:
    filed_connection.configure(processing_time_s=0.1)
    clients, documents = tmp_path / "clients.csv", tmp_path / "documents.csv"
    clients.write_bytes(HEADER.encode() + "c-1,Fran\u00e7ois Dupr\u00e9\n".encode("cp1252"))
    documents.write_bytes((DOC_HEADER + f"c-1,d-1,W-2,w2,{URL}\n").encode("cp1252"))

    dag_run = example.test(
        run_conf={"clients_path": str(clients), "documents_path": str(documents), "encoding": "cp1252"}
    )

    assert dag_run.state == "success", airflow_helpers.task_states(dag_run)
    assert airflow_helpers.xcom_value(dag_run, "summary")["works_created"] == 1


@pytest.mark.usefixtures("airflow_db")
def test_ids_with_spaces_are_trimmed_alike_in_both_files(
    example: Any, filed_connection: Any, airflow_helpers: Any, tmp_path: Path
) -> None:
    filed_connection.configure(processing_time_s=0.1)
    clients, documents = write_exports(tmp_path, 3)
    rows = list(csv.reader(clients.open()))
    rows[2][0] = f"  {rows[2][0]} "  # " client-000001 " in the clients file, plain in the documents file
    with clients.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    doc_rows = list(csv.reader(documents.open()))
    doc_rows[1][0] = f" {doc_rows[1][0]}"  # and the other way round for client-000000
    with documents.open("w", newline="") as handle:
        csv.writer(handle).writerows(doc_rows)

    dag_run = example.test(run_conf={"clients_path": str(clients), "documents_path": str(documents)})

    assert dag_run.state == "success", airflow_helpers.task_states(dag_run)
    report = airflow_helpers.xcom_value(dag_run, "summary")
    assert (report["works_created"], report["documents_attached"]) == (3, 6)
    listed = filed_connection.stats()
    assert sum(listed["works_per_job"].values()) == 3
    assert sum(listed["artifacts_per_job"].values()) == 6


@pytest.mark.usefixtures("airflow_db")
def test_a_scheduled_run_without_an_export_says_where_to_set_it(
    filed_connection: Any, airflow_helpers: Any, caplog: pytest.LogCaptureFixture, capfd: Any
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    daily = DagBag(dag_folder="dags/filed_tax_season_daily.py").dags["filed_tax_season_daily"]
    dag_run = daily.test()  # no conf, no Variable filed_clients_uri

    assert dag_run.state == "failed"
    (plan,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == "plan_import"]
    assert plan.try_number == 1
    assert "the Airflow Variable filed_clients_uri" in capfd.readouterr().out + caplog.text
    assert filed_connection.stats()["total_requests"] == 0
