"""Validate the user's rows into typed inputs before anything is sent: every problem, with its row and field."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from airflow_provider_filed.client.collector import collector_paused
from airflow_provider_filed.client.errors import FiledInputError, InputProblem
from airflow_provider_filed.client.models import (
    HTTP_URL,
    READY_BRANCH,
    CreateJobWorkArtifactsInput,
    CreateJobWorksInput,
    RowInput,
    adapter_of,
    normalise_text,
)

M = TypeVar("M", bound=RowInput)

_REASONS = {
    "missing": "is required",
    "string_too_short": "must not be empty",
    "unexpected_keyword_argument": "is not a known field",
    "dict_type": "must be an object",
    "dataclass_type": "must be an object with the fields of the input",
}


def _reason(error: Mapping[str, Any]) -> str:
    if error["type"] == "string_too_long":
        return f"is longer than {error.get('ctx', {}).get('max_length')} characters"
    if error["type"] == "string_pattern_mismatch":
        value = str(error.get("input", ""))
        control = next((c for c in value if c < " " or "\x7f" <= c <= "\x9f"), None)
        if error.get("ctx", {}).get("pattern") == HTTP_URL and (
            control is None or not value.startswith(("http://", "https://"))
        ):
            return "must be an http(s) URL that Filed can download (http:// or https://, lower case)"
        return f"contains a control character (U+{ord(control or chr(0)):04X})"
    if error["type"] == "string_type":
        return f"must be a string, got {type(error.get('input')).__name__}"
    return _REASONS.get(error["type"], str(error["msg"]).removeprefix("Value error, "))


def _field_name(model: type[RowInput], loc: Sequence[Any]) -> str | None:
    return model.wire_name(str(loc[0])) if loc else None


def _normalise_keys(row: Any) -> Any:
    """Accept snake_case keys too (``external_id``), since CSV headers and Python dicts use them."""
    if type(row) is dict and "external_id" not in row:
        return row
    if not isinstance(row, Mapping):
        return row
    return {("externalId" if k == "external_id" else k): v for k, v in row.items()}


def parse_rows(
    model: type[M], rows: Iterable[Any], *, numbers: Iterable[int] | None = None, unit: str = "row"
) -> tuple[list[M], list[InputProblem]]:
    """Validate each row into ``model``; return the good ones and every problem (rows numbered 1, 2… unless
    ``numbers`` says otherwise, e.g. a file's own line numbers with ``unit="line"``).

    All rows go through pydantic's core in one call; the good ones are picked out only when some fail.
    """
    normalised = [_normalise_keys(row) for row in rows]
    try:
        return adapter_of(list[model]).validate_python(normalised), []  # type: ignore[valid-type]
    except ValidationError as exc:
        errors = [e for e in exc.errors() if READY_BRANCH not in e["loc"][2:]]
    numbered = list(numbers) if numbers is not None else [n + 1 for n in range(len(normalised))]
    failed = {int(e["loc"][0]) for e in errors}
    good = [model.model_validate(row) for n, row in enumerate(normalised) if n not in failed]
    problems = [
        InputProblem(numbered[int(e["loc"][0])], _field_name(model, e["loc"][1:]), _reason(e), unit=unit)
        for e in errors
    ]
    return good, problems


def duplicate_external_ids(
    external_ids: Iterable[str], *, numbers: Iterable[int] | None = None, unit: str = "row", field: str = "externalId"
) -> list[InputProblem]:
    """Every externalId that repeats an earlier one, and where the first was; a list without repeats is told
    by one set."""
    ids = list(external_ids)
    if len(set(ids)) == len(ids):
        return []
    seen: dict[str, int] = {}
    problems = []
    for number, external_id in zip(numbers or itertools.count(1), ids, strict=False):
        if external_id in seen:
            problems.append(
                InputProblem(
                    number, field, f"duplicate {external_id!r} (first at {unit} {seen[external_id]})", unit=unit
                )
            )
        else:
            seen[external_id] = number
    return problems


@collector_paused
def parse_job_works(
    rows: Sequence[Any], *, source: str = "works", numbers: Sequence[int] | None = None, unit: str = "row"
) -> list[CreateJobWorksInput]:
    """Validate clients (``{name, externalId}``): types, empty or over-long values, duplicates in the input."""
    works, problems = parse_rows(CreateJobWorksInput, rows, numbers=numbers, unit=unit)
    if not problems:
        problems = duplicate_external_ids((w.external_id for w in works), numbers=numbers, unit=unit)
    if problems:
        raise FiledInputError(problems, source=source)
    if not works:
        raise FiledInputError("the client list is empty: nothing to import", source=source)
    return works


@collector_paused
def parse_artifacts(
    artifacts: Mapping[str, Sequence[Any]], *, source: str = "artifacts"
) -> dict[str, list[CreateJobWorkArtifactsInput]]:
    """Validate ``{client externalId: [artifact, ...]}``; rows are numbered per client as ``client[i]``."""
    if not isinstance(artifacts, Mapping):
        raise FiledInputError(
            f"must map client externalIds to lists of artifacts, got {type(artifacts).__name__}",
            source=source,
        )
    problems: list[InputProblem] = []
    groups: list[tuple[str, Sequence[Any]]] = []
    seen: set[str] = set()
    for raw_id, rows in artifacts.items():
        client_id = normalise_text(raw_id) if isinstance(raw_id, str) else str(raw_id)
        if client_id in seen:
            problems.append(InputProblem(None, repr(raw_id), f"is client {client_id!r} again (spaces are dropped)"))
            continue
        seen.add(client_id)
        if type(rows) is not list and (isinstance(rows, str | bytes) or not isinstance(rows, Sequence)):
            problems.append(InputProblem(None, client_id, "must be a list of artifacts"))
            continue
        groups.append((client_id, rows))
    by_client, row_problems = _artifacts_by_client(groups)
    if row_problems or _repeats_an_external_id(by_client):
        problems += _problems_by_client(by_client, row_problems)
    if problems:
        raise FiledInputError(problems, source=source)
    if not any(by_client.values()):
        raise FiledInputError("no artifacts to attach", source=source)
    return by_client


def _problems_by_client(
    by_client: Mapping[str, Sequence[CreateJobWorkArtifactsInput]], row_problems: Mapping[str, list[InputProblem]]
) -> list[InputProblem]:
    """Each client's bad rows, then the externalIds it holds twice, client after client."""
    problems: list[InputProblem] = []
    for client_id, parsed in by_client.items():
        problems += row_problems.get(client_id, ())
        if len(parsed) > 1 and len({a.external_id for a in parsed}) < len(parsed):
            dupes = duplicate_external_ids(a.external_id for a in parsed)
            problems += [InputProblem(None, f"{client_id}[{p.row}].externalId", p.reason) for p in dupes]
    return problems


def _repeats_an_external_id(by_client: Mapping[str, Sequence[CreateJobWorkArtifactsInput]]) -> bool:
    """Whether any two artifacts share an externalId: when none do, no client holds one twice (checked in one
    pass, so a clean season's export skips the client-by-client check)."""
    external_ids = [artifact.external_id for parsed in by_client.values() for artifact in parsed]
    return len(set(external_ids)) < len(external_ids)


def _artifacts_by_client(
    groups: Sequence[tuple[str, Sequence[Any]]],
) -> tuple[dict[str, list[CreateJobWorkArtifactsInput]], dict[str, list[InputProblem]]]:
    """Every client's artifacts validated in one call; client by client again only to place problems
    (named ``client[i].field``, by client)."""
    parsed, problems = parse_rows(CreateJobWorkArtifactsInput, [row for _, rows in groups for row in rows])
    by_client: dict[str, list[CreateJobWorkArtifactsInput]] = {}
    if problems:
        placed: dict[str, list[InputProblem]] = {}
        for client_id, rows in groups:
            by_client[client_id], found = parse_rows(CreateJobWorkArtifactsInput, rows)
            placed[client_id] = [InputProblem(None, f"{client_id}[{p.row}].{p.field}", p.reason) for p in found]
        return by_client, placed
    start = 0
    for client_id, rows in groups:
        end = start + len(rows)
        by_client[client_id] = parsed[start:end]
        start = end
    return by_client, {}
