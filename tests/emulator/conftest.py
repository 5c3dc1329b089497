"""Emulator-local fixtures: a small GraphQL caller bound to the per-test emulator."""

from __future__ import annotations

import pytest

from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.emulator.gateway import Gateway


@pytest.fixture
def gateway(filed_emulator: EmulatorHandle) -> Gateway:
    """A logged-in caller of the freshly reset emulator."""
    return Gateway(filed_emulator, filed_emulator.login())


@pytest.fixture
def anonymous(filed_emulator: EmulatorHandle) -> Gateway:
    """A caller without an access token."""
    return Gateway(filed_emulator, None)


@pytest.fixture
def fast_processing(filed_emulator: EmulatorHandle) -> float:
    """Triggered jobs finish after 0.2 s (reset by the fixture afterwards)."""
    filed_emulator.configure(processing_time_s=0.2)
    return 0.2
