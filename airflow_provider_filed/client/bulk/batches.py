"""Batches of a bulk write, run with bounded threads; a stop part-way is reported with what landed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from pydantic import BaseModel, Field
from typing_extensions import Self

from airflow_provider_filed.client.errors import FiledError, FiledPartialImportError

T = TypeVar("T")
R = TypeVar("R")


class ImportResult(BaseModel):
    """What a bulk import reports (JSON-safe): its connection job, how many inputs it had, how many it created."""

    connection_job_id: str
    total: int
    created: int
    already_present: int = Field(default=0, description="already in this connection job (an earlier attempt)")

    @classmethod
    def empty(cls, connection_job_id: str) -> Self:
        """The result of a batch with nothing in it."""
        return cls(connection_job_id=connection_job_id, total=0, created=0)


def batched(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_batches(
    work: Callable[[T], R], batches: Sequence[T], *, max_concurrency: int, on_done: Callable[[R], None]
) -> None:
    """Run ``work`` over ``batches`` with bounded threads; on the first error, start no more and re-raise it."""
    if max_concurrency <= 1 or len(batches) <= 1:
        for batch in batches:
            on_done(work(batch))
        return
    with ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="filed-bulk") as pool:
        pending: set[Future[R]] = {pool.submit(work, b) for b in batches}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            failed = next((f for f in finished if f.exception() is not None), None)
            for future in finished:
                if future.exception() is None:
                    on_done(future.result())
            if failed is not None:
                for future in pending:
                    future.cancel()
                for future in wait(pending).done:
                    if not future.cancelled() and future.exception() is None:
                        on_done(future.result())
                raise failed.exception()  # type: ignore[misc]


def run_reported(
    work: Callable[[T], R],
    batches: Sequence[T],
    *,
    max_concurrency: int,
    on_done: Callable[[R], None],
    done: Callable[[], int],
    total: int,
    what: str,
) -> None:
    """:func:`run_batches`; an error after something landed is a :class:`FiledPartialImportError` saying how much."""
    before = done()
    try:
        run_batches(work, batches, max_concurrency=max_concurrency, on_done=on_done)
    except FiledError as exc:
        if done() == before:
            raise
        raise FiledPartialImportError(f"{what} stopped", done=done(), total=total, cause=exc) from exc
