"""The wire: JSON request bodies in; GraphQL answers, error bodies and deliberately cut replies out.

Responses are encoded with msgspec when it is installed (Airflow depends on it; it encodes a 500-work
answer about 9x faster than ``json.dumps``) and with Starlette's own ``json.dumps`` settings otherwise.
Both give the same compact UTF-8 JSON but for floats: an exponent may be spelled differently (``1e16``,
``1e+16``: the same value), and a non-finite float (``NaN``, which ``json.loads`` accepts in a request
and the store may echo back) is refused by Starlette but written ``null`` by msgspec. Once a request
body held one, every later answer is encoded as Starlette does, so such answers fail as they always did.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from graphql import GraphQLError
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

try:
    import msgspec
except ImportError:  # pragma: no cover - Airflow installs it
    msgspec = None  # type: ignore[assignment]

MEDIA_TYPE = "application/json"
_UVICORN_INCOMPLETE_RESPONSE = "ASGI callable returned without completing response."


class JsonWire:
    """Decodes request bodies and encodes answers; remembers whether a non-finite float came in."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder() if msgspec is not None else None
        self._decoder = msgspec.json.Decoder() if msgspec is not None else None
        self.non_finite_seen = False

    def loads(self, body: bytes) -> Any:
        """``json.loads``, noting ``NaN``/``Infinity`` literals; raises ValueError on bad JSON.

        msgspec decodes first (about twice as fast); whatever it refuses (``NaN``, a duplicate key's
        order…) is decoded again by ``json.loads``, whose answer or error stands.
        """
        if self._decoder is not None:
            try:
                return self._decoder.decode(body)
            except (msgspec.DecodeError, ValueError):
                pass
        return json.loads(body, parse_constant=self._non_finite)

    def _non_finite(self, literal: str) -> float:
        self.non_finite_seen = True
        return float(literal)

    def dumps(self, content: Any) -> bytes:
        """The body Starlette's ``JSONResponse`` would send for ``content``."""
        if self._encoder is not None and not self.non_finite_seen:
            try:
                return self._encoder.encode(content)
            except (TypeError, OverflowError, msgspec.EncodeError):
                pass
        return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode(
            "utf-8"
        )

    def response(self, content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
        """A JSON response, as ``JSONResponse(content, status_code, headers)`` builds it."""
        return Response(self.dumps(content), status_code=status_code, headers=headers, media_type=MEDIA_TYPE)

    def reset(self) -> None:
        self.non_finite_seen = False


def error_body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    """A GraphQL body with one error and no data (requests refused before execution)."""
    return {"errors": [{"message": message, "extensions": {"code": code, **extra}}]}


def format_error(error: GraphQLError, default_code: str) -> dict[str, Any]:
    """A GraphQL error as sent: graphql-core's format, with ``extensions.code`` always set."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", default_code)
    formatted["extensions"] = extensions
    return formatted


class _ExpectedDropFilter(logging.Filter):
    """Silences uvicorn's complaint about a response the emulator cut on purpose (and only those)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pending = 0

    def expect(self) -> None:
        with self._lock:
            self._pending += 1

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() != _UVICORN_INCOMPLETE_RESPONSE:
            return True
        with self._lock:
            if self._pending <= 0:
                return True
            self._pending -= 1
            return False


_drop_filter = _ExpectedDropFilter()
logging.getLogger("uvicorn.error").addFilter(_drop_filter)


class TruncatedResponse(Response):
    """Headers announcing the full body, half of it, then the connection closes (a "dropped" reply)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _drop_filter.expect()
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
