"""JSON on the wire: the emulator's encoder sends what Starlette's JSONResponse would send."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from starlette.responses import JSONResponse

from airflow_provider_filed.emulator.wire import JsonWire

CONTENT: list[Any] = [
    {"data": {"createJobWorks": [{"id": "job_work_000000000001", "work": {"externalId": "é-ü ✓ \u2028"}}]}},
    {"data": None, "errors": [{"message": 'bad "quote" \\ \n', "path": ["a0", 3], "extensions": {"code": "X"}}]},
    {"data": {"metadata": {"n": -3, "big": 2**70, "ratio": 0.25, "flags": [True, False, None]}}},
]


@pytest.mark.parametrize("content", CONTENT)
def test_answers_are_encoded_as_starlette_encodes_them(content: Any) -> None:
    response = JsonWire().response(content, status_code=201, headers={"Retry-After": "2"})
    expected = JSONResponse(content, status_code=201, headers={"Retry-After": "2"})
    assert response.body == expected.body
    assert response.status_code == 201
    assert response.headers["content-type"] == expected.headers["content-type"]
    assert response.headers["retry-after"] == "2"


def test_floats_may_be_spelled_differently_but_mean_the_same() -> None:
    content = {"e": 1e16, "small": 1.5e-7}
    assert JsonWire().loads(JsonWire().dumps(content)) == content


def test_a_non_finite_float_is_refused_as_starlette_refuses_it_until_reset() -> None:
    wire = JsonWire()
    assert wire.loads(b'{"metadata": NaN}')["metadata"] != wire.loads(b'{"metadata": NaN}')["metadata"]
    with pytest.raises(ValueError, match="Out of range float values"):
        wire.dumps({"metadata": float("nan")})
    wire.reset()
    assert wire.dumps({"ok": 1}) == b'{"ok":1}'


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ me { id } }", "variables": {"x": NaN}}',
        b'{"x": 1e400, "s": "\\ud800"}',
        '{"x": [1, 2.5, "é"]}'.encode("utf-16"),
        b'{"a": 1, "a": 2, "big": 123456789012345678901234567890}',
    ],
)
def test_request_bodies_decode_as_json_loads_decodes_them(body: bytes) -> None:
    def same(a: Any, b: Any) -> bool:
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        if isinstance(a, dict):
            return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        return type(a) is type(b) and a == b

    assert same(JsonWire().loads(body), json.loads(body))


@pytest.mark.parametrize(
    ("body", "error"),
    [(b'{"a": 1', json.JSONDecodeError), (b"\xff", UnicodeDecodeError), (b"", json.JSONDecodeError)],
)
def test_a_body_json_loads_refuses_is_refused_with_its_error(body: bytes, error: type[ValueError]) -> None:
    with pytest.raises(error):
        JsonWire().loads(body)
