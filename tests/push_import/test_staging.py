"""Staged batches: each document's JSON text is grouped by client as it is, in file order, and reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput
from airflow_provider_filed.push_import.staging import StagingArea, documents_json


@pytest.fixture
def area(tmp_path: Path) -> StagingArea:
    staging = StagingArea(tmp_path, "dag", "run")
    staging.clear()
    return staging


def _document(external_id: str, name: str = "W-2") -> CreateJobWorkArtifactsInput:
    return CreateJobWorkArtifactsInput.model_validate(
        {"name": name, "type": "w2", "url": f"https://files.example.test/{external_id}.pdf", "externalId": external_id}
    )


def test_documents_are_grouped_by_client_in_file_order_and_read_back_as_sent(area: StagingArea) -> None:
    documents = [_document("d-1", "Müller W-2"), _document("d-2"), _document("d-3", 'A "quoted" name')]
    pairs = [("c-2", documents[0].to_json()), ("c-1", documents[1].to_json()), ("c-2", documents[2].to_json())]

    text, count = documents_json(pairs)
    batch = area.write_batch(1, [{"name": "A", "externalId": "c-1"}], text)

    assert count == 3
    assert batch.artifacts is not None
    staged = json.loads(Path(batch.artifacts).read_text(encoding="utf-8"))
    assert list(staged) == ["c-2", "c-1"]
    assert staged == {
        "c-2": [documents[0].to_graphql(), documents[2].to_graphql()],
        "c-1": [documents[1].to_graphql()],
    }


def test_no_documents_stage_no_file(area: StagingArea) -> None:
    assert documents_json([]) == (None, 0)
    batch = area.write_batch(1, [{"name": "A", "externalId": "c-1"}], None)
    assert batch.artifacts is None
    assert batch.works is not None
    assert [json.loads(line) for line in Path(batch.works).read_text().splitlines()] == [
        {"name": "A", "externalId": "c-1"}
    ]
