"""Neither the API key nor any access token reaches a log line, the console, an error or a repr."""

from __future__ import annotations

import logging

import pytest

from airflow_provider_filed.client import (
    ArtifactsImport,
    FiledAuthError,
    FiledClient,
    FiledConfigurationError,
    FiledError,
    JobWorksImport,
    load_config,
)
from airflow_provider_filed.client.models import CreateJobWorkArtifactsInput, CreateJobWorksInput
from airflow_provider_filed.client.transport import LOGIN_DOCUMENT, GraphQLRequest
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import PATIENT_RETRY, make_config, new_job, wait_until_tokens_expired


def leaked(secrets: list[str], *texts: str) -> list[str]:
    blob = "\n".join(texts)
    return [s[:4] + "…" for s in secrets if s in blob]  # never print a whole secret, even in a failure


def test_a_faulty_run_logs_no_key_and_no_token(
    filed_emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: the client, httpx, httpcore, the emulator
    tokens: list[str] = []
    filed_emulator.configure(token_ttl_s=1.0)
    config = make_config(filed_emulator, retry=PATIENT_RETRY, batch_size=25, max_concurrency=4)
    with FiledClient(config, on_new_token=tokens.append) as client:
        target = new_job(client, filed_emulator)
        filed_emulator.configure(
            error_rate=0.2, rate_limit_rate=0.1, retry_after_s=0.01, commit_then_fail_rate=0.2, seed=2
        )
        works = [CreateJobWorksInput(name=f"Client {i}", external_id=f"client-{i:04d}") for i in range(300)]
        JobWorksImport(client, target).run(works)
        filed_emulator.configure(commit_then_fail_mode="drop")
        ArtifactsImport(client, target).run(
            {
                w.external_id: [
                    CreateJobWorkArtifactsInput(
                        name="w2.pdf", type="w2", url="https://files.example.com/w2.pdf", external_id="w2"
                    )
                ]
                for w in works
            }
        )
        # Let the token expire and call again: the refused token and the re-login are on logged paths too.
        wait_until_tokens_expired(filed_emulator)
        client.me()
    filed_emulator.configure(token_ttl_s=0)
    with (
        FiledClient(make_config(filed_emulator, retry=PATIENT_RETRY), on_new_token=tokens.append) as expired,
        pytest.raises(FiledAuthError) as refused,
    ):
        expired.me()
    errors = [refused.value]
    with (
        FiledClient(
            make_config(filed_emulator, api_key="filed-wrong-key-abcdefghijklmnop", retry=PATIENT_RETRY)
        ) as bad,
        pytest.raises(FiledAuthError) as bad_key,
    ):
        bad.me()
    errors.append(bad_key.value)

    stats = filed_emulator.stats()
    assert stats["works_per_job"] == {target.connection_job_id: 300}
    assert sum(stats["faults_injected"].values()) > 0
    assert len(tokens) >= 4  # first login, re-login after expiry, and the two refused ones
    assert all(len(t) >= 16 for t in tokens)
    out, err = capfd.readouterr()
    log_text = caplog.text
    # The scan saw the run: debug lines of every request, and the retries' warnings.
    assert "Filed createJobWorks: HTTP 200" in log_text
    assert "Retrying after" in log_text
    secrets = [filed_emulator.api_key, "filed-wrong-key-abcdefghijklmnop", *tokens]
    record_args = [repr(r.args) for r in caplog.records]
    assert leaked(secrets, out, err, log_text, *record_args) == []
    assert leaked(secrets, *(str(e) for e in errors), *(repr(e) for e in errors)) == []


def test_config_and_requests_do_not_show_the_key(filed_emulator: EmulatorHandle) -> None:
    config = make_config(filed_emulator)
    key = filed_emulator.api_key
    assert key not in str(config)
    assert key not in repr(config)
    assert key not in repr(config.model_dump())
    login = GraphQLRequest(LOGIN_DOCUMENT, {"apiKey": key}, "loginViaPersonalApiToken", authenticated=False)
    assert key not in repr(login.with_token("secret-token-value-123456"))
    assert "secret-token-value-123456" not in repr(login.with_token("secret-token-value-123456"))


@pytest.mark.parametrize(
    "overrides",
    [
        {"url": "http://filed.example.com/graphql"},
        {"url": "ftp://filed.example.com/graphql"},
        {"timeout": -1},
        {"batch_size": "many"},
    ],
)
def test_configuration_errors_do_not_echo_the_key(filed_emulator: EmulatorHandle, overrides: dict[str, object]) -> None:
    key = filed_emulator.api_key
    with pytest.raises(FiledConfigurationError) as caught:
        load_config(**{"url": filed_emulator.url, "api_key": key, **overrides})
    assert key not in str(caught.value)
    assert key not in repr(caught.value)
    assert caught.value.__cause__ is None
    assert isinstance(caught.value, FiledError)


@pytest.mark.anyio
async def test_the_async_client_never_logs_a_token(
    filed_emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the hook's masking (a plain client), the async path's own logs must hold no token."""
    from airflow_provider_filed.client import AsyncFiledClient, operations

    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []
    filed_emulator.configure(token_ttl_s=0.2, error_rate=0.3, seed=5)
    config = make_config(filed_emulator, retry=PATIENT_RETRY)
    async with AsyncFiledClient(config, on_new_token=tokens.append) as client:
        await client.run(operations.me())
        wait_until_tokens_expired(filed_emulator)
        await client.run(operations.me())

    assert len(tokens) >= 2
    assert "Filed me: HTTP 200" in caplog.text  # the scan saw the debug lines
    records = [repr(r.__dict__) for r in caplog.records]
    assert leaked(tokens, caplog.text, *records) == []
