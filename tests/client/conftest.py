"""Fixtures for the client tests: a client bound to the per-test emulator, and the anyio backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_filed.client import FiledClient
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import make_config


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def client(filed_emulator: EmulatorHandle) -> Iterator[FiledClient]:
    with FiledClient(make_config(filed_emulator)) as c:
        yield c
