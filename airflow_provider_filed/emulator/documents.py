"""GraphQL documents as requests bring them: parsed, validated and compiled once, then looked up by text.

The cache is per process and per schema variant (with or without ``sortBy``): a document's parse,
validation and plan depend only on its text and the schema, and preparing the provider's 250-alias
mutation costs about 0.2 s of CPU, so every emulator of a process (tests, benchmarks) pays it once.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    validate,
)

from airflow_provider_filed.emulator.errors import GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED
from airflow_provider_filed.emulator.fast import Plan, compile_plan
from airflow_provider_filed.emulator.models import RECORD_TYPES
from airflow_provider_filed.emulator.schema import build_schema

DOCUMENT_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A parsed and validated query string, and the plans compiled for its operations."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    error_code: str | None
    plans: dict[str | None, Plan | None] = field(default_factory=dict)
    roots: dict[str | None, list[str]] = field(default_factory=dict)

    def root_fields(self, operation: OperationDefinitionNode) -> list[str]:
        """``root_fields`` of one of this document's operations, found once (a 250-alias mutation has 250)."""
        if self.document is None:
            return []
        name = operation.name.value if operation.name else None
        if name not in self.roots:
            self.roots[name] = root_fields(self.document, operation)
        return self.roots[name]

    def plan(self, schema: GraphQLSchema, operation: OperationDefinitionNode) -> Plan | None:
        """The compiled plan of one of this document's operations (None: the general path runs it)."""
        name = operation.name.value if operation.name else None
        if name not in self.plans:
            self.plans[name] = compile_plan(schema, operation, RECORD_TYPES)
        return self.plans[name]


class DocumentCache:
    """A bounded, thread-safe cache of prepared documents keyed by query text."""

    def __init__(self, schema: GraphQLSchema, size: int = DOCUMENT_CACHE_SIZE) -> None:
        self.schema = schema
        self._size = size
        self._lock = threading.Lock()
        self._items: dict[str, PreparedDocument] = {}

    def get(self, query: str) -> PreparedDocument:
        with self._lock:
            cached = self._items.get(query)
        if cached is not None:
            return cached
        try:
            document = parse(query)
        except GraphQLError as error:
            return PreparedDocument(None, (error,), GRAPHQL_PARSE_FAILED)
        errors = tuple(validate(self.schema, document))
        prepared = PreparedDocument(document, errors, GRAPHQL_VALIDATION_FAILED if errors else None)
        with self._lock:
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[query] = prepared
        return prepared


@functools.cache
def document_cache(sort_by_argument: bool) -> DocumentCache:
    """The process's prepared documents for one schema variant (a document valid in one may not be in the other)."""
    return DocumentCache(build_schema(sort_by_argument))


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the named one, or the only one."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == operation_name), None)


def root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> list[str]:
    """Names of the root fields an operation selects, through fragments, without duplicates."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names: dict[str, None] = {}
    seen: set[str] = set()

    def visit(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names[selection.name.value] = None
            elif isinstance(selection, InlineFragmentNode):
                visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    seen.add(name)
                    visit(fragments[name].selection_set)

    visit(operation.selection_set)
    return list(names)
