"""Reading exports: what ``csv`` refuses reads the same on every Python version, on the file's own line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from airflow_provider_filed.client.errors import FiledInputError
from airflow_provider_filed.push_import.files import MAX_FIELD_BYTES, _unreadable_csv, iter_csv


@pytest.mark.parametrize(
    ("content", "error", "expected"),
    [
        (b"externalId,name\nc-1,A\nc-2,B\x00C\n", "line contains NUL", "line 3: contains a control character (U+0000)"),
        (
            b"externalId,name\nc-1,A\nc-2," + b"x" * (MAX_FIELD_BYTES + 1) + b"\n",
            "field larger than field limit (1048576)",
            "line 3: has a field longer than 1024 KiB",
        ),
    ],
    ids=["nul", "huge-field"],
)
def test_what_csv_refuses_is_named_by_its_line(tmp_path: Path, content: bytes, error: str, expected: str) -> None:
    # Python 3.10's csv raises on a NUL byte, later versions pass it on: the message must not depend on it.
    path = tmp_path / "clients.csv"
    path.write_bytes(content)
    assert expected in str(_unreadable_csv(path, None, "utf-8", csv.Error(error)))


def test_rows_come_with_their_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text('externalId,name\nc-1,A\n\nc-2,"two\nlines"\nc-3,C\n')
    lines = [line for line, _ in iter_csv(path, required=("externalId", "name"))]
    assert lines == [2, 4, 6]  # the record spanning lines 4-5 is named by its first


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("id,name\nc-1,A\n")
    with pytest.raises(FiledInputError, match=r"lacks column\(s\) \['externalId'\]"):
        list(iter_csv(path, required=("externalId", "name")))
