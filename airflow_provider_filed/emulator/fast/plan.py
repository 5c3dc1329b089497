"""Operation plans: a validated document's hot operation compiled once, then run without graphql-core's executor.

Compiled: queries selecting ``me`` (with ``workspaces``, ``connections`` and any number of aliased
``jobWorks`` below it) and mutations made only of ``createJobWorks`` / ``createJobWorkArtifacts`` fields
(aliased or not). Everything else, and any request whose variables are not plainly valid, runs on the
general path. Root fields run in document order and the first error ends the execution with
``data: null``: every compiled field that can fail is non-null up to the root, so graphql-core's null
propagation gives the same answer, and a failing mutation field leaves the earlier ones applied.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)

from airflow_provider_filed.emulator.fast.results import (
    Complete,
    Env,
    FieldFailure,
    Info,
    SelectionCompiler,
)
from airflow_provider_filed.emulator.fast.variables import Fallback, OperationVariables, Unsupported

COMPILED_ROOT_FIELDS = {
    OperationType.QUERY: frozenset({"me"}),
    OperationType.MUTATION: frozenset({"createJobWorks", "createJobWorkArtifacts"}),
}


class Plan:
    """One compiled operation: its variables and its root fields, in document order."""

    def __init__(self, variables: OperationVariables, fields: list[tuple[str, Complete]]) -> None:
        self._variables = variables
        self._fields = fields

    def execute(self, context: Any, inputs: dict[str, Any] | None) -> ExecutionResult | None:
        """The result graphql-core would give, or None when the request must take the general path."""
        raw = inputs or {}
        try:
            coerced = self._variables.coerce(raw)
        except Fallback:
            return None
        env = Env(Info(context), coerced, lambda: self._variables.values(raw, coerced))
        data: dict[str, Any] = {}
        for key, resolve in self._fields:
            try:
                data[key] = resolve(None, env)
            except FieldFailure as failure:
                return ExecutionResult(None, [failure.located()])
        return ExecutionResult(data, None)


def compile_plan(
    schema: GraphQLSchema, operation: OperationDefinitionNode, record_types: dict[str, type]
) -> Plan | None:
    """The plan of a validated ``operation``, or None when it has shapes the compiler leaves out (fragments…)."""
    root = schema.get_root_type(operation.operation)
    allowed = COMPILED_ROOT_FIELDS.get(operation.operation)
    if root is None or allowed is None or operation.directives:
        return None
    try:
        variables = OperationVariables(schema, operation.variable_definitions or ())
        return Plan(variables, _root_fields(root, operation, allowed, SelectionCompiler(record_types)))
    except Unsupported:
        return None


def _root_fields(
    root: GraphQLObjectType, operation: OperationDefinitionNode, allowed: frozenset[str], compiler: SelectionCompiler
) -> list[tuple[str, Complete]]:
    fields: list[tuple[str, Complete]] = []
    keys: set[str] = set()
    for node in operation.selection_set.selections:
        if not isinstance(node, FieldNode) or node.directives or node.name.value not in allowed:
            raise Unsupported("root selection")
        key = node.alias.value if node.alias else node.name.value
        if key in keys:
            raise Unsupported(f"root field {key!r} selected twice")
        keys.add(key)
        _, resolve = compiler.field(root, node, strict=True)
        fields.append((key, _root(resolve, node, key)))
    return fields


def _root(resolve: Complete, node: FieldNode, key: str) -> Complete:
    """A root field whose failure, raised by the field itself, is located at the root."""

    def run(source: Any, env: Env) -> Any:
        try:
            return resolve(source, env)
        except FieldFailure as failure:
            failure.reversed_path.append(key)
            raise
        except Exception as error:
            raise FieldFailure(error, node, key, source) from error

    return run
