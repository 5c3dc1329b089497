"""Offset/limit paging over lists that carry no total, planned so that a listing cannot end early.

Filed documents no page cap, no total and no stable sort. A page shorter than asked may be the
server's silent cap, so it never ends a listing: only an empty page does (every offset before it
read), and the next page starts where the last one's rows actually ended. An expected count adds a
probe page at that offset to the first request, which usually finds the end in the same round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Pager:
    """Plans the offsets of the next page reads and records how many rows each one returned.

    ``limit`` is what each page asks for; once rows turn up past the end of a short page (proof of a
    server cap, not of the list's end), it drops to that page's length, so pages stay contiguous.
    ``width`` pages travel in one request (aliases).
    """

    limit: int
    width: int = 1
    expected: int | None = None
    end: int | None = None
    _covered: list[tuple[int, int]] = field(default_factory=list)
    _short: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.width < 1:
            raise ValueError("limit and width must be >= 1")

    @property
    def complete(self) -> bool:
        """Every row before an empty page has been read."""
        return self.end is not None and self.first_gap() >= self.end

    def first_gap(self) -> int:
        """The smallest offset not read yet."""
        gap = 0
        for start, stop in self._covered:
            if start > gap:
                break
            gap = max(gap, stop)
        return gap

    def _next_unread(self, offset: int) -> int:
        for start, stop in self._covered:
            if start <= offset < stop:
                offset = stop
        return offset

    def plan(self, requests: int = 1) -> list[list[int]]:
        """Offsets for up to ``requests`` requests of ``width`` pages each; empty when complete.

        While the end is unknown, pages stop at ``expected`` and a probe page is read there.
        """
        if self.complete:
            return []
        probe = self.end is None and self.expected is not None and self._next_unread(self.expected) == self.expected
        stop = self.end if self.end is not None else self.expected if probe else None
        offsets: list[int] = []
        offset = self.first_gap()
        while len(offsets) < requests * self.width and (stop is None or offset < stop):
            offsets.append(offset)
            offset = self._next_unread(offset + self.limit)
        if probe and self.expected is not None and (offset >= self.expected or not offsets):
            offsets.append(self.expected)
        groups = [offsets[i : i + self.width] for i in range(0, len(offsets), self.width)]
        if len(groups) > requests:  # the probe rides with the last request
            groups[-2].extend(groups.pop())
        return groups

    def record(self, offsets: list[int], lengths: list[int]) -> None:
        """What the pages at ``offsets`` returned; lowers ``limit`` to a cap the server revealed."""
        for offset, length in zip(offsets, lengths, strict=True):
            if length == 0:
                self.end = offset if self.end is None else min(self.end, offset)
            else:
                self._cover(offset, offset + length)
                if length < self.limit:
                    self._short.append((offset, length))
        capped = [n for offset, n in self._short if any(start >= offset + n for start, _ in self._covered)]
        if capped:
            self.limit = min(self.limit, max(capped))

    def _cover(self, start: int, stop: int) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted([*self._covered, (start, stop)]):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self._covered = merged


@dataclass(frozen=True)
class Paging:
    """How listings read: rows per page, pages per request, requests in flight, and an optional ``sortBy``.

    ``sort_by`` is the caller's JSON, sent as Filed's ``SortBy`` input only when set: Filed does not
    document its fields, and correctness never depends on row order (rows are counted by distinct id).
    """

    page_size: int = 1000
    pages_per_request: int = 8
    max_concurrency: int = 4
    sort_by: Mapping[str, Any] | None = None
