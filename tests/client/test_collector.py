"""Garbage collection paused in pure steps: validating rows, parsing a response, stepping an operation."""

from __future__ import annotations

import gc
import threading
from collections.abc import Generator
from typing import Any

import httpx
import pytest

from airflow_provider_filed.client import transport
from airflow_provider_filed.client.collector import collector_paused
from airflow_provider_filed.client.transport import GraphQLRequest, GraphQLResponse, Stepper


@pytest.fixture(autouse=True)
def _collector_on_before_and_after() -> Any:
    assert gc.isenabled()
    yield
    assert gc.isenabled(), "a pause left the garbage collector off"


def test_a_response_is_parsed_and_an_operation_stepped_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, bool] = {}
    interpret = transport.interpret_response

    def parsing(*args: Any) -> GraphQLResponse:
        seen["parsing"] = gc.isenabled()
        return interpret(*args)

    monkeypatch.setattr(transport, "interpret_response", parsing)

    def op() -> Generator[GraphQLRequest, GraphQLResponse, int]:
        seen["asking"] = gc.isenabled()
        answer = yield GraphQLRequest("query { me { id } }", {}, "me")
        seen["tallying"] = gc.isenabled()
        return len(answer.data or {})

    step = Stepper(op())
    request = step.ask
    assert isinstance(request, GraphQLRequest)
    response = transport.answer_of(request, httpx.Response(200, json={"data": {"me": {"id": "u"}}}), 0.0)
    step.answer(response)
    assert (step.done, step.result) == (True, 1)
    assert seen == {"asking": False, "parsing": False, "tallying": False}


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused.held():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_threads_validating_at_once_share_one_pause() -> None:
    inside, release = threading.Barrier(2), threading.Event()
    states: list[bool] = []

    @collector_paused
    def first() -> None:
        inside.wait()
        release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    with collector_paused.held():
        inside.wait()
        release.set()
        thread.join(5)
        states.append(gc.isenabled())  # the other thread's pause ended; this one still holds
    states.append(gc.isenabled())
    assert states == [False, True]
