"""Offset/limit paging over lists that carry no total: a short page is the last page."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Pager:
    """Where the next page starts; ``advance`` says whether there is one."""

    limit: int
    offset: int = 0

    def advance(self, page_length: int) -> bool:
        self.offset += page_length
        return page_length >= self.limit
