"""One error hierarchy for everything the Filed API (or the way to it) can answer.

Every error carries the GraphQL operation name and Filed's own message, never a token or API key.
``maybe_applied`` tells whether a write may have taken effect despite the error: the exactly-once
logic reads before it re-sends whenever that is true.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple


class FiledError(Exception):
    """Base of every error this provider raises about Filed."""

    code: str = "FILED_ERROR"
    retryable: bool = False
    maybe_applied: bool = False

    def __init__(self, message: str, *, operation: str | None = None, status_code: int | None = None):
        self.message = message
        self.operation = operation
        self.status_code = status_code
        prefix = f"Filed {operation}: " if operation else "Filed: "
        super().__init__(prefix + message)


class InputProblem(NamedTuple):
    """One bad value in the user's input: where it is (1-based row or file line, field) and why it is refused."""

    row: int | None
    field: str | None
    reason: str
    unit: str = "row"

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (f"{self.unit} {self.row}" if self.row else "", f"field {self.field!r}" if self.field else "")
            if p
        )
        return f"{where}: {self.reason}" if where else self.reason


class FiledInputError(FiledError, ValueError):
    """Input rejected locally, before any request is sent; lists every problem found (first 20 shown)."""

    code = "INVALID_INPUT"
    shown = 20

    def __init__(self, problems: Sequence[InputProblem] | str, *, source: str = "input", total: int | None = None):
        self.problems = [InputProblem(None, None, problems)] if isinstance(problems, str) else list(problems)
        self.total = max(total or 0, len(self.problems))
        lines = [str(p) for p in self.problems[: self.shown]]
        if self.total > self.shown:
            lines.append(f"... and {self.total - self.shown:,} more")
        super().__init__(f"invalid {source}, nothing was sent:\n  " + "\n  ".join(lines))


class FiledPartialImportError(FiledError):
    """A bulk write stopped part-way: says what did land, so nothing half-done goes unreported."""

    code = "PARTIAL_IMPORT"

    def __init__(self, message: str, *, done: int, total: int, cause: BaseException):
        self.done = done
        self.total = total
        self.cause = cause
        super().__init__(f"{message}: {done:,} of {total:,} done before {cause}; re-running creates only the rest")


class FiledConfigurationError(FiledError, ValueError):
    """The connection or client settings are unusable (missing API key, bad URL, plain http)."""

    code = "CONFIGURATION"


class FiledAuthError(FiledError):
    """``UNAUTHENTICATED``: missing, bad or expired token, or a rejected API key."""

    code = "UNAUTHENTICATED"


class FiledForbiddenError(FiledAuthError):
    """``FORBIDDEN``: authenticated, but not allowed to touch that object."""

    code = "FORBIDDEN"


class FiledNotFoundError(FiledError):
    """``NOT_FOUND``: an unknown id (workspace, connection, connection job, job work)."""

    code = "NOT_FOUND"


class FiledValidationError(FiledError):
    """``BAD_USER_INPUT``: Filed refused the input (too many inputs, a job that no longer accepts works...)."""

    code = "BAD_USER_INPUT"


class FiledConflictError(FiledError):
    """``CONFLICT``: these ``externalId`` values are already used."""

    code = "CONFLICT"

    def __init__(
        self,
        message: str,
        *,
        external_ids: Sequence[str] = (),
        operation: str | None = None,
        status_code: int | None = None,
    ):
        self.external_ids = list(external_ids)
        super().__init__(message, operation=operation, status_code=status_code)


class FiledRateLimitedError(FiledError):
    """HTTP 429: the request was refused before it was applied; retry after ``retry_after`` seconds."""

    code = "RATE_LIMITED"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class FiledServerError(FiledError):
    """HTTP 5xx or ``INTERNAL_SERVER_ERROR``: a write may or may not have been applied."""

    code = "INTERNAL_SERVER_ERROR"
    retryable = True
    maybe_applied = True


class FiledTransportError(FiledError):
    """No usable answer: connection refused, timeout, or the connection dropped mid-response."""

    code = "TRANSPORT"
    retryable = True

    def __init__(self, message: str, *, maybe_applied: bool, **kwargs: Any):
        self.maybe_applied = maybe_applied
        super().__init__(message, **kwargs)


class FiledResponseError(FiledError):
    """An answer that is not a GraphQL envelope this client understands."""

    code = "BAD_RESPONSE"


_BY_CODE: dict[str, type[FiledError]] = {
    cls.code: cls
    for cls in (
        FiledAuthError,
        FiledForbiddenError,
        FiledNotFoundError,
        FiledValidationError,
        FiledServerError,
    )
}


def error_from_graphql(
    error: Mapping[str, Any], *, operation: str | None, status_code: int | None = None
) -> FiledError:
    """Map one ``errors[]`` entry to its exception class by ``extensions.code``."""
    extensions = error.get("extensions") or {}
    code = str(extensions.get("code") or "")
    message = str(error.get("message") or code or "unknown error")
    if code == "CONFLICT":
        ids = [str(i) for i in extensions.get("externalIds") or []]
        return FiledConflictError(message, external_ids=ids, operation=operation, status_code=status_code)
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = FiledValidationError if code == "GRAPHQL_VALIDATION_FAILED" else FiledError
    return cls(message, operation=operation, status_code=status_code)
