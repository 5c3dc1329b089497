"""Client settings, resolved once from a connection (or by hand) and reused for every request."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from airflow_provider_filed.client.errors import FiledConfigurationError
from airflow_provider_filed.client.pagination import Paging
from airflow_provider_filed.client.retry import RetrySettings

DEFAULT_URL = "https://gateway.filed.com/graphql"
DEFAULT_SOURCE_PLATFORM = "airflow-provider-filed"
#: The contract's documented cap on ``limit``; listings never rely on it (a short page does not end them).
MAX_PAGE_SIZE = 1000


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback IP: the only hosts plain ``http://`` may reach by default."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class FiledClientConfig(BaseModel):
    """Everything a client needs to talk to one Filed gateway as one partner."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = DEFAULT_URL
    api_key: SecretStr
    source_platform: str = DEFAULT_SOURCE_PLATFORM
    timeout: float = Field(default=60.0, gt=0)
    connect_timeout: float = Field(default=10.0, gt=0)
    batch_size: int = Field(default=500, ge=1, le=10_000)
    max_concurrency: int = Field(default=4, ge=1, le=64)
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    pages_per_request: int = Field(default=8, ge=1, le=50)
    sort_by: dict[str, Any] | None = None
    artifacts_per_request: int = Field(default=500, ge=1, le=10_000)
    allow_insecure_http: bool = False
    retry: RetrySettings = RetrySettings()

    @field_validator("api_key")
    @classmethod
    def _api_key_present(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("no API key: set the connection's password to a Filed API key")
        return value

    @model_validator(mode="after")
    def _url_is_safe(self) -> FiledClientConfig:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"bad URL {self.url!r}: expected https://host/graphql (the connection's host field)")
        if parts.scheme == "http" and not (self.allow_insecure_http or is_loopback_host(parts.hostname)):
            raise ValueError(
                f"refusing plain http:// to {parts.hostname}: the API key would travel unencrypted; "
                "use https://, or set the connection extra allow_insecure_http=true"
            )
        return self

    @property
    def direct_only(self) -> bool:
        """Plain http:// allowed only because it stays on this machine: then no proxy may carry it."""
        parts = urlsplit(self.url)
        return parts.scheme == "http" and not self.allow_insecure_http

    @property
    def paging(self) -> Paging:
        return Paging(
            page_size=self.page_size,
            pages_per_request=self.pages_per_request,
            max_concurrency=self.max_concurrency,
            sort_by=self.sort_by,
        )


def load_config(**values: object) -> FiledClientConfig:
    """Build a config, turning pydantic's report into one readable error that never echoes values."""
    from pydantic import ValidationError

    try:
        return FiledClientConfig.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            (f"{'.'.join(str(p) for p in err['loc'])}: " if err["loc"] else "")
            + err["msg"].removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise FiledConfigurationError(problems) from None
