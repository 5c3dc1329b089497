"""``FiledHook``: the ``filed`` connection turned into settings and clients, and its test_connection()."""

from __future__ import annotations

import functools
import importlib

import pytest

from airflow_provider_filed.client import AsyncFiledClient, FiledClient, FiledConfigurationError, operations
from airflow_provider_filed.emulator.testing import EmulatorHandle
from airflow_provider_filed.get_provider_info import get_provider_info
from airflow_provider_filed.hooks.filed import FiledHook
from airflow_provider_filed.hooks.settings import FiledConnectionExtras
from tests.conftest import connect_to_emulator, set_connection

CONN_ID = "filed_hook_test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


set_conn = functools.partial(set_connection, conn_id=CONN_ID)
connect = functools.partial(connect_to_emulator, conn_id=CONN_ID)


def test_reads_filed_default(filed_connection: EmulatorHandle) -> None:
    hook = FiledHook()
    assert hook.filed_conn_id == "filed_default"
    settings = hook.settings
    assert settings.client.url == filed_connection.url
    assert settings.client.api_key.get_secret_value() == filed_connection.api_key
    assert settings.client.source_platform == "airflow-provider-filed-tests"
    assert (settings.workspace_id, settings.connection_id, settings.workspace_slug) == (
        filed_connection.workspace_id,
        filed_connection.connection_id,
        filed_connection.workspace_slug,
    )
    assert isinstance(hook.get_conn(), FiledClient)
    assert hook.get_conn() is hook.client  # one pooled client per hook
    target = hook.target("job_1")
    assert (target.workspace_id, target.connection_id) == (
        filed_connection.workspace_id,
        filed_connection.connection_id,
    )
    hook.close()


def test_the_client_talks_to_the_emulator_with_the_source_platform(filed_connection: EmulatorHandle) -> None:
    hook = FiledHook()
    try:
        assert hook.client.me().workspaces[0].id == filed_connection.workspace_id
    finally:
        hook.close()
    assert filed_connection.stats()["source_platforms"] == {"airflow-provider-filed-tests": 2}


def test_extras_given_as_strings_are_coerced(filed_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    connect(
        monkeypatch,
        filed_emulator,
        {
            "workspace_id": filed_emulator.workspace_id,
            "batch_size": "200",
            "max_concurrency": "2",
            "page_size": "250",
            "timeout": "12.5",
            "max_attempts": "2",
            "retry_max_total_time": "30",
            "retry_initial_wait": "0",
            "allow_insecure_http": "false",
            "success_statuses": "Completed, DONE",
            "failure_statuses": "failed,error",
            "app_url": "https://app.filed.example/",
        },
    )
    settings = FiledHook(CONN_ID).settings
    client = settings.client
    assert (client.batch_size, client.max_concurrency, client.page_size, client.timeout) == (200, 2, 250, 12.5)
    assert (client.retry.max_attempts, client.retry.max_total_time, client.retry.initial_wait) == (2, 30.0, 0.0)
    assert client.allow_insecure_http is False
    assert settings.statuses.success == frozenset({"completed", "done"})
    assert settings.statuses.failure == frozenset({"failed", "error"})
    assert settings.app_url == "https://app.filed.example"
    assert settings.connection_id is None


def test_defaults_when_only_the_key_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host=None, password="filed-some-api-key-0123456789", extra={})
    settings = FiledHook(CONN_ID).settings
    assert settings.client.url == "https://gateway.filed.com/graphql"
    assert settings.client.batch_size == 500
    assert settings.workspace_id is None
    with pytest.raises(FiledConfigurationError, match="workspace_id"):
        FiledHook(CONN_ID).target("job_1")


def test_test_connection_succeeds_against_the_emulator(filed_connection: EmulatorHandle) -> None:
    ok, message = FiledHook().test_connection()
    assert ok is True
    assert "partner1@partner.filed.emulator" in message


def test_test_connection_fails_with_a_bad_key(filed_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    bad_key = "filed-wrong-api-key-0123456789"
    set_conn(monkeypatch, host=filed_emulator.url, password=bad_key, extra={})
    ok, message = FiledHook(CONN_ID).test_connection()
    assert ok is False
    assert "invalid API key" in message
    assert bad_key not in message


@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        ({"workspace_id": "workspace_000000009999"}, "workspace 'workspace_000000009999' is not visible"),
        ({"connection_id": "connection_000000009999"}, "provider connection 'connection_000000009999' not found"),
    ],
)
def test_test_connection_fails_for_unknown_ids(
    filed_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, extra: dict[str, str], complaint: str
) -> None:
    connect(
        monkeypatch,
        filed_emulator,
        {"workspace_id": filed_emulator.workspace_id, "connection_id": filed_emulator.connection_id, **extra},
    )
    ok, message = FiledHook(CONN_ID).test_connection()
    assert ok is False
    assert complaint in message


def test_test_connection_reports_a_bad_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host="http://filed.example.com/graphql", password="filed-some-api-key-0123456789", extra={})
    ok, message = FiledHook(CONN_ID).test_connection()
    assert ok is False
    assert "allow_insecure_http" in message


def test_plain_http_to_a_remote_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "filed-some-api-key-0123456789"
    set_conn(monkeypatch, host="http://gateway.internal.example/graphql", password=key, extra={})
    with pytest.raises(FiledConfigurationError) as caught:
        _ = FiledHook(CONN_ID).settings
    message = str(caught.value)
    assert CONN_ID in message
    assert "refusing plain http:// to gateway.internal.example" in message
    assert "allow_insecure_http=true" in message
    assert key not in message


@pytest.mark.parametrize(
    "host", ["http://127.0.0.1:8080/graphql", "http://localhost/graphql", "http://[::1]:9/graphql"]
)
def test_plain_http_to_loopback_is_allowed(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    set_conn(monkeypatch, host=host, password="filed-some-api-key-0123456789", extra={})
    assert FiledHook(CONN_ID).settings.client.url == host


@pytest.mark.parametrize("flag", ["true", True, "True"])
def test_plain_http_can_be_allowed_explicitly(monkeypatch: pytest.MonkeyPatch, flag: object) -> None:
    host = "http://gateway.internal.example/graphql"
    set_conn(monkeypatch, host=host, password="filed-some-api-key-0123456789", extra={"allow_insecure_http": flag})
    settings = FiledHook(CONN_ID).settings
    assert settings.client.url == host
    assert settings.client.allow_insecure_http is True


def test_a_missing_api_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host="https://gateway.filed.com/graphql", password=None, extra={})
    with pytest.raises(FiledConfigurationError, match=f"connection '{CONN_ID}' has no API key"):
        _ = FiledHook(CONN_ID).settings


def test_a_blank_api_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host="https://gateway.filed.com/graphql", password="   ", extra={})
    with pytest.raises(FiledConfigurationError, match="no API key"):
        _ = FiledHook(CONN_ID).settings


def test_an_unknown_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host=None, password="filed-some-api-key-0123456789", extra={"batchsize": 10})
    with pytest.raises(FiledConfigurationError, match="extra batchsize") as caught:
        _ = FiledHook(CONN_ID).settings
    assert CONN_ID in str(caught.value)


def test_an_invalid_extra_value_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "filed-some-api-key-0123456789"
    set_conn(monkeypatch, host=None, password=key, extra={"batch_size": "lots"})
    with pytest.raises(FiledConfigurationError, match="extra batch_size") as caught:
        _ = FiledHook(CONN_ID).settings
    assert key not in str(caught.value)


def test_overlapping_status_sets_are_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(
        monkeypatch,
        host=None,
        password="filed-some-api-key-0123456789",
        extra={"success_statuses": "completed", "failure_statuses": "Completed"},
    )
    with pytest.raises(FiledConfigurationError, match="both success and failure"):
        _ = FiledHook(CONN_ID).settings


def test_the_connection_is_read_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", raising=False)
    hook = FiledHook(CONN_ID)  # no connection yet: building the hook must not read it
    set_conn(monkeypatch, host=None, password="filed-some-api-key-0123456789", extra={"batch_size": 7})
    assert hook.settings.client.batch_size == 7


@pytest.mark.anyio
async def test_async_client_inside_an_event_loop(filed_connection: EmulatorHandle) -> None:
    hook = FiledHook()
    client = await hook.get_async_client()
    try:
        assert isinstance(client, AsyncFiledClient)
        me = await client.run(operations.me([filed_connection.workspace_id]))
        assert [w.id for w in me.workspaces] == [filed_connection.workspace_id]
    finally:
        await client.aclose()
    assert (await hook.asettings()) is hook.settings  # resolved once, through the async lookup
    assert filed_connection.stats()["source_platforms"] == {"airflow-provider-filed-tests": 2}


@pytest.mark.anyio
async def test_async_settings_use_the_async_lookup(filed_connection: EmulatorHandle) -> None:
    hook = FiledHook()
    calls: list[str] = []
    original = hook.aget_connection

    async def spy(conn_id: str):  # type: ignore[no-untyped-def]
        calls.append(conn_id)
        return await original(conn_id)

    hook.aget_connection = spy  # type: ignore[method-assign]
    settings = await hook.asettings()
    assert calls == ["filed_default"]
    assert settings.workspace_id == filed_connection.workspace_id


def test_provider_info_declares_the_connection_form() -> None:
    (conn_type,) = get_provider_info()["connection-types"]
    assert conn_type["connection-type"] == FiledHook.conn_type == "filed"
    module, _, name = conn_type["hook-class-name"].rpartition(".")
    assert getattr(importlib.import_module(module), name) is FiledHook
    assert conn_type["hook-name"] == FiledHook.hook_name
    fields = conn_type["conn-fields"]
    assert set(fields) == set(FiledConnectionExtras.model_fields)  # every extra has its field in the form
    assert {"workspace_id", "connection_id", "workspace_slug", "source_platform", "batch_size", "timeout"} <= set(
        fields
    )
    for key, field in fields.items():
        assert field["label"], key
        assert field["description"], key
        default = field["schema"].get("default")
        if default is not None:  # the form's default is the hook's default
            model_default = FiledConnectionExtras.model_fields[key].get_default(call_default_factory=True)
            if isinstance(model_default, list):
                model_default = ",".join(model_default)
            assert default == model_default, key
    behaviour = conn_type["ui-field-behaviour"]
    assert behaviour["relabeling"]["password"] == "API key"
    assert "extra" in behaviour["hidden-fields"]


def test_the_default_connection_id() -> None:
    assert FiledHook.default_conn_name == "filed_default"
    assert FiledHook().filed_conn_id == "filed_default"


def test_a_page_size_above_filed_s_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    set_conn(monkeypatch, host=None, password="filed-some-api-key-0123456789", extra={"page_size": "1500"})
    with pytest.raises(FiledConfigurationError, match="extra page_size"):
        _ = FiledHook(CONN_ID).settings


@pytest.mark.anyio
async def test_every_access_token_is_registered_with_the_secrets_masker(
    filed_connection: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from airflow.sdk.log import redact

    from airflow_provider_filed.client import operations
    from airflow_provider_filed.client.transport import TokenCache

    tokens: list[str] = []
    store = TokenCache.store
    monkeypatch.setattr(TokenCache, "store", lambda self, token: (tokens.append(token), store(self, token))[1])
    filed_connection.configure(token_ttl_s=1.5)  # long enough that a loaded machine does not expire it twice
    hook = FiledHook()
    hook.client.me()  # first login
    time.sleep(1.6)
    hook.client.me()  # the token expired: a second login
    async with await hook.get_async_client() as client:  # the trigger's client logs in on its own
        await client.run(operations.me())

    assert len(set(tokens)) == 3
    for token in tokens:
        assert redact(f"Bearer {token}") == "Bearer ***", "a token the masker does not know could reach a log"
