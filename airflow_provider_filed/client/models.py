"""Pydantic models of Filed's objects and inputs, with the API's camelCase names as aliases."""

from __future__ import annotations

import functools
import unicodedata
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, GetPydanticSchema, TypeAdapter
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo
from pydantic_core import core_schema
from typing_extensions import Self

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


#: Unicode White_Space: what surrounds text and is dropped (``str.strip()`` would also drop U+001C to U+001F,
#: control characters that are refused anyway; pydantic's ``strip_whitespace`` drops exactly this set).
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)

_nfc = functools.partial(unicodedata.normalize, "NFC")


def normalise_text(value: str) -> str:
    """The one normalisation of every text sent to Filed: surrounding spaces dropped, Unicode NFC.

    What validation accepts is exactly what is sent and what later steps match on (a client's
    ``" c-2 "`` in one file and ``"c-2"`` in another are the same client). ASCII text is already NFC.
    """
    text = value.strip(WHITESPACE)
    return text if text.isascii() else _nfc(text)


#: Text that :func:`normalise_text` leaves as it is and every text pattern accepts: printable ASCII, no
#: surrounding space, not empty (most of a season's export).
READY_TEXT = "^[!-~](?:[ -~]*[!-~])?$"
#: The same for a URL: :data:`HTTP_URL` in printable ASCII without a space.
READY_URL = "^https?://[!-~]*$"
#: The labels pydantic puts in an error's ``loc`` after the field, for each way a row's text is checked.
READY_BRANCH, NORMALISED_BRANCH = "ready", "normalised"


def _text(max_length: int, pattern: str, ready: str | None = None) -> Any:
    """A required text field: a string (not a number), :func:`normalise_text`, then not empty, not too long,
    matching ``pattern``. The checks run in pydantic's core; the normalisation is one Python call, cheaper
    than the core's ``strip_whitespace`` (which copies every string) followed by a second call for NFC.

    With ``ready`` (a pattern of text the normalisation leaves as it is and ``pattern`` accepts), such text
    is taken by the core alone; anything else goes through the whole chain, so what is accepted, and as
    what, is the same. A refused value then has an error from each branch: :data:`READY_BRANCH`'s say
    nothing more and are dropped (``inputs.parse_rows``).
    """
    schema: core_schema.CoreSchema = core_schema.chain_schema(
        [
            core_schema.str_schema(strict=True),
            core_schema.no_info_plain_validator_function(normalise_text),
            core_schema.str_schema(min_length=1, max_length=max_length, pattern=pattern),
        ]
    )
    if ready is not None:
        taken_as_is = core_schema.str_schema(strict=True, max_length=max_length, pattern=ready)
        schema = core_schema.union_schema(
            [(taken_as_is, READY_BRANCH), (schema, NORMALISED_BRANCH)], mode="left_to_right"
        )
    return Annotated[str, GetPydanticSchema(lambda _type, _handler: schema)]


if TYPE_CHECKING:
    Name = str
    ExternalId = str
    ArtifactType = str
    Url = str
    DisplayName = str
else:
    Name = _text(MAX_NAME_LENGTH, NO_CONTROL_CHARACTER, READY_TEXT)
    ExternalId = _text(MAX_EXTERNAL_ID_LENGTH, NO_CONTROL_CHARACTER, READY_TEXT)
    ArtifactType = _text(64, NO_CONTROL_CHARACTER, READY_TEXT)
    Url = _text(MAX_URL_LENGTH, HTTP_URL, READY_URL)
    DisplayName = _text(MAX_NAME_LENGTH, NO_CONTROL_CHARACTER)


#: Every input: camelCase or snake_case keys in, unknown keys refused (a typo is an error, not a silent drop).
INPUT_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class FiledInput(FiledModel):
    """Base of the inputs sent one at a time (filters, a workspace): strict, text normalised, frozen. The
    per-client inputs are :class:`RowInput` dataclasses."""

    model_config = ConfigDict(**INPUT_CONFIG, frozen=True)


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
    display_name: DisplayName
    metadata: dict[str, Any] | None = None
    firm_size: Literal["xs", "sm", "md", "lg", "xl"] | None = None


class RowInput:
    """Base of the per-client inputs, of which an import holds tens of thousands: validated like a
    :class:`FiledInput`, but a frozen slots dataclass, so an input is one object, not three (model,
    ``__dict__``, fields-set), a third of the memory, and a third of the garbage collector's scanning."""

    __slots__ = ()

    @classmethod
    def model_validate(cls, value: Any) -> Self:
        """One input from a mapping, as ``BaseModel.model_validate`` (raises ``ValidationError``)."""
        validated: Self = adapter_of(cls).validate_python(value)
        return validated

    @classmethod
    def wire_name(cls, name: str) -> str:
        """The API's name of field ``name`` (its camelCase alias); any other name as it is."""
        fields: dict[str, FieldInfo] = getattr(cls, "__pydantic_fields__", {})
        info = fields.get(name)
        return info.alias if info is not None and info.alias else name

    def to_graphql(self) -> dict[str, Any]:
        """The JSON-safe variables form, in the API's field names, without unset optionals."""
        dumped: dict[str, Any] = adapter_of(type(self)).dump_python(self, by_alias=True, exclude_none=True, mode="json")
        return dumped

    def to_json(self) -> str:
        """:meth:`to_graphql` as compact JSON text, written by pydantic's core in one call."""
        return adapter_of(type(self)).dump_json(self, by_alias=True, exclude_none=True).decode()


_adapters: dict[Any, TypeAdapter[Any]] = {}


def adapter_of(kind: Any) -> TypeAdapter[Any]:
    """pydantic's validator and serializer of ``kind`` (``list[CreateJobWorksInput]``…), built once."""
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = TypeAdapter(kind)
    return adapter


@dataclass(config=INPUT_CONFIG, frozen=True, slots=True)
class CreateJobWorksInput(RowInput):
    """One client to import: its display name and the partner's own, never-reused id."""

    name: Name
    external_id: ExternalId


@dataclass(config=INPUT_CONFIG, frozen=True, slots=True)
class CreateJobWorkArtifactsInput(RowInput):
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
