"""Reading an export into the plan's working set: every problem on its own line, in file order, whatever the
chunk the rows were validated and recorded in (a duplicate's first occurrence may sit in an earlier chunk)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_filed.client.errors import FiledInputError
from airflow_provider_filed.push_import import plan
from airflow_provider_filed.push_import.working_set import WorkingSet


@pytest.fixture(params=[2, 3, 1_000], ids=lambda size: f"chunks-of-{size}")
def working(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(plan, "ROWS_PER_CHUNK", request.param, raising=False)
    with WorkingSet() as working_set:
        yield working_set


def _clients(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "clients.csv"
    path.write_text("externalId,name\n" + "".join(f"{line}\n" for line in lines))
    return path


def _document(client: str | None, external_id: str, name: str = "W-2", url: str = "https://x/1") -> str:
    fields = {"clientExternalId": client, "externalId": external_id, "name": name, "type": "w2", "url": url}
    return json.dumps({key: value for key, value in fields.items() if value is not None})


def _problems(error: pytest.ExceptionInfo[FiledInputError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


def test_client_problems_name_their_line_and_a_duplicate_its_first(working: WorkingSet, tmp_path: Path) -> None:
    rows = ["c-1,A", "c-2,", "c-3,B", "c-1,C", " c-3 ,D", "c-4,E", "c-2,F", "c-4,G"]
    with pytest.raises(FiledInputError) as error:
        plan.read_clients(working, _clients(tmp_path, rows), None)

    assert _problems(error) == [
        "line 3, field 'name': is required",
        "line 5, field 'externalId': duplicate 'c-1' (first at line 2)",
        "line 6, field 'externalId': duplicate 'c-3' (first at line 4)",
        "line 9, field 'externalId': duplicate 'c-4' (first at line 7)",
    ]  # line 8's c-2 is no duplicate: line 3's row was refused, so nothing was recorded for it


def test_document_problems_come_in_file_order_each_line_field_first(working: WorkingSet, tmp_path: Path) -> None:
    plan.read_clients(working, _clients(tmp_path, ["c-1,A", "c-2,B"]), None)
    documents = tmp_path / "documents.jsonl"
    lines = [
        _document("c-1", "d-1"),
        json.dumps(["not", "an", "object"]),
        _document("c-9", "d-1", url="ftp://x/1"),
        _document(None, "d-2"),
        json.dumps(
            {"client_external_id": " c-1 ", "external_id": "d-1", "name": "C", "type": "w2", "url": "https://x"}
        ),
        _document("c-2", "d-1"),
        "",
        _document("c-2", "d-1", name=" "),
        _document("c-2", "d-1", name="W-2 again"),
    ]
    documents.write_text("\n".join(lines) + "\n")

    with pytest.raises(FiledInputError) as error:
        plan.read_documents(working, documents, "clients.csv", None)

    assert _problems(error) == [
        "line 2: must be an object with the document's fields",
        "line 3, field 'url': must be an http(s) URL that Filed can download (http:// or https://, lower case)",
        "line 3, field 'clientExternalId': no client 'c-9' in clients.csv",
        "line 4, field 'clientExternalId': is required",
        "line 5, field 'externalId': duplicate document 'd-1' of client 'c-1' (first at line 1)",
        "line 8, field 'name': must not be empty",
        "line 9, field 'externalId': duplicate document 'd-1' of client 'c-2' (first at line 6)",
    ]
    assert working.counts() == (2, 2)


def test_a_clean_export_is_recorded_whole_in_file_order(working: WorkingSet, tmp_path: Path) -> None:
    plan.read_clients(working, _clients(tmp_path, [f"c-{i},Client {i}" for i in range(7)]), None)
    documents = tmp_path / "documents.jsonl"
    pairs = [(f"c-{i % 7}", f"d-{i}") for i in range(15)]
    documents.write_text("".join(_document(client, document) + "\n" for client, document in pairs))

    plan.read_documents(working, documents, "clients.csv", None)

    assert working.counts() == (7, 15)
    assert list(working.new_clients()) == [(f"c-{i}", f"Client {i}") for i in range(7)]
    staged = [(client, json.loads(body)["externalId"]) for client, body in working.documents_of(["c-1", "c-3"])]
    assert staged == [pair for pair in pairs if pair[0] in ("c-1", "c-3")]
