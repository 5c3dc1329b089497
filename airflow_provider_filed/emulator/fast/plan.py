"""Operation plans: a validated document's hot operation compiled once, then run without graphql-core's executor.

Compiled: queries selecting ``me`` (with ``workspaces``, ``connections`` and any number of aliased
``jobWorks`` below it) and mutations made only of ``createJobWorks`` / ``createJobWorkArtifacts`` fields
(aliased or not). Everything else, and any request whose variables are not plainly valid, runs on the
general path. Root fields run in document order and the first error ends the execution with
``data: null``: every compiled field that can fail is non-null up to the root, so graphql-core's null
propagation gives the same answer, and a failing mutation field leaves the earlier ones applied.
Aliases of one create mutation (``a0: createJobWorkArtifacts(…)``, ``a1``…) go to the store in one call
that applies them in the same order and stops at the same first error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast, runtime_checkable

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.values import VariableValues

from airflow_provider_filed.emulator.fast.results import (
    Complete,
    Env,
    FieldFailure,
    Get,
    Info,
    SelectionCompiler,
    compile_arguments,
)
from airflow_provider_filed.emulator.fast.variables import Fallback, OperationVariables, Unsupported

COMPILED_ROOT_FIELDS = {
    OperationType.QUERY: frozenset({"me"}),
    OperationType.MUTATION: frozenset({"createJobWorks", "createJobWorkArtifacts"}),
}


Run = Callable[[Env], dict[str, Any]]
"""A compiled operation's root fields: the ``data`` of one request, or :class:`FieldFailure`."""


@runtime_checkable
class InTurn(Protocol):
    """A resolver that also resolves many aliased fields of one mutation in one call (``CreateResolver``)."""

    def in_turn(self, info: Any, calls: Sequence[dict[str, Any]]) -> tuple[Sequence[Any], Exception | None]:
        """Each call's value in order up to the first error, and that error (None when all succeeded)."""
        ...


class Plan:
    """One compiled operation: its variables and its root fields, in document order."""

    def __init__(self, variables: OperationVariables, run: Run) -> None:
        self._variables = variables
        self._run = run

    def bind(self, inputs: dict[str, Any] | None) -> BoundPlan | None:
        """The plan with one request's variables coerced (pure: no store, no clock), or None when the
        request must take the general path."""
        raw = inputs or {}
        try:
            coerced = self._variables.coerce(raw)
        except Fallback:
            return None
        return BoundPlan(self._run, coerced, lambda: self._variables.values(raw, coerced))


class BoundPlan:
    """A plan and one request's coerced variables: what is left to do is run it against the store."""

    __slots__ = ("_coerced", "_run", "_values")

    def __init__(self, run: Run, coerced: dict[str, Any], values: Callable[[], VariableValues]) -> None:
        self._run = run
        self._coerced = coerced
        self._values = values

    def execute(self, context: Any) -> ExecutionResult:
        """The result graphql-core would give."""
        env = Env(Info(context), self._coerced, self._values)
        try:
            return ExecutionResult(self._run(env), None)
        except FieldFailure as failure:
            return ExecutionResult(None, [failure.located()])


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
        compiler = SelectionCompiler(record_types)
        nodes = _root_nodes(operation, allowed)
        fields = [(key, _root(compiler.field(root, node, strict=True)[1], node, key)) for key, node in nodes.items()]
        return Plan(variables, _in_turn(root, nodes, compiler) or _in_order(fields))
    except Unsupported:
        return None


def _root_nodes(operation: OperationDefinitionNode, allowed: frozenset[str]) -> dict[str, FieldNode]:
    """The root fields by response key, in document order."""
    nodes: dict[str, FieldNode] = {}
    for node in operation.selection_set.selections:
        if not isinstance(node, FieldNode) or node.directives or node.name.value not in allowed:
            raise Unsupported("root selection")
        key = node.alias.value if node.alias else node.name.value
        if key in nodes:
            raise Unsupported(f"root field {key!r} selected twice")
        nodes[key] = node
    return nodes


def _in_order(fields: list[tuple[str, Complete]]) -> Run:
    def run(env: Env) -> dict[str, Any]:
        return {key: resolve(None, env) for key, resolve in fields}

    return run


def _in_turn(root: GraphQLObjectType, nodes: dict[str, FieldNode], compiler: SelectionCompiler) -> Run | None:
    """One ``in_turn`` call for the aliases of one field whose resolver has it and whose results need nothing
    of the request (``{ id }``); None for any other operation."""
    names = {node.name.value for node in nodes.values()}
    if len(nodes) < 2 or len(names) != 1:
        return None
    definition = root.fields[names.pop()]
    resolver = definition.resolve
    if not isinstance(resolver, InTurn):
        return None
    builds = [compiler.value(definition.type, node.selection_set, strict=True).static for node in nodes.values()]
    if any(build is None for build in builds):
        return None
    arguments = [compile_arguments(definition, node) for node in nodes.values()]
    return _InTurn(list(nodes.items()), arguments, cast("list[Get]", builds), resolver)


class _InTurn:
    """Aliased fields resolved by one ``in_turn`` call: arguments read in document order up to the first
    that fails; the values of the fields before the first error, then that error, located at its field."""

    def __init__(
        self,
        nodes: list[tuple[str, FieldNode]],
        arguments: list[Callable[[Env], dict[str, Any]]],
        builds: list[Get],
        resolver: InTurn,
    ) -> None:
        self._nodes, self._arguments, self._builds, self._resolver = nodes, arguments, builds, resolver

    def __call__(self, env: Env) -> dict[str, Any]:
        calls: list[dict[str, Any]] = []
        stop: tuple[int, Exception] | None = None
        for index, arguments in enumerate(self._arguments):
            try:
                calls.append(arguments(env))
            except Exception as refused:
                stop = (index, refused)
                break
        values, failed = self._resolver.in_turn(env.info, calls)
        if failed is not None:
            stop = (len(values), failed)
        if stop is not None:
            index, error = stop
            key, node = self._nodes[index]
            raise FieldFailure(error, node, key, None) from error
        return {key: build(value) for (key, _), build, value in zip(self._nodes, self._builds, values, strict=True)}


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
