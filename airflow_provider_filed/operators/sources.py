"""Read client rows from what a DAG author has: a list, or a CSV / JSON-lines / JSON file."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow_provider_filed.client.errors import FiledInputError, InputProblem


def load_rows(source: str | Sequence[Any], *, required: Sequence[str] = ()) -> list[Any]:
    """Rows from a list as given, or from a ``.csv``, ``.jsonl``/``.ndjson`` or ``.json`` file path."""
    if not isinstance(source, str):
        if not isinstance(source, Sequence):
            raise FiledInputError(f"expected a list of rows or a file path, got {type(source).__name__}")
        return list(source)
    path = Path(source)
    if not path.is_file():
        raise FiledInputError(f"file not found: {path}", source=str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv(path, required)
    if suffix in (".jsonl", ".ndjson"):
        return _json_lines(path)
    if suffix == ".json":
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise FiledInputError(f"not valid JSON: {exc}", source=str(path)) from None
        if not isinstance(rows, list):
            raise FiledInputError("a .json file must hold a list of rows", source=str(path))
        return rows
    raise FiledInputError(f"unsupported file type {suffix!r}: use .csv, .jsonl or .json", source=str(path))


def _csv(path: Path, required: Sequence[str]) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        if missing := [c for c in required if c not in header and _snake(c) not in header]:
            raise FiledInputError(f"CSV header {header} lacks column(s) {missing}", source=str(path))
        rows: list[dict[str, Any]] = []
        problems: list[InputProblem] = []
        for number, row in enumerate(reader, start=1):
            if None in row or any(v is None for v in row.values()):
                problems.append(InputProblem(number, None, f"does not have the {len(header)} columns of the header"))
                continue
            rows.append({k: v for k, v in row.items() if v != ""})
    if problems:
        raise FiledInputError(problems, source=f"CSV {path}")
    return rows


def _json_lines(path: Path) -> list[Any]:
    rows: list[Any] = []
    problems: list[InputProblem] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                problems.append(InputProblem(number, None, f"not valid JSON ({exc.msg})"))
    if problems:
        raise FiledInputError(problems, source=f"JSON lines {path}")
    return rows


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
