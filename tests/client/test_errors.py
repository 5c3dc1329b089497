"""Each failure Filed can answer maps to one class of the error hierarchy, and no user error is retried."""

from __future__ import annotations

import pytest

from airflow_provider_filed.client import (
    FiledAuthError,
    FiledClient,
    FiledConflictError,
    FiledError,
    FiledNotFoundError,
    FiledRateLimitedError,
    FiledServerError,
    FiledValidationError,
)
from airflow_provider_filed.client.errors import FiledForbiddenError, error_from_graphql
from airflow_provider_filed.client.models import CreateJobWorksInput
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import make_config, new_job, requests_of


def works(*external_ids: str) -> list[CreateJobWorksInput]:
    return [CreateJobWorksInput(name=f"Client {e}", external_id=e) for e in external_ids]


def test_bad_api_key_is_an_auth_error_and_is_not_retried(filed_emulator: EmulatorHandle) -> None:
    config = make_config(filed_emulator, api_key="filed-not-a-real-key-9876543210")
    with FiledClient(config) as client, pytest.raises(FiledAuthError) as caught:
        client.me()
    assert type(caught.value) is FiledAuthError
    assert caught.value.operation == "loginViaPersonalApiToken"
    assert caught.value.status_code == 401
    assert "invalid API key" in str(caught.value)
    stats = filed_emulator.stats()
    assert stats["total_requests"] == 1
    assert stats["requests"] == {"loginViaPersonalApiToken": {"401": 1}}


def test_a_token_refused_twice_is_an_auth_error_after_one_relogin(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(token_ttl_s=0)  # every token is expired on arrival
    with FiledClient(make_config(filed_emulator)) as client, pytest.raises(FiledAuthError) as caught:
        client.me()
    assert caught.value.operation == "me"
    assert "expired" in caught.value.message
    stats = filed_emulator.stats()
    assert stats["logins"] == 2
    assert stats["requests"]["me"] == {"401": 2}


def test_not_found(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    with pytest.raises(FiledNotFoundError) as caught:
        client.create_connection_job("connection_000000009999", "nope")
    assert caught.value.operation == "createConnectionJob"
    assert "connection_000000009999" in str(caught.value)
    assert requests_of(filed_emulator.stats(), "createConnectionJob") == 1


def test_unknown_workspace_in_a_read_is_not_found(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    with pytest.raises(FiledNotFoundError, match="workspace_unknown"):
        client.job_works("workspace_unknown", filed_emulator.connection_id)
    with pytest.raises(FiledNotFoundError, match="connection_unknown"):
        client.job_works(filed_emulator.workspace_id, "connection_unknown")


def test_too_many_inputs_is_a_validation_error(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(max_inputs_per_request=3)
    target = new_job(client, filed_emulator)
    with pytest.raises(FiledValidationError, match="too many inputs") as caught:
        client.create_job_works(target.connection_job_id, works("a", "b", "c", "d"))
    assert caught.value.operation == "createJobWorks"
    stats = filed_emulator.stats()
    assert requests_of(stats, "createJobWorks") == 1
    assert stats["works_per_job"] == {target.connection_job_id: 0}


def test_a_triggered_job_refuses_works_and_a_second_trigger(
    client: FiledClient, filed_emulator: EmulatorHandle
) -> None:
    target = new_job(client, filed_emulator)
    client.create_job_works(target.connection_job_id, works("a"))
    client.trigger_connection_job(target.connection_job_id)
    with pytest.raises(FiledValidationError, match="already triggered"):
        client.trigger_connection_job(target.connection_job_id)
    with pytest.raises(FiledValidationError, match="no longer accepts works"):
        client.create_job_works(target.connection_job_id, works("b"))
    stats = filed_emulator.stats()
    assert requests_of(stats, "triggerConnectionJob") == 2
    assert requests_of(stats, "createJobWorks") == 2


def test_conflict_carries_the_external_ids(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    target = new_job(client, filed_emulator)
    client.create_job_works(target.connection_job_id, works("c-1", "c-2"))
    with pytest.raises(FiledConflictError) as caught:
        client.create_job_works(target.connection_job_id, works("c-3", "c-2", "c-1"))
    assert caught.value.external_ids == ["c-2", "c-1"]
    assert caught.value.operation == "createJobWorks"
    stats = filed_emulator.stats()
    assert requests_of(stats, "createJobWorks") == 2
    assert stats["works_per_job"] == {target.connection_job_id: 2}


def test_rate_limited_carries_retry_after(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(rate_limit_rate=1.0, retry_after_s=0.05, fault_operations=["me"])
    with FiledClient(make_config(filed_emulator)) as client, pytest.raises(FiledRateLimitedError) as caught:
        client.me()
    assert caught.value.retry_after == pytest.approx(0.05)
    assert caught.value.status_code == 429
    assert caught.value.operation == "me"
    assert filed_emulator.stats()["requests"]["me"] == {"429": 3}  # retried up to max_attempts


def test_server_error(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(error_rate=1.0, fault_operations=["me"])
    with FiledClient(make_config(filed_emulator)) as client, pytest.raises(FiledServerError) as caught:
        client.me()
    assert caught.value.status_code in (500, 502, 503)
    assert caught.value.maybe_applied
    assert sum(filed_emulator.stats()["requests"]["me"].values()) == 3


def test_an_invalid_document_is_a_validation_error(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    response = client.execute("query { me { noSuchField } }")
    error = response.first_error()
    assert isinstance(error, FiledValidationError)
    assert "noSuchField" in error.message
    assert filed_emulator.stats()["total_requests"] == 2  # login + one request, not retried


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("UNAUTHENTICATED", FiledAuthError),
        ("FORBIDDEN", FiledForbiddenError),
        ("NOT_FOUND", FiledNotFoundError),
        ("BAD_USER_INPUT", FiledValidationError),
        ("GRAPHQL_VALIDATION_FAILED", FiledValidationError),
        ("CONFLICT", FiledConflictError),
        ("INTERNAL_SERVER_ERROR", FiledServerError),
        ("SOMETHING_NEW", FiledError),
    ],
)
def test_error_codes_map_to_classes(code: str, cls: type[FiledError]) -> None:
    error = error_from_graphql(
        {"message": "Filed says no", "extensions": {"code": code, "externalIds": ["x-1"]}}, operation="op"
    )
    assert type(error) is cls
    assert error.message == "Filed says no"
    assert str(error) == "Filed op: Filed says no"


def test_only_transient_errors_are_retryable() -> None:
    assert FiledRateLimitedError("x").retryable
    assert FiledServerError("x").retryable
    for cls in (FiledAuthError, FiledNotFoundError, FiledValidationError, FiledError):
        assert not cls("x").retryable
    assert not FiledConflictError("x", external_ids=["a"]).retryable
