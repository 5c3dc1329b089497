"""Validation of the user's rows: one call to pydantic's core for all rows, every problem placed by row and field."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from airflow_provider_filed.client import inputs
from airflow_provider_filed.client.errors import FiledInputError, InputProblem
from airflow_provider_filed.client.inputs import parse_artifacts, parse_job_works, parse_rows
from airflow_provider_filed.client.models import (
    HTTP_URL,
    MAX_NAME_LENGTH,
    NO_CONTROL_CHARACTER,
    READY_BRANCH,
    READY_TEXT,
    READY_URL,
    WHITESPACE,
    CreateJobWorksInput,
    _text,
    normalise_text,
)


def document(external_id: str, **fields: object) -> dict[str, object]:
    return {
        "name": "W-2",
        "type": "w2",
        "url": "https://files.example.test/w2.pdf",
        "externalId": external_id,
        **fields,
    }


def test_every_bad_row_is_named_with_its_field_and_the_good_ones_are_kept() -> None:
    rows = [
        {"name": "A", "externalId": "a"},
        {"name": "", "externalId": "b"},
        "junk",
        {"name": "C", "external_id": 3},
        {"name": "D", "externalId": "d", "nmae": "D"},
    ]
    good, problems = parse_rows(CreateJobWorksInput, rows, numbers=[10, 11, 12, 13, 14], unit="line")
    assert [w.external_id for w in good] == ["a"]
    assert problems == [
        InputProblem(11, "name", "must not be empty", unit="line"),
        InputProblem(12, None, "must be an object with the fields of the input", unit="line"),
        InputProblem(13, "externalId", "must be a string, got int", unit="line"),
        InputProblem(14, "nmae", "is not a known field", unit="line"),
    ]


def test_an_input_is_one_small_object_without_a_dict() -> None:
    """An import holds tens of thousands of inputs: each is one slots object, not a model with its ``__dict__``
    and fields-set, and still reads and writes the API's names."""
    work = parse_job_works([{"name": "A", "external_id": "a"}])[0]
    artifact = parse_artifacts({"a": [document("d")]})["a"][0]
    for value in (work, artifact):
        assert not hasattr(value, "__dict__")
    assert work.to_graphql() == {"name": "A", "externalId": "a"}
    assert CreateJobWorksInput.model_validate({"name": "A", "externalId": "a"}) == work


def test_clients_are_checked_whole_then_for_duplicates() -> None:
    assert [w.external_id for w in parse_job_works([{"name": " A ", "external_id": " a "}])] == ["a"]
    with pytest.raises(FiledInputError, match=r"row 2, field 'externalId': duplicate 'a' \(first at row 1\)"):
        parse_job_works([{"name": "A", "externalId": "a"}, {"name": "B", "externalId": " a"}])


def test_artifact_problems_name_the_client_and_position_and_duplicates_are_found_beside_them() -> None:
    artifacts = {
        "c-1": [document("d1"), document("d2", url="ftp://x")],
        "c-2": [document("d1"), document("d1")],
        "c-3": [document("d3", name="\x07")],
    }
    with pytest.raises(FiledInputError) as raised:
        parse_artifacts(artifacts)
    assert [str(p) for p in raised.value.problems] == [
        "field 'c-1[2].url': must be an http(s) URL that Filed can download (http:// or https://, lower case)",
        "field 'c-2[2].externalId': duplicate 'd1' (first at row 1)",
        "field 'c-3[1].name': contains a control character (U+0007)",
    ]


def test_an_artifact_held_twice_by_one_client_is_refused_and_by_two_clients_is_not() -> None:
    parsed = parse_artifacts({"c-1": [document("w2")], "c-2": [document("w2")]})
    assert [a.external_id for items in parsed.values() for a in items] == ["w2", "w2"]
    with pytest.raises(
        FiledInputError, match=r"sent:\s+field 'c-2\[2\]\.externalId': duplicate 'w2' \(first at row 1\)$"
    ):
        parse_artifacts({"c-1": [document("w2")], "c-2": [document("w2"), document(" w2")]})


def test_artifacts_are_grouped_back_by_client_in_order() -> None:
    parsed = parse_artifacts({" c-1 ": [document("d1"), document("d2")], "c-2": [document("d3")]})
    assert {client: [a.external_id for a in items] for client, items in parsed.items()} == {
        "c-1": ["d1", "d2"],
        "c-2": ["d3"],
    }


@pytest.mark.parametrize("value", [" e\u0301 ", "\u3000x\xa0", "\tA\u2028", "plain"])
def test_models_normalise_text_as_normalise_text_does(value: str) -> None:
    work = CreateJobWorksInput.model_validate({"name": value, "externalId": value})
    built = CreateJobWorksInput(name=value, external_id=value)
    assert work.name == work.external_id == built.name == normalise_text(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" e\u0301 ", "\xe9"), ("\u212b", "\xc5"), ("\u3000x\xa0", "x"), ("\tplain id-1 ", "plain id-1"), ("", "")],
)
def test_normalise_text_drops_surrounding_spaces_and_composes_unicode(value: str, expected: str) -> None:
    assert normalise_text(value) == expected


def _outcome(adapter: TypeAdapter[Any], value: object) -> object:
    """The value accepted, or the error types refused with (the ready branch's left out)."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        return sorted(e["type"] for e in exc.errors() if READY_BRANCH not in e["loc"])


TEXTS: list[object] = [
    "plain id-1",
    "W-2 2024 (copy)",
    " padded ",
    "\tA\u2028",
    "e\u0301",
    "\xe9",
    "a\tb",
    "a\x7fb",
    "",
    "   ",
    "x" * MAX_NAME_LENGTH,
    "x" * (MAX_NAME_LENGTH + 1),
    " " + "x" * MAX_NAME_LENGTH,
    "~!",
    3,
    None,
    b"bytes",
]
URLS: list[object] = [
    "https://files.example.test/w2.pdf",
    "http://x",
    " https://x/a b.pdf ",
    "https://x/\xe9.pdf",
    "HTTPS://x",
    "ftp://x",
    "https://x/\x07",
    "https://",
    5,
]


@pytest.mark.parametrize(
    ("pattern", "ready", "value"),
    [(NO_CONTROL_CHARACTER, READY_TEXT, v) for v in TEXTS] + [(HTTP_URL, READY_URL, v) for v in URLS],
)
def test_text_taken_as_it_is_is_what_the_normalising_chain_would_accept(
    pattern: str, ready: str, value: object
) -> None:
    """The core-only branch for ready text takes nothing the whole chain would refuse or change."""
    quick = TypeAdapter(_text(MAX_NAME_LENGTH, pattern, ready))
    whole = TypeAdapter(_text(MAX_NAME_LENGTH, pattern))
    assert _outcome(quick, value) == _outcome(whole, value)


def test_a_url_in_upper_case_is_refused_as_a_url_not_as_a_control_character() -> None:
    with pytest.raises(FiledInputError) as raised:
        parse_artifacts({"c-1": [document("d1", url="HTTPS://files.example.test/w2.pdf")]})
    assert [str(p) for p in raised.value.problems] == [
        "field 'c-1[1].url': must be an http(s) URL that Filed can download (http:// or https://, lower case)"
    ]


def test_the_whitespace_dropped_is_python_s_less_the_control_separators() -> None:
    python_spaces = {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    assert set(WHITESPACE) == python_spaces - set("\x1c\x1d\x1e\x1f")
    with pytest.raises(ValueError, match="string_pattern_mismatch"):
        CreateJobWorksInput(name="a\x1f", external_id="a")


@pytest.fixture
def collector_seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether automatic garbage collection was on while the rows went through pydantic's core."""
    seen: list[bool] = []
    validate = inputs.parse_rows

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return validate(*args, **kwargs)

    monkeypatch.setattr(inputs, "parse_rows", watched)
    assert gc.isenabled()
    yield seen
    assert gc.isenabled(), "validation left the garbage collector off"


def test_rows_are_validated_with_the_collector_paused_and_it_resumes_after(collector_seen: list[bool]) -> None:
    parse_job_works([{"name": "A", "externalId": "a"}])
    parse_artifacts({"a": [document("a-1")]})
    with pytest.raises(FiledInputError):
        parse_artifacts({"a": [document("a-1", url="ftp://x")]})
    assert set(collector_seen) == {False}
