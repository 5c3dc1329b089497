"""Every GraphQL document the client can send validates against the emulator's ``schema.graphql``."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from airflow_provider_filed.client import documents, transport

SCHEMA_PATH = Path(documents.__file__).resolve().parents[1] / "emulator" / "schema.graphql"


def _is_document(value: object) -> bool:
    return isinstance(value, str) and value.strip().startswith(("query", "mutation"))


DOCUMENT_CONSTANTS = sorted(name for name, value in vars(documents).items() if _is_document(value))
SELECTIONS = sorted(name for name in vars(documents) if name.endswith("_SELECTION"))


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA_PATH.read_text())


def assert_valid(schema: GraphQLSchema, document: str) -> None:
    errors = validate(schema, parse(document))
    assert errors == [], [e.message for e in errors]


def test_discovery_finds_the_documents() -> None:
    # Guards the discovery itself: if it found nothing, every parametrized test would vanish silently.
    assert {"ME", "CREATE_JOB_WORKS", "CREATE_JOB_WORK_ARTIFACTS", "TRIGGER_CONNECTION_JOB"} <= set(DOCUMENT_CONSTANTS)
    assert len(DOCUMENT_CONSTANTS) >= 9
    assert len(SELECTIONS) >= 5


@pytest.mark.parametrize("name", DOCUMENT_CONSTANTS)
def test_document_constant_validates(schema: GraphQLSchema, name: str) -> None:
    assert_valid(schema, getattr(documents, name))


@pytest.mark.parametrize("name", SELECTIONS)
@pytest.mark.parametrize("pages", [1, 9])
@pytest.mark.parametrize("sort_by", [False, True])
def test_job_works_query_validates_with_each_selection(
    schema: GraphQLSchema, name: str, pages: int, sort_by: bool
) -> None:
    document = documents.job_works_query(getattr(documents, name), pages, sort_by=sort_by)
    assert_valid(schema, document)
    assert document.count("jobWorks(") == pages
    assert ("sortBy" in document) is sort_by  # sent only when the user configured one


@pytest.mark.parametrize("sort_by", [False, True])
def test_connections_query_validates(schema: GraphQLSchema, sort_by: bool) -> None:
    document = documents.connections_query(sort_by=sort_by)
    assert_valid(schema, document)
    assert ("sortBy" in document) is sort_by


def test_minimal_selections_ask_only_what_the_docs_show() -> None:
    # Artifact metadata (beyond the docs' examples) is read only to name why a failed work failed.
    for name in SELECTIONS:
        if name not in ("JOB_WORK_FULL_SELECTION", "JOB_WORK_FAILURE_SELECTION"):
            assert "metadata" not in getattr(documents, name), name


@pytest.mark.parametrize("count", [1, 3])
def test_aliased_artifacts_mutation_validates(schema: GraphQLSchema, count: int) -> None:
    document = documents.aliased_artifacts_mutation(count)
    assert_valid(schema, document)
    assert document.count("createJobWorkArtifacts(") == count


def test_login_document_validates(schema: GraphQLSchema) -> None:
    assert_valid(schema, transport.LOGIN_DOCUMENT)


def test_an_invalid_document_is_caught(schema: GraphQLSchema) -> None:
    # The check can fail: a field the schema does not have is reported.
    assert validate(schema, parse("query { me { noSuchField } }"))
