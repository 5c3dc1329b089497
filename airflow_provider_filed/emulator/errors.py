"""The error codes of the contract and the exception resolvers raise to produce them."""

from __future__ import annotations

from typing import Any

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
BAD_USER_INPUT = "BAD_USER_INPUT"
CONFLICT = "CONFLICT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_REQUEST = "BAD_REQUEST"


class ApiError(Exception):
    """A contract error; graphql-core copies ``extensions`` (with ``code``) into the response."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": code, **extra}

    @property
    def code(self) -> str:
        return str(self.extensions["code"])


def not_found(kind: str, ident: str) -> ApiError:
    """The error for an id that does not exist or belongs to another partner."""
    return ApiError(NOT_FOUND, f"{kind} {ident!r} not found")


def bad_input(message: str, **extra: Any) -> ApiError:
    """A validation failure of the caller's input."""
    return ApiError(BAD_USER_INPUT, message, **extra)
