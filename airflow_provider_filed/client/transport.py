"""Pure HTTP/GraphQL plumbing shared by the sync and async clients: no I/O happens here.

Operations are generators that yield :class:`GraphQLRequest` and receive :class:`GraphQLResponse`;
each client only drives them (``drive`` / ``adrive``) over its own httpx transport, so the logic of
every operation, of login and of token refresh is written once.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import httpx
import pydantic_core

from airflow_provider_filed.client.collector import collector_paused
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
log = logging.getLogger(__name__)

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
    #: For a login: the token generation the caller saw; a newer token makes the login unnecessary.
    login_after: int | None = None

    @classmethod
    def for_document(cls, document: str, variables: Mapping[str, Any], operation: str) -> GraphQLRequest:
        """A request whose retry safety follows its kind: queries are safe, mutations are not."""
        return cls(document, variables, operation, idempotent=not _MUTATION.match(document))

    def with_token(self, token: str) -> GraphQLRequest:
        return replace(self, token=token)


class Fanout(tuple[GraphQLRequest, ...]):
    """Requests an operation wants sent concurrently; it receives their responses as a tuple, in order."""


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


Ask = GraphQLRequest | Fanout
Answer = GraphQLResponse | tuple[GraphQLResponse, ...]
Op = Generator[Ask, Any, T]
"""An operation: yields requests (or a :class:`Fanout`), receives the answers, returns its result."""

LOGIN_FIELD = "loginViaPersonalApiToken"
LOGIN_DOCUMENT = """
mutation LoginViaPersonalApiToken($apiKey: String!) {
  loginViaPersonalApiToken(token: $apiKey) { accessToken }
}"""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verified TLS context per process: loading the CA bundle costs 30-50 ms of CPU per client."""
    return httpx.create_ssl_context()


def http_options(config: FiledClientConfig) -> dict[str, Any]:
    """Timeouts, pool limits, TLS, and proxies: a plain-http loopback URL never goes through an env proxy."""
    pool = config.max_concurrency + 2
    return {
        "timeout": httpx.Timeout(config.timeout, connect=config.connect_timeout),
        "limits": httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
        "verify": tls_context(),
        "trust_env": not config.direct_only,
    }


def post_arguments(config: FiledClientConfig, request: GraphQLRequest) -> dict[str, Any]:
    """What ``httpx`` is asked to POST for ``request``."""
    return {"url": config.url, "content": request_body(request), "headers": request_headers(config, request)}


@collector_paused
def answer_of(request: GraphQLRequest, response: httpx.Response, started: float) -> GraphQLResponse:
    """The response to ``request`` (logged with its timing), or the mapped error."""
    log.debug("Filed %s: HTTP %d in %.3fs", request.operation, response.status_code, time.monotonic() - started)
    return interpret_response(request, response.status_code, response.headers, response.content)


def request_headers(config: FiledClientConfig, request: GraphQLRequest) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "source-platform": config.source_platform}
    if request.authenticated and request.token:
        headers["Authorization"] = f"Bearer {request.token}"
    return headers


def request_body(request: GraphQLRequest) -> bytes:
    """The JSON body; input models among the variables are written in the API's names, unset optionals left out."""
    return pydantic_core.to_json(
        {"query": request.document, "variables": request.variables}, by_alias=True, exclude_none=True
    )


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
    """The current access token, shared by every thread of one client; logins happen lazily, one at a time."""

    def __init__(self, on_new_token: Callable[[str], None] | None = None):
        self._token: str | None = None
        self._generation = 0
        self._lock = threading.Lock()
        self._on_new_token = on_new_token

    @property
    def token(self) -> str | None:
        return self._token

    @property
    def generation(self) -> int:
        """How many tokens were stored so far: a login asked at generation ``g`` is moot once it is higher."""
        return self._generation

    def store(self, token: str) -> None:
        if token == self._token:
            return
        if self._on_new_token is not None:
            self._on_new_token(token)
        with self._lock:
            self._token = token
            self._generation += 1

    def discard(self, token: str) -> None:
        """Forget ``token`` unless another thread has already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def fresher_than(self, login: GraphQLRequest) -> GraphQLResponse | None:
        """A token stored since ``login`` was asked (another caller logged in meanwhile), as a login answer."""
        token = self._token
        if login.login_after is None or token is None or self._generation <= login.login_after:
            return None
        return GraphQLResponse(login.operation, {LOGIN_FIELD: {"accessToken": token}}, [])

    def remember(self, login: GraphQLResponse) -> GraphQLResponse:
        """Store the token of a successful login answer (under the caller's login lock) and pass it on."""
        if not login.errors and login.data and isinstance(login.data.get(LOGIN_FIELD), dict):
            self.store(str(login.data[LOGIN_FIELD]["accessToken"]))
        return login


def login_request(api_key: str, tokens: TokenCache) -> GraphQLRequest:
    """The login mutation; drivers send one at a time and skip it when another caller just logged in."""
    return GraphQLRequest(
        LOGIN_DOCUMENT, {"apiKey": api_key}, LOGIN_FIELD, authenticated=False, login_after=tokens.generation
    )


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
            token = str((yield login_request(api_key, tokens)).require(LOGIN_FIELD)["accessToken"])
            tokens.store(token)
            relogged = send > 0
        try:
            return (yield request.with_token(token))
        except FiledAuthError as exc:
            if relogged or send == 2 or type(exc) is not FiledAuthError:
                raise
            tokens.discard(token)
    raise AssertionError("unreachable")


class ClientCore:
    """What the sync and async clients share: the settings, and the access token of every caller."""

    def __init__(self, config: FiledClientConfig, *, on_new_token: Callable[[str], None] | None = None):
        self.config = config
        self._tokens = TokenCache(on_new_token)

    def _authorized(self, request: GraphQLRequest) -> Op[GraphQLResponse]:
        return authorized(request, self._tokens, self.config.api_key.get_secret_value())


class Stepper(Generic[T]):
    """Runs an operation one step at a time: what it asks next, fed with answers or errors, then its result.

    The sync and async drivers share it, so only their waiting differs.
    """

    def __init__(self, op: Op[T]):
        self._op = op
        self.done = False
        self.result: T | None = None
        self.ask: Ask | None = None
        self._step(lambda: next(op))

    @collector_paused
    def _step(self, advance: Callable[[], Ask]) -> None:
        try:
            self.ask = advance()
        except StopIteration as stop:
            self.done, self.result, self.ask = True, stop.value, None

    def answer(self, answer: Answer) -> None:
        self._step(lambda: self._op.send(answer))

    def fail(self, error: FiledError) -> None:
        self._step(lambda: self._op.throw(error))


def drive(op: Op[T], send: Callable[[GraphQLRequest], GraphQLResponse], fanout: Callable[[Fanout], Answer]) -> T:
    """Run ``op`` to completion, answering each request with ``send`` and each :class:`Fanout` with ``fanout``."""
    step = Stepper(op)
    while not step.done:
        ask = step.ask
        try:
            answer = fanout(ask) if isinstance(ask, Fanout) else send(ask)  # type: ignore[arg-type]
        except FiledError as exc:
            step.fail(exc)
        else:
            step.answer(answer)
    return step.result  # type: ignore[return-value]
