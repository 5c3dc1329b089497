"""Pure HTTP/GraphQL plumbing shared by the sync and async clients: no I/O happens here.

Operations are generators that yield :class:`GraphQLRequest` and receive :class:`GraphQLResponse`;
each client only drives them (``drive`` / ``adrive``) over its own httpx transport, so the logic of
every operation, of login and of token refresh is written once.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx

from airflow_provider_filed.client.config import FiledClientConfig
from airflow_provider_filed.client.errors import (
    FiledAuthError,
    FiledError,
    FiledRateLimitedError,
    FiledResponseError,
    FiledServerError,
    FiledTransportError,
    error_from_graphql,
)

T = TypeVar("T")

_MUTATION = re.compile(r"^\s*(#[^\n]*\n\s*)*mutation\b")


@dataclass(frozen=True)
class GraphQLRequest:
    """One GraphQL call. ``idempotent`` is false for writes that must not be re-sent blind."""

    document: str = field(repr=False)
    variables: Mapping[str, Any] = field(repr=False)
    operation: str
    idempotent: bool = True
    authenticated: bool = True
    token: str | None = field(default=None, repr=False)

    @classmethod
    def for_document(cls, document: str, variables: Mapping[str, Any], operation: str) -> GraphQLRequest:
        """A request whose retry safety follows its kind: queries are safe, mutations are not."""
        return cls(document, variables, operation, idempotent=not _MUTATION.match(document))

    def with_token(self, token: str) -> GraphQLRequest:
        return replace(self, token=token)


@dataclass(frozen=True)
class GraphQLResponse:
    """A parsed envelope: ``data`` (possibly partial) and the raw ``errors`` entries."""

    operation: str
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]

    def first_error(self) -> FiledError | None:
        if not self.errors:
            return None
        return error_from_graphql(self.errors[0], operation=self.operation)

    def require(self, key: str) -> Any:
        """The value of root field ``key``; raise the mapped error if the call failed."""
        error = self.first_error()
        if error is not None:
            raise error
        if not self.data or key not in self.data:
            raise FiledResponseError(f"response has no {key!r}", operation=self.operation)
        return self.data[key]


Op = Generator[GraphQLRequest, GraphQLResponse, T]

LOGIN_DOCUMENT = """
mutation LoginViaPersonalApiToken($apiKey: String!) {
  loginViaPersonalApiToken(token: $apiKey) { accessToken }
}"""


def request_headers(config: FiledClientConfig, request: GraphQLRequest) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "source-platform": config.source_platform}
    if request.authenticated and request.token:
        headers["Authorization"] = f"Bearer {request.token}"
    return headers


def request_body(request: GraphQLRequest) -> bytes:
    return json.dumps({"query": request.document, "variables": dict(request.variables)}).encode()


def parse_retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def interpret_response(
    request: GraphQLRequest, status_code: int, headers: Mapping[str, str], body: bytes
) -> GraphQLResponse:
    """Turn an HTTP answer into a response, or raise the mapped error (429, 5xx, 401, junk)."""
    op = request.operation
    if status_code == 429:
        raise FiledRateLimitedError(
            "rate limited (HTTP 429)",
            retry_after=parse_retry_after(headers.get("retry-after")),
            operation=op,
            status_code=429,
        )
    if status_code >= 500:
        raise FiledServerError(f"server error (HTTP {status_code})", operation=op, status_code=status_code)
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        if status_code == 401:
            raise FiledAuthError("not authenticated (HTTP 401)", operation=op, status_code=401)
        raise FiledResponseError(f"not a GraphQL response (HTTP {status_code})", operation=op, status_code=status_code)
    errors = [e for e in payload.get("errors") or [] if isinstance(e, dict)]
    for error in errors:
        if (error.get("extensions") or {}).get("code") == "UNAUTHENTICATED" or status_code == 401:
            raise error_from_graphql(error, operation=op, status_code=status_code)
    if status_code >= 400 and not errors:
        raise FiledResponseError(f"unexpected HTTP {status_code}", operation=op, status_code=status_code)
    data = payload.get("data")
    return GraphQLResponse(operation=op, data=data if isinstance(data, dict) else None, errors=errors)


def transport_error(exc: httpx.HTTPError, operation: str) -> FiledTransportError:
    """Classify an httpx failure: was the request possibly received and applied?"""
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return FiledTransportError(
        f"{type(exc).__name__} talking to Filed", maybe_applied=not never_sent, operation=operation
    )


class TokenCache:
    """The current access token, shared by every thread of one client; logins happen lazily."""

    def __init__(self, on_new_token: Callable[[str], None] | None = None):
        self._token: str | None = None
        self._lock = threading.Lock()
        self._on_new_token = on_new_token

    @property
    def token(self) -> str | None:
        return self._token

    def store(self, token: str) -> None:
        if self._on_new_token is not None:
            self._on_new_token(token)
        with self._lock:
            self._token = token

    def discard(self, token: str) -> None:
        """Forget ``token`` unless another thread has already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None


def authorized(request: GraphQLRequest, tokens: TokenCache, api_key: str) -> Op[GraphQLResponse]:
    """Send ``request`` with a valid token: log in on first use, and once more if the token is refused.

    A token another thread stored meanwhile may be refused too (it can be as old as a long retry):
    the replay then goes on until a token this call logged in for itself has been tried (3 sends at most).
    """
    if not request.authenticated:
        return (yield request)
    for send in range(3):
        token = tokens.token
        relogged = False
        if token is None:
            login = GraphQLRequest(LOGIN_DOCUMENT, {"apiKey": api_key}, "loginViaPersonalApiToken", authenticated=False)
            token = str((yield login).require("loginViaPersonalApiToken")["accessToken"])
            tokens.store(token)
            relogged = send > 0
        try:
            return (yield request.with_token(token))
        except FiledAuthError as exc:
            if relogged or send == 2 or type(exc) is not FiledAuthError:
                raise
            tokens.discard(token)
    raise AssertionError("unreachable")


def drive(op: Op[T], send: Callable[[GraphQLRequest], GraphQLResponse]) -> T:
    """Run ``op`` to completion, answering each request it yields with ``send``."""
    try:
        request = next(op)
        while True:
            try:
                response = send(request)
            except FiledError as exc:
                request = op.throw(exc)
            else:
                request = op.send(response)
    except StopIteration as stop:
        return stop.value
