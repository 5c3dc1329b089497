"""Client settings: plain http:// only where the API key cannot leave the machine in clear."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from airflow_provider_filed.client import FiledClient, FiledConfigurationError
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import make_config


@pytest.fixture
def http_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """A listening "proxy" in the environment that records what reaches it (and never answers)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    received: list[bytes] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    received.append(conn.recv(65536))
                except OSError:
                    received.append(b"")

    threading.Thread(target=accept, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.getsockname()[1]}"
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield received
    server.close()


def test_plain_http_to_loopback_never_goes_through_a_proxy(
    filed_emulator: EmulatorHandle, http_proxy: list[bytes]
) -> None:
    with FiledClient(make_config(filed_emulator)) as client:
        assert client.me().id
    assert http_proxy == []  # the login carried the API key: not one byte of it reached the proxy
    assert filed_emulator.stats()["logins"] == 1


def test_errors_say_each_thing_once(filed_emulator: EmulatorHandle) -> None:
    with pytest.raises(FiledConfigurationError) as caught:
        make_config(filed_emulator, url="http://filed.example.com/graphql")
    message = str(caught.value)
    assert message.count("Filed") == 1
    assert "refusing plain http:// to filed.example.com" in message
