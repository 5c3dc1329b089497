"""Auth: log in on first use, cache the token, log in again on UNAUTHENTICATED and replay."""

from __future__ import annotations

import pytest

from airflow_provider_filed.client import FiledAuthError, FiledClient
from airflow_provider_filed.client.transport import GraphQLRequest, GraphQLResponse, TokenCache, authorized
from airflow_provider_filed.emulator.testing import EmulatorHandle
from tests.client.helpers import make_config, wait_until_tokens_expired

API_KEY = "filed-unit-api-key-0123456789"


def test_login_once_then_reuse_the_token(client: FiledClient, filed_emulator: EmulatorHandle) -> None:
    for _ in range(3):
        client.me()
    stats = filed_emulator.stats()
    assert stats["logins"] == 1
    assert stats["requests"]["me"] == {"200": 3}


def test_an_expired_token_is_replaced_and_the_call_replayed(filed_emulator: EmulatorHandle) -> None:
    filed_emulator.configure(token_ttl_s=0.5)
    tokens: list[str] = []
    with FiledClient(make_config(filed_emulator), on_new_token=tokens.append) as client:
        client.me()
        wait_until_tokens_expired(filed_emulator)
        me = client.me()
    assert me.workspaces
    stats = filed_emulator.stats()
    assert stats["logins"] == 2
    assert stats["requests"]["me"] == {"200": 2, "401": 1}
    assert len(set(tokens)) == 2


def _refused(operation: str) -> FiledAuthError:
    return FiledAuthError("invalid access token", operation=operation, status_code=401)


def test_a_stale_token_from_another_thread_does_not_use_up_the_relogin() -> None:
    """Our token is refused; meanwhile another thread stored one that is refused too: log in ourselves."""
    tokens = TokenCache()
    tokens.store("token-ours-0000000000")
    request = GraphQLRequest("query { me { id } }", {}, "me")
    op = authorized(request, tokens, API_KEY)

    sent = next(op)
    assert sent.token == "token-ours-0000000000"
    tokens.store("token-other-thread-00")  # stored by another thread while ours was in flight
    sent = op.throw(_refused("me"))
    assert sent.token == "token-other-thread-00"
    sent = op.throw(_refused("me"))
    assert sent.operation == "loginViaPersonalApiToken"  # our own re-login
    assert sent.variables == {"apiKey": API_KEY}
    sent = op.send(
        GraphQLResponse(
            "loginViaPersonalApiToken", {"loginViaPersonalApiToken": {"accessToken": "token-login-third-0000"}}, []
        )
    )
    assert sent.token == "token-login-third-0000"
    ok = GraphQLResponse("me", {"me": {"id": "user_1"}}, [])
    with pytest.raises(StopIteration) as done:
        op.send(ok)
    assert done.value.value is ok
    assert tokens.token == "token-login-third-0000"


def test_a_fresh_token_refused_is_not_retried_forever() -> None:
    tokens = TokenCache()
    op = authorized(GraphQLRequest("query { me { id } }", {}, "me"), tokens, API_KEY)
    logins = 0
    sent = next(op)

    def answer() -> GraphQLRequest:
        nonlocal logins
        if sent.operation == "loginViaPersonalApiToken":
            logins += 1
            return op.send(
                GraphQLResponse(sent.operation, {sent.operation: {"accessToken": f"token-login-{logins:012d}"}}, [])
            )
        return op.throw(_refused("me"))

    with pytest.raises(FiledAuthError):  # noqa: PT012 - the generator raises on the last of a few sends
        for _ in range(10):
            sent = answer()
    assert logins == 2  # the first login and one re-login


@pytest.mark.parametrize("threads", [8])
def test_threads_without_a_token_log_in_once(filed_emulator, threads: int) -> None:
    """Single-flight login: however many threads need a token at once, one login is sent."""
    from concurrent.futures import ThreadPoolExecutor

    from airflow_provider_filed.client import FiledClient
    from tests.client.helpers import make_config

    with (
        FiledClient(make_config(filed_emulator, max_concurrency=threads)) as client,
        ThreadPoolExecutor(threads) as pool,
    ):
        list(pool.map(lambda _: client.me(), range(threads)))
    assert filed_emulator.stats()["logins"] == 1
