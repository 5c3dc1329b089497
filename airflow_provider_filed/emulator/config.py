"""Emulator settings: fault injection, lifecycle timing and limits, set at start and changeable at run time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class EmulatorConfig(BaseModel):
    """Every knob of the emulator; ``POST /_emulator/config`` merges a partial JSON of these fields."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: float = Field(default=0.0, ge=0, description="Fixed delay added to every request.")
    jitter_ms: float = Field(default=0.0, ge=0, description="Extra delay drawn uniformly from [0, jitter_ms].")
    latency_covers_work: bool = Field(
        default=False,
        description="Do each request's work at once and answer when its delay, counted from arrival, is over (or"
        " when the work ends, if later): a server whose work overlaps the network time. Default: work after it.",
    )
    error_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of requests answered 500/502/503 without being applied."
    )
    rate_limit_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of requests answered 429 without being applied."
    )
    retry_after_s: float = Field(
        default=0.05, ge=0, description="Retry-After value of a 429, sent as an integer or decimal string."
    )
    commit_then_fail_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of applied mutations (HTTP 200) whose reply then fails."
    )
    commit_then_fail_mode: Literal["status", "drop"] = Field(
        default="status", description="'status': HTTP 500/502/503; 'drop': the response is cut mid-body."
    )
    token_ttl_s: float = Field(default=1800.0, ge=0, description="Lifetime of an access token.")
    processing_time_s: float = Field(
        default=2.0, description="Time from trigger to terminal statuses; negative: works never finish."
    )
    artifact_failure_pattern: str = Field(
        default="fail", description="Regex searched in an artifact url; a match ends the artifact in error."
    )
    artifact_terminated_pattern: str | None = Field(
        default=None,
        description="Regex searched in an artifact url; a match ends it terminated (cancelled). None: never.",
    )
    max_inputs_per_request: int = Field(default=500, ge=1, description="Most inputs per create request.")
    default_limit: int = Field(default=100, ge=0, description="Page size when 'limit' is omitted.")
    max_limit: int = Field(default=1000, ge=1, description="Larger 'limit' values are clamped to this.")
    page_cap: int | None = Field(
        default=None, ge=1, description="A silent gateway cap: no page holds more items, whatever 'limit' asked."
    )
    lenient_duplicates: bool = Field(
        default=False, description="Do not enforce externalId uniqueness: a reused one creates another record."
    )
    sort_by_argument: bool = Field(
        default=True, description="Serve the 'sortBy' argument of jobWorks and connections; false: a schema without it."
    )
    status_case: Literal["lower", "upper", "title"] = Field(
        default="lower",
        description="The case of every status string the API returns (completed, COMPLETED, Completed).",
    )
    fast_path: bool = Field(
        default=True, description="Run the hot operations as compiled plans; false: graphql-core's executor for all."
    )
    fault_operations: list[str] | None = Field(
        default=None, description="If set, faults apply only to these root field or operation names."
    )
    seed: int | None = Field(default=None, description="Seed of the fault dice, for reproducible runs.")

    @field_validator("artifact_failure_pattern", "artifact_terminated_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @property
    def never_finish(self) -> bool:
        """Whether triggered works stay in progress forever (sensor-timeout tests)."""
        return self.processing_time_s < 0

    def merged(self, patch: Mapping[str, Any]) -> EmulatorConfig:
        """A validated copy with ``patch`` applied on top; unknown fields are rejected."""
        return type(self).model_validate({**self.model_dump(), **patch})
