"""Reading a firm's exports — CSV, JSON lines, JSON — from any path or URI, as a stream with line numbers.

A local path, a ``file://`` URI, or any scheme Airflow's object storage knows (``s3://``, ``gs://``… when
the matching provider is installed), so CeleryExecutor workers on other machines can read the same file.
Text must be UTF-8 (a BOM is fine): anything else fails at once, naming the file and the first bad line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from airflow_provider_filed.client.errors import FiledInputError, InputProblem

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

#: The longest CSV field accepted (a document URL or a name is far shorter).
MAX_FIELD_BYTES = 128 * 1024


def storage_path(location: str | Path | ObjectStoragePath, conn_id: str | None = None) -> Path | ObjectStoragePath:
    """A local ``Path`` for a plain path, else an ``ObjectStoragePath`` (``file://``, ``s3://``, …)."""
    if isinstance(location, Path) or (isinstance(location, str) and "://" not in location):
        return Path(location).expanduser()
    if isinstance(location, str):
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(location, conn_id=conn_id)
    return location


def _encoding_hint(path: object, line: int) -> str:
    return (
        f"not UTF-8 text at line {line}: re-export {path} as UTF-8 (CSV UTF-8 in Excel), "
        "or convert it (e.g. iconv -f latin1 -t utf-8)"
    )


@contextmanager
def open_text(location: str | Path | ObjectStoragePath, conn_id: str | None = None) -> Iterator[IO[str]]:
    """The file as UTF-8 text (BOM dropped), universal newlines; a clear error when it does not exist."""
    path = storage_path(location, conn_id)
    try:
        exists = path.is_file()
    except OSError as exc:
        raise FiledInputError(f"cannot read {location}: {exc}", source=str(location)) from None
    if not exists:
        raise FiledInputError(f"file not found: {location}", source=str(location))
    with path.open("r", encoding="utf-8-sig", errors="strict", newline="") as handle:
        yield handle


def iter_csv(
    location: str | Path | ObjectStoragePath, *, required: Sequence[str] = (), conn_id: str | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of each data row; empty cells are dropped, so a missing value reads as missing.

    The header must hold ``required`` (``externalId`` may be spelled ``external_id``). A row with more
    or fewer cells than the header, a field over 128 KiB, or a non-UTF-8 byte fails with its line.
    """
    csv.field_size_limit(MAX_FIELD_BYTES)
    with open_text(location, conn_id) as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader, [])]
            if missing := [c for c in required if c not in header and _snake(c) not in header]:
                raise FiledInputError(f"CSV header {header} lacks column(s) {missing}", source=str(location))
            problems: list[InputProblem] = []
            for cells in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    problems.append(
                        InputProblem(line, None, f"has {len(cells)} cells, the header has {len(header)}", unit="line")
                    )
                    if len(problems) >= FiledInputError.shown:
                        break
                    continue
                yield line, {key: value for key, value in zip(header, cells, strict=True) if value != ""}
        except UnicodeDecodeError:
            raise FiledInputError(_encoding_hint(location, reader.line_num + 1), source=str(location)) from None
        except csv.Error as exc:
            raise FiledInputError(
                [InputProblem(reader.line_num, None, f"is not valid CSV ({exc})", unit="line")],
                source=f"CSV {location}",
            ) from None
    if problems:
        raise FiledInputError(problems, source=f"CSV {location}")


def iter_json_lines(
    location: str | Path | ObjectStoragePath, *, conn_id: str | None = None
) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` of each non-blank line of a JSON-lines file."""
    problems: list[InputProblem] = []
    number = 0
    with open_text(location, conn_id) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.append(InputProblem(number, None, f"not valid JSON ({exc.msg})", unit="line"))
        except UnicodeDecodeError:
            raise FiledInputError(_encoding_hint(location, number + 1), source=str(location)) from None
    if problems:
        raise FiledInputError(problems, source=f"JSON lines {location}")


def read_json(
    location: str | Path | ObjectStoragePath, *, source_name: str = "input", conn_id: str | None = None
) -> Any:
    """A whole ``.json`` file's value."""
    with open_text(location, conn_id) as handle:
        try:
            return json.load(handle)
        except UnicodeDecodeError:
            raise FiledInputError(_encoding_hint(location, 1), source=str(location)) from None
        except ValueError as exc:
            raise FiledInputError(f"not valid JSON: {exc}", source=str(location)) from None


def iter_rows(
    location: str | Path | ObjectStoragePath, *, required: Sequence[str] = (), conn_id: str | None = None
) -> Iterator[tuple[int, Any]]:
    """``(line or item number, row)`` from a ``.csv``, ``.jsonl``/``.ndjson`` or ``.json`` (a list) file."""
    suffix = Path(str(location)).suffix.lower()
    if suffix == ".csv":
        yield from iter_csv(location, required=required, conn_id=conn_id)
    elif suffix in (".jsonl", ".ndjson"):
        yield from iter_json_lines(location, conn_id=conn_id)
    elif suffix == ".json":
        rows = read_json(location, conn_id=conn_id)
        if not isinstance(rows, list):
            raise FiledInputError("a .json file must hold a list of rows", source=str(location))
        yield from enumerate(rows, start=1)
    else:
        raise FiledInputError(f"unsupported file type {suffix!r}: use .csv, .jsonl or .json", source=str(location))


def load_rows(source: str | Sequence[Any], *, required: Sequence[str] = ()) -> list[Any]:
    """Rows from a list as given, or from a file (path or URI): an operator's small input, held whole."""
    if isinstance(source, str):
        return [row for _, row in iter_rows(source, required=required)]
    if not isinstance(source, Sequence):
        raise FiledInputError(f"expected a list of rows or a file path, got {type(source).__name__}")
    return list(source)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
