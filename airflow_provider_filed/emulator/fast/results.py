"""Compiled selection sets: precomputed field getters that build the JSON-ready result of a record.

A field without a resolver reads the record's attribute (or key, for records stored as dicts) as
graphql-core's default resolver does; a field with a resolver calls the schema's own resolver with a
stand-in ``info`` carrying the request context (the emulator's resolvers read nothing else). Leaves go
through their scalar's serializer, except ``String``/``ID`` (always ``str`` in the store) and
serializer-less scalars (``JSON``), which graphql-core would send unchanged too.

Errors: the compiler accepts a field with a resolver or arguments only where every position from it to
the root is non-null, so any error nulls the whole ``data`` and ends the execution, as in graphql-core
(the store's records never make a leaf fail). :class:`FieldFailure` carries the error up, collecting
the response path on its way.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import CodeType
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    SelectionSetNode,
    VariableNode,
    located_error,
)
from graphql.execution.values import VariableValues, get_argument_values

from airflow_provider_filed.emulator.fast.variables import Unsupported, has_default

Complete = Callable[[Any, "Env"], Any]
Get = Callable[[Any], Any]
TYPENAME = "__typename"


@dataclass(frozen=True, slots=True)
class Info:
    """The part of ``GraphQLResolveInfo`` the emulator's resolvers read: the request context."""

    context: Any


class Env:
    """One request's execution state: the resolvers' ``info`` and the coerced variables."""

    __slots__ = ("_values", "coerced", "info", "values_factory")

    def __init__(self, info: Info, coerced: dict[str, Any], values_factory: Callable[[], VariableValues]) -> None:
        self.info = info
        self.coerced = coerced
        self.values_factory = values_factory
        self._values: VariableValues | None = None

    @property
    def variable_values(self) -> VariableValues:
        """graphql-core's view of the variables, built only when a field needs ``get_argument_values``."""
        if self._values is None:
            self._values = self.values_factory()
        return self._values


class FieldFailure(Exception):
    """An error raised while executing a field, on its way up to the root with its response path."""

    def __init__(self, error: Exception, node: FieldNode, key: str, source: Any) -> None:
        super().__init__(str(error))
        self.error = error
        self.node = node
        self.reversed_path: list[str | int] = [key]
        self.source = source

    def located(self) -> GraphQLError:
        """The error as graphql-core reports it: located at the field node, with the response path."""
        return located_error(self.error, [self.node], list(reversed(self.reversed_path)))


def _getter(record_types: dict[str, type], type_name: str, field_name: str) -> Get:
    """graphql-core's default resolution of one field: an attribute of a record, or a key of a dict."""
    record = record_types.get(type_name)
    if record is None:
        return operator.methodcaller("get", field_name)
    if not hasattr(record, field_name):
        raise Unsupported(f"{type_name}.{field_name}")
    return operator.attrgetter(field_name)


def _serializer(type_: GraphQLScalarType | GraphQLEnumType, non_null: bool) -> Get | None:
    """How a leaf value is sent; None when sent as it is.

    ``String`` and ``ID`` values are always ``str`` in the store's records and custom scalars without a
    serializer (``JSON``) pass through, so both are sent unchanged, as graphql-core would send them.
    """
    if type_ is GraphQLString or type_ is GraphQLID:
        return None
    if isinstance(type_, GraphQLScalarType) and type_.serialize is GraphQLScalarType.serialize:
        return None
    serialize = type_.serialize
    if non_null:
        return serialize

    def nullable(value: Any) -> Any:
        return None if value is None else serialize(value)

    return nullable


class SelectionCompiler:
    """Compiles selection sets of one schema into functions ``(record, env) -> result``."""

    def __init__(self, record_types: dict[str, type]) -> None:
        self._records = record_types

    def selection(self, type_: GraphQLObjectType, selection_set: SelectionSetNode | None, strict: bool) -> _Object:
        """The result dict of one object; ``strict``: every position up to the root is non-null."""
        if selection_set is None:
            raise Unsupported(f"no selection on {type_.name}")
        keys: list[str] = []
        plain: list[tuple[str, Get]] = []
        special: list[tuple[str, Complete]] = []
        nodes: dict[str, FieldNode] = {}
        for node in selection_set.selections:
            if not isinstance(node, FieldNode) or node.directives:
                raise Unsupported("fragments and directives")
            key = node.alias.value if node.alias else node.name.value
            if key in nodes:
                raise Unsupported(f"field {key!r} selected twice")
            keys.append(key)
            nodes[key] = node
            get, complete = self.field(type_, node, strict)
            if get is not None:
                plain.append((key, get))
            else:
                special.append((key, complete))
        return _Object(tuple(keys), plain, special, nodes)

    def field(self, parent: GraphQLObjectType, node: FieldNode, strict: bool) -> tuple[Get | None, Complete]:
        """One field of ``parent``: a getter when the record alone gives its value, and ``(record, env)``."""
        name = node.name.value
        if name == TYPENAME:
            return (lambda _record: parent.name), (lambda _record, _env: parent.name)
        definition = parent.fields.get(name)
        if definition is None:
            raise Unsupported(f"{parent.name}.{name}")
        resolver = definition.resolve
        if not strict and (resolver is not None or node.arguments):
            raise Unsupported(f"{parent.name}.{name} under a nullable position")
        completion = self.value(definition.type, node.selection_set, strict)
        if resolver is None:
            if node.arguments or definition.args:
                raise Unsupported(f"{parent.name}.{name} with arguments and no resolver")
            get = _getter(self._records, parent.name, name)
            static = completion.static
            if static is _unchanged:
                return get, lambda record, _env: get(record)
            if static is not None:
                return (lambda record: static(get(record))), lambda record, _env: static(get(record))
            return None, lambda record, env: completion(get(record), env)
        arguments = compile_arguments(definition, node)
        return None, lambda record, env: completion(resolver(record, env.info, **arguments(env)), env)

    def value(self, type_: GraphQLOutputType, selection_set: SelectionSetNode | None, strict: bool) -> Completion:
        """How a resolved value of ``type_`` is completed into its result."""
        non_null = isinstance(type_, GraphQLNonNull)
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(named, GraphQLList):
            item_type = named.of_type.of_type if isinstance(named.of_type, GraphQLNonNull) else named.of_type
            if not isinstance(item_type, GraphQLObjectType):
                raise Unsupported(f"list of {item_type}")
            return _List(self.value(named.of_type, selection_set, strict and non_null))
        if isinstance(named, GraphQLObjectType):
            return self.selection(named, selection_set, strict and non_null)
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            return _Leaf(_serializer(named, non_null))
        raise Unsupported(str(type_))


def _unchanged(value: Any) -> Any:
    return value


def _dict_builder(keys: Sequence[str], plain: Sequence[tuple[str, Get]]) -> Get:
    """A function building the result dict of a record from its ``plain`` getters in one dict display.

    Generated once per selection set: a dict display is twice as fast as filling a dict in a loop, and
    a 1,000-row page builds thousands of them. Keys are GraphQL names (checked by the parser) written
    with ``repr``; getters are passed in the namespace, never written into the source. Keys of fields
    that need the request (``special``) are placed first as None, so the dict keeps the selection order.
    """
    position = {key: n for n, (key, _) in enumerate(plain)}
    namespace: dict[str, Any] = {f"get{n}": get for n, (_, get) in enumerate(plain)}
    items = ", ".join(f"{key!r}: get{position[key]}(record)" if key in position else f"{key!r}: None" for key in keys)
    exec(
        _builder_code(f"def build(record):\n    if record is None:\n        return None\n    return {{{items}}}\n"),
        namespace,
    )
    build: Get = namespace["build"]
    return build


@functools.lru_cache(maxsize=1024)
def _builder_code(source: str) -> CodeType:
    """Compiled once per distinct selection (a 250-alias mutation repeats the same one 250 times)."""
    return compile(source, "<selection>", "exec")


class Completion:
    """Completes a resolved value into its result; ``static`` does the same without the request when it can."""

    static: Get | None = None

    def __call__(self, value: Any, env: Env) -> Any:
        raise NotImplementedError


class _Leaf(Completion):
    """A scalar or enum: its serializer (``_unchanged`` when the value is sent as it is)."""

    def __init__(self, serialize: Get | None) -> None:
        self.serialize = serialize or _unchanged
        self.static = self.serialize

    def __call__(self, value: Any, env: Env) -> Any:
        return self.serialize(value)


class _Object(Completion):
    """One object's result dict, keys in selection order; failures of ``special`` fields carry the path."""

    def __init__(
        self,
        keys: tuple[str, ...],
        plain: list[tuple[str, Get]],
        special: list[tuple[str, Complete]],
        nodes: dict[str, FieldNode],
    ) -> None:
        self.special, self.nodes = special, nodes
        self.build = _dict_builder(keys, plain)
        if not special:
            self.static = self.build

    def __call__(self, record: Any, env: Env) -> Any:
        result = self.build(record)
        if result is None or not self.special:
            return result
        key = ""
        try:
            for key, resolve in self.special:
                result[key] = resolve(record, env)
        except FieldFailure as failure:
            failure.reversed_path.append(key)
            failure.source = record
            raise
        except Exception as error:
            raise FieldFailure(error, self.nodes[key], key, record) from error
        return result


class _List(Completion):
    """A list of objects; a failure of an item adds the item's index to the path."""

    def __init__(self, item: Completion) -> None:
        self.item = item
        self.build_item = item.static
        if item.static is not None:
            self.static = self.build

    def build(self, values: Any) -> Any:
        build_item = self.build_item
        if values is None or build_item is None:
            return None
        return [build_item(value) for value in values]

    def __call__(self, values: Any, env: Env) -> Any:
        if values is None:
            return None
        if self.build_item is not None:
            return self.build(values)
        item = self.item
        try:
            return [item(value, env) for value in values]
        except FieldFailure as failure:
            failure.reversed_path.append(next(n for n, value in enumerate(values) if value is failure.source))
            raise


def compile_arguments(definition: GraphQLField, node: FieldNode) -> Callable[[Env], dict[str, Any]]:
    """The arguments of one field; whole-variable arguments are read directly, the rest by graphql-core."""

    def general(env: Env) -> dict[str, Any]:
        return get_argument_values(definition, node, env.variable_values)

    if not definition.args:
        return general if node.arguments else lambda _env: {}
    plain: list[tuple[str, str, bool]] = []
    for argument in node.arguments or ():
        arg = definition.args.get(argument.name.value)
        if arg is None or not isinstance(argument.value, VariableNode) or arg.out_name:
            return general
        plain.append((argument.name.value, argument.value.name.value, isinstance(arg.type, GraphQLNonNull)))
    if any(has_default(arg) for arg in definition.args.values()):
        return general
    return _plain_arguments(plain, general)


def _plain_arguments(
    plain: Sequence[tuple[str, str, bool]], general: Callable[[Env], dict[str, Any]]
) -> Callable[[Env], dict[str, Any]]:
    def arguments(env: Env) -> dict[str, Any]:
        coerced = env.coerced
        values: dict[str, Any] = {}
        for name, variable, required in plain:
            if variable in coerced:
                value = coerced[variable]
                if value is None and required:
                    return general(env)
                values[name] = value
            elif required:
                return general(env)
        return values

    return arguments
