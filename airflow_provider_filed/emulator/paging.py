"""Offset/limit windows with a stable order: createdAt then id, ids sorting in creation order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from airflow_provider_filed.emulator.errors import bad_input

SORT_FIELDS = ("createdAt", "updatedAt", "id")


class Sortable(Protocol):
    """A record that can be paged: a creation sequence number and a last-change time."""

    @property
    def seq(self) -> int: ...

    @property
    def updatedAt(self) -> float: ...


T = TypeVar("T", bound=Sortable)


@dataclass(frozen=True, slots=True)
class Page:
    """A validated request for one page."""

    offset: int
    limit: int
    field: str
    descending: bool


def page_from_args(
    offset: int | None,
    limit: int | None,
    sort_by: Mapping[str, Any] | None,
    *,
    default_limit: int,
    max_limit: int,
    page_cap: int | None = None,
) -> Page:
    """Validate paging arguments; a ``limit`` above ``max_limit`` (or the silent ``page_cap``) is clamped."""
    start = 0 if offset is None else offset
    if start < 0:
        raise bad_input(f"offset must be >= 0, got {start}")
    size = default_limit if limit is None else limit
    if size < 0:
        raise bad_input(f"limit must be >= 0, got {size}")
    field, descending = "createdAt", False
    if sort_by:
        field = str(sort_by.get("field"))
        if field not in SORT_FIELDS:
            raise bad_input(f"cannot sort by {field!r}; sortable fields: {', '.join(SORT_FIELDS)}", field=field)
        descending = sort_by.get("direction") == "DESC"
    cap = max_limit if page_cap is None else min(max_limit, page_cap)
    return Page(offset=start, limit=min(size, cap), field=field, descending=descending)


def window(items: Sequence[T], page: Page) -> list[T]:
    """The requested slice of ``items``, which must be in creation order (createdAt, then id)."""
    if page.field == "updatedAt":
        ordered = sorted(items, key=lambda item: (item.updatedAt, item.seq), reverse=page.descending)
        return ordered[page.offset : page.offset + page.limit]
    if not page.descending:
        return list(items[page.offset : page.offset + page.limit])
    end = len(items) - page.offset
    if end <= 0:
        return []
    return list(reversed(items[max(0, end - page.limit) : end]))


def in_creation_order(items: Sequence[T]) -> list[T]:
    """Merge records gathered from several indexes back into creation order."""
    return sorted(items, key=lambda item: item.seq)
