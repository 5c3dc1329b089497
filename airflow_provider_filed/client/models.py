"""Pydantic models of Filed's objects and inputs, with the API's camelCase names as aliases."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Strict, StringConstraints, model_validator
from pydantic.alias_generators import to_camel

MAX_NAME_LENGTH = 255
MAX_EXTERNAL_ID_LENGTH = 255
MAX_URL_LENGTH = 8_192


class FiledModel(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, unknown fields tolerated."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")

    def to_graphql(self) -> dict[str, Any]:
        """The JSON-safe variables form, in the API's field names, without unset optionals."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


#: Text with no control character (Unicode category Cc: C0, DEL, C1); checked by pydantic's own regex.
NO_CONTROL_CHARACTER = "^[^\x00-\x1f\x7f-\x9f]*$"
#: What Filed can download: an http(s) URL.
HTTP_URL = "^https?://[^\x00-\x1f\x7f-\x9f]*$"


def normalise_text(value: str) -> str:
    """The one normalisation of every text sent to Filed: surrounding spaces dropped, Unicode NFC.

    What validation accepts is exactly what is sent and what later steps match on (a client's
    ``" c-2 "`` in one file and ``"c-2"`` in another are the same client).
    """
    value = value.strip()
    return value if value.isascii() else unicodedata.normalize("NFC", value)


# Required text fields: a string (not a number), not empty, not too long, with no control character.
Name = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH, pattern=NO_CONTROL_CHARACTER)
]
ExternalId = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=MAX_EXTERNAL_ID_LENGTH, pattern=NO_CONTROL_CHARACTER)
]
ArtifactType = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=64, pattern=NO_CONTROL_CHARACTER)]
Url = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=MAX_URL_LENGTH, pattern=HTTP_URL)]


class FiledInput(FiledModel):
    """Base of inputs: strict, so a typo in a field name is an error, not a silent drop; text normalised.

    Every check but the normalisation runs in pydantic's core (one Python step per row), so a season's
    export validates fast.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: normalise_text(value) if isinstance(value, str) else value for key, value in data.items()}
        return data


class JobWorkFilters(FiledInput):
    ids: list[str] | None = None
    connection_job_ids: list[str] | None = None
    work_ids: list[str] | None = None


class ConnectionFilters(FiledInput):
    ids: list[str] | None = None
    statuses: list[str] | None = None
    provider_keys: list[str] | None = None
    categories: list[str] | None = None


class CreateWorkspaceInput(FiledInput):
    display_name: Name
    metadata: dict[str, Any] | None = None
    firm_size: Literal["xs", "sm", "md", "lg", "xl"] | None = None


class CreateJobWorksInput(FiledInput):
    """One client to import: its display name and the partner's own, never-reused id."""

    name: Name
    external_id: ExternalId


class CreateJobWorkArtifactsInput(FiledInput):
    """One file for Filed to download from ``url`` and attach to a client's work."""

    name: Name
    type: ArtifactType
    url: Url
    external_id: ExternalId
    metadata: dict[str, Any] | None = None


class User(FiledModel):
    id: str
    email: str | None = None
    name: str | None = None
    role: str | None = None


class Provider(FiledModel):
    name: str
    category: str


class FiledObject(FiledModel):
    """What Filed stores: an id, and when it was created and last changed (ISO-8601 strings).

    A minimal selection may leave any of them out.
    """

    id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class WithStatus(FiledModel):
    """An object with a lifecycle; its status strings are compared through ``statuses.StatusSets``."""

    status: str | None = None


class InWorkspace(FiledObject):
    """An object owned by one workspace (a tax firm)."""

    workspace_id: str | None = None


class InConnectionJob(InWorkspace):
    """A link made by one connection job (an import batch)."""

    connection_job_id: str | None = None


class ProviderConnection(InWorkspace, WithStatus):
    id: str
    provider_key: str | None = None
    action: str | None = None
    display_name: str | None = None
    settings: Any = None
    provider: Provider | None = None


class Workspace(WithStatus):
    id: str
    slug: str | None = None
    display_name: str | None = None
    workspace_type: str | None = None
    connections: list[ProviderConnection] | None = None


class Me(FiledModel):
    id: str
    email: str | None = None
    name: str | None = None
    workspaces: list[Workspace] = []


class ConnectionJob(InWorkspace, WithStatus):
    id: str
    connection_id: str | None = None
    name: str | None = None


class Imported(FiledModel):
    """What the partner sent for a client or a document: its name, and the partner's own id."""

    name: str | None = None
    external_id: str | None = None


class Work(Imported, WithStatus):
    """A client's tax preparation (read through its job work; the docs' selection has no timestamps)."""

    id: str | None = None
    tag: str | None = None


class WorkArtifact(FiledObject, Imported, WithStatus):
    """A client's document; ``metadata`` holds Filed's error details when its download failed."""

    type: str | None = None
    uploaded_url: str | None = None
    metadata: Any = None
    work_id: str | None = None


class JobArtifact(InConnectionJob):
    job_work_id: str | None = None
    artifact_id: str | None = None
    work_artifact: WorkArtifact | None = None


class JobWork(InConnectionJob):
    id: str
    work_id: str | None = None
    work: Work | None = None
    job_work_artifacts: list[JobArtifact] | None = None
