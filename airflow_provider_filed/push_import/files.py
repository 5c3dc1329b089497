"""Reading a firm's exports — CSV, JSON lines, JSON — from any path or URI, as a stream with line numbers.

A local path, a ``file://`` URI, or any scheme Airflow's object storage knows (``s3://``, ``gs://``… when
the matching provider is installed), so CeleryExecutor workers on other machines can read the same file.
Text is UTF-8 (a BOM is fine) unless an ``encoding`` is given: a byte that does not decode fails at once,
naming the file and the first bad line, and saying how to fix it.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from airflow_provider_filed.client.errors import FiledInputError, InputProblem

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

#: The longest CSV field read (a document URL or a name is far shorter; each field's own limit is checked later).
MAX_FIELD_BYTES = 1024 * 1024
DEFAULT_ENCODING = "utf-8"
_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


def storage_path(location: str | Path | ObjectStoragePath, conn_id: str | None = None) -> Path | ObjectStoragePath:
    """A local ``Path`` for a plain path, else an ``ObjectStoragePath`` (``file://``, ``s3://``, …)."""
    if isinstance(location, Path) or (isinstance(location, str) and "://" not in location):
        return Path(location).expanduser()
    if isinstance(location, str):
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(location, conn_id=conn_id)
    return location


def _codec(encoding: str) -> str:
    """UTF-8 is read with its optional BOM dropped."""
    return "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding


def _undecodable(location: str | Path | ObjectStoragePath, conn_id: str | None, encoding: str) -> FiledInputError:
    """Where the text stops decoding (the file's own line and byte), and what to do about it."""
    line, byte, head = 1, "", b""
    with storage_path(location, conn_id).open("rb") as raw:
        decoder = codecs.getincrementaldecoder(_codec(encoding))()
        for line, chunk in enumerate(raw, start=1):  # noqa: B007 - the line where decoding stops
            head = head or chunk[:4]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                byte = f" (byte 0x{exc.object[exc.start]:02x})"
                break
    guess = next((name for bom, name in _BOMS.items() if head.startswith(bom)), None)
    found = f"; it looks like {guess} (it starts with a {guess} byte-order mark)" if guess else ""
    return FiledInputError(
        f"line {line} is not {encoding} text{byte}{found}: re-export the file as UTF-8 "
        '("CSV UTF-8" in Excel), or set the import\'s encoding (e.g. cp1252 or latin-1)',
        source=str(location),
    )


@contextmanager
def open_text(
    location: str | Path | ObjectStoragePath, conn_id: str | None = None, encoding: str = DEFAULT_ENCODING
) -> Iterator[IO[str]]:
    """The file as text (a UTF-8 BOM dropped), universal newlines; a clear error when it cannot be read."""
    path = storage_path(location, conn_id)
    try:
        exists = path.is_file()
    except OSError as exc:
        raise FiledInputError(f"cannot read {location}: {exc}", source=str(location)) from None
    if not exists:
        raise FiledInputError(f"file not found: {location}", source=str(location))
    try:
        handle = path.open("r", encoding=_codec(encoding), errors="strict", newline="")
    except LookupError:
        raise FiledInputError(f"unknown encoding {encoding!r}", source=str(location)) from None
    with handle:
        yield handle


def _first_line(location: str | Path | ObjectStoragePath, conn_id: str | None, encoding: str, bad: Any) -> int:
    """The file's first line for which ``bad(line)`` holds (the last line if none does)."""
    number = 0
    with open_text(location, conn_id, encoding) as handle:
        for number, line in enumerate(handle, start=1):  # noqa: B007 - the line where it holds
            if bad(line):
                break
    return number


def _unreadable_csv(
    location: str | Path | ObjectStoragePath, conn_id: str | None, encoding: str, error: csv.Error
) -> FiledInputError:
    """What ``csv`` refused, on the file's own line: the same message on every Python version."""
    if "NUL" in str(error):  # Python 3.10's csv refuses NUL; later versions pass it on to validation
        line = _first_line(location, conn_id, encoding, lambda text: "\x00" in text)
        reason = "contains a control character (U+0000)"
    elif "field larger than field limit" in str(error):
        line = _first_line(location, conn_id, encoding, lambda text: len(text) > MAX_FIELD_BYTES)
        reason = f"has a field longer than {MAX_FIELD_BYTES // 1024} KiB (no name, id or URL is that long)"
    else:
        line = _first_line(location, conn_id, encoding, lambda text: False)
        reason = f"is not valid CSV ({error})"
    return FiledInputError([InputProblem(line, None, reason, unit="line")], source=f"CSV {location}")


def iter_csv(
    location: str | Path | ObjectStoragePath,
    *,
    required: Sequence[str] = (),
    conn_id: str | None = None,
    encoding: str = DEFAULT_ENCODING,
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of each data row; empty cells are dropped, so a missing value reads as missing.

    The header must hold ``required`` (``externalId`` may be spelled ``external_id``). A row with more
    or fewer cells than the header, a field over 1 MiB, or an undecodable byte fails with its line.
    """
    csv.field_size_limit(MAX_FIELD_BYTES)
    with open_text(location, conn_id, encoding) as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader, [])]
            if missing := [c for c in required if c not in header and _snake(c) not in header]:
                raise FiledInputError(f"CSV header {header} lacks column(s) {missing}", source=str(location))
            problems: list[InputProblem] = []
            ended = reader.line_num
            for cells in reader:
                line, ended = ended + 1, reader.line_num  # a quoted field may span lines: name the first
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
            raise _undecodable(location, conn_id, encoding) from None
        except csv.Error as exc:
            raise _unreadable_csv(location, conn_id, encoding, exc) from None
    if problems:
        raise FiledInputError(problems, source=f"CSV {location}")


def iter_json_lines(
    location: str | Path | ObjectStoragePath, *, conn_id: str | None = None, encoding: str = DEFAULT_ENCODING
) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` of each non-blank line of a JSON-lines file."""
    problems: list[InputProblem] = []
    number = 0
    with open_text(location, conn_id, encoding) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.append(InputProblem(number, None, f"not valid JSON ({exc.msg})", unit="line"))
        except UnicodeDecodeError:
            raise _undecodable(location, conn_id, encoding) from None
    if problems:
        raise FiledInputError(problems, source=f"JSON lines {location}")


def read_json(
    location: str | Path | ObjectStoragePath, *, conn_id: str | None = None, encoding: str = DEFAULT_ENCODING
) -> Any:
    """A whole ``.json`` file's value."""
    with open_text(location, conn_id, encoding) as handle:
        try:
            return json.load(handle)
        except UnicodeDecodeError:
            raise _undecodable(location, conn_id, encoding) from None
        except ValueError as exc:
            raise FiledInputError(f"not valid JSON: {exc}", source=str(location)) from None


def iter_rows(
    location: str | Path | ObjectStoragePath,
    *,
    required: Sequence[str] = (),
    conn_id: str | None = None,
    encoding: str = DEFAULT_ENCODING,
) -> Iterator[tuple[int, Any]]:
    """``(line or item number, row)`` from a ``.csv``, ``.jsonl``/``.ndjson`` or ``.json`` (a list) file."""
    suffix = Path(str(location)).suffix.lower()
    if suffix == ".csv":
        yield from iter_csv(location, required=required, conn_id=conn_id, encoding=encoding)
    elif suffix in (".jsonl", ".ndjson"):
        yield from iter_json_lines(location, conn_id=conn_id, encoding=encoding)
    elif suffix == ".json":
        rows = read_json(location, conn_id=conn_id, encoding=encoding)
        if not isinstance(rows, list):
            raise FiledInputError("a .json file must hold a list of rows", source=str(location))
        yield from enumerate(rows, start=1)
    else:
        raise FiledInputError(f"unsupported file type {suffix!r}: use .csv, .jsonl or .json", source=str(location))


def load_rows(source: str | Sequence[Any], *, required: Sequence[str] = ()) -> tuple[list[Any], list[int], str]:
    """An operator's small input, held whole: the rows, their numbers, and what a number counts.

    From a list as given (rows 1, 2, …), or from a file (path or URI), numbered by its own lines.
    """
    if isinstance(source, str):
        numbered = list(iter_rows(source, required=required))
        unit = "item" if Path(source).suffix.lower() == ".json" else "line"
        return [row for _, row in numbered], [number for number, _ in numbered], unit
    if not isinstance(source, Sequence):
        raise FiledInputError(f"expected a list of rows or a file path, got {type(source).__name__}")
    return list(source), list(range(1, len(source) + 1)), "row"


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
