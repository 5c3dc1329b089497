"""The pager never ends a listing early, whatever the server's silent cap, and stays cheap."""

from __future__ import annotations

import itertools
import math

import pytest

from airflow_provider_filed.client.pagination import Pager


def read_all(total: int, cap: int, *, limit: int = 1000, width: int = 8, expected: int | None = None):
    """Drive a pager against a server holding ``total`` rows that returns at most ``cap`` per page."""
    pager = Pager(limit, width=width, expected=expected)
    seen: set[int] = set()
    requests = 0
    in_flight = 1
    while plan := pager.plan(in_flight):
        in_flight = min(2 * in_flight, 4)
        for offsets in plan:
            requests += 1
            assert len(offsets) <= width + 1
            lengths = []
            for offset in offsets:
                rows = range(offset, min(total, offset + min(pager.limit, cap)))
                seen.update(rows)
                lengths.append(len(rows))
            pager.record(offsets, lengths)
        assert requests < 10_000, "the listing must end"
    return seen, requests


@pytest.mark.parametrize(
    ("total", "cap", "limit", "width", "expected"),
    [
        pytest.param(*case, id="-".join(map(str, case)))
        for case in itertools.product(
            [0, 1, 99, 100, 101, 250, 999, 1000, 1001, 8000, 10_000, 12_345],
            [1, 7, 100, 1000, 5000],
            [10, 1000],
            [1, 8],
            [None, "exact", "fewer", "more"],
        )
        if not (case[0] > 2000 and case[1] < 100)
    ],
)
def test_every_row_is_read_whatever_the_cap(total: int, cap: int, limit: int, width: int, expected: object) -> None:
    expect = {"exact": total, "fewer": total // 2, "more": total * 2 + 1, None: None}[expected]  # type: ignore[index]
    seen, _ = read_all(total, cap, limit=limit, width=width, expected=expect)
    assert seen == set(range(total))


def test_a_short_first_page_is_not_the_end() -> None:
    # The server silently returns 100 of the 1,000 asked: the listing goes on where the rows ended.
    seen, requests = read_all(250, cap=100)
    assert seen == set(range(250))
    # 0..7000 (100 rows, then empty pages); 100..800 and 900 at once (cap learnt: 100 + 50 rows, empty at
    # 300); a probe at 250, since the page at 200 was short: only an empty page proves the end.
    assert requests == 4


def test_an_expected_count_finds_the_end_in_the_first_request() -> None:
    _, requests = read_all(250, cap=1000, expected=250)
    assert requests == 1  # the page at 0, and a probe at 250 that comes back empty
    _, requests = read_all(10_000, cap=1000, expected=10_000)
    assert requests == 2  # 8 pages + the probe, then the last 2 pages
    _, requests = read_all(10_000, cap=1000)
    assert requests == 3  # 8 pages; then 16 at once, in 2 requests, which find the end


def test_a_large_listing_stays_within_its_floor() -> None:
    _, requests = read_all(50_000, cap=1000)
    assert requests <= math.ceil(50_000 / (1000 * 8)) + 4


def test_plan_is_empty_once_complete() -> None:
    pager = Pager(10, width=2)
    assert pager.plan() == [[0, 10]]
    pager.record([0, 10], [10, 0])
    assert pager.complete
    assert pager.plan() == []


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        Pager(0)
