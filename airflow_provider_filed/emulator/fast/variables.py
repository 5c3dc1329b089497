"""Request variables for compiled plans: plainly valid values are coerced here, anything else falls back.

graphql-core's ``get_variable_values`` walks every input value generically; a 500-input create spends a
sixth of its time there. The coercers below accept only values that are valid as they stand (a ``str``
for ``String``/``ID``, a ``list`` for a list type, a ``dict`` with known keys for an input object) and
build the same coerced values graphql-core would. Any other value, valid or not, raises :class:`Fallback`
so that the request runs on the general path, which then gives graphql-core's own answer or error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import CodeType
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    VariableDefinitionNode,
)
from graphql.execution.get_variable_signature import GraphQLVariableSignature, get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource

Coercer = Callable[[Any], Any]

JSON_SCALAR = "JSON"
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class Fallback(Exception):
    """The request needs graphql-core's general path; raised before anything is executed."""


class Unsupported(Exception):
    """A document the compiler leaves to the general path (raised at compile time only)."""


def _text(value: Any) -> str:
    if type(value) is not str:
        raise Fallback
    return value


def _int(value: Any) -> int:
    if type(value) is not int or not _INT_MIN <= value <= _INT_MAX:
        raise Fallback
    return value


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise Fallback
    return value


def _identity(value: Any) -> Any:
    return value


_SCALARS: dict[str, Coercer] = {
    GraphQLString.name: _text,
    GraphQLID.name: _text,
    GraphQLInt.name: _int,
    GraphQLBoolean.name: _bool,
    JSON_SCALAR: _identity,
}


def has_default(field: Any) -> bool:
    """Whether an input field or argument declares a default value (compiled plans leave those out)."""
    return getattr(field, "default", None) is not None or getattr(field, "default_value", Undefined) is not Undefined


def _enum(enum: GraphQLEnumType) -> Coercer:
    values = {name: value.value for name, value in enum.values.items()}

    def coerce(value: Any) -> Any:
        if type(value) is not str or value not in values:
            raise Fallback
        return values[value]

    return coerce


def _input_object(type_: GraphQLInputObjectType) -> Coercer:
    """An input object's coercer, generated once per type: straight-line code per field costs less than a
    loop over field descriptions, and a 250-alias artifacts request coerces 500 objects."""
    if type_.is_one_of or type_.out_type is not GraphQLInputObjectType.out_type:
        raise Unsupported(type_.name)
    lines = ["def coerce(value):", "    if type(value) is not dict:", "        raise Fallback", "    coerced = {}"]
    namespace: dict[str, Any] = {"Fallback": Fallback}
    for n, (name, field) in enumerate(type_.fields.items()):
        if has_default(field) or field.out_name:
            raise Unsupported(f"{type_.name}.{name}")
        lines += _input_field_lines(name, field.type, f"coerce{n}")
        namespace[f"coerce{n}"] = coercer(field.type)
    lines += ["    if len(coerced) != len(value):", "        raise Fallback", "    return coerced"]
    exec(_coercer_code("\n".join(lines) + "\n"), namespace)
    coerce: Coercer = namespace["coerce"]
    return coerce


def _input_field_lines(name: str, type_: GraphQLInputType, coerce_name: str) -> list[str]:
    """Source lines coercing one input field (its name checked by the parser, written with ``repr``): text is
    only type-checked, an optional ``JSON`` passes as it is, anything else goes through its own coercer;
    a key not among the fields makes ``coerced`` shorter than ``value``, so the object falls back."""
    required = isinstance(type_, GraphQLNonNull)
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    key = repr(name)
    if named is GraphQLString or named is GraphQLID:
        check = "type(field) is not str" if required else "type(field) is not str and field is not None"
        body = [f"        field = value[{key}]", f"        if {check}:", "            raise Fallback"]
        body += [f"        coerced[{key}] = field"]
    elif isinstance(named, GraphQLScalarType) and named.name == JSON_SCALAR and not required:
        body = [f"        coerced[{key}] = value[{key}]"]
    else:
        body = [f"        coerced[{key}] = {coerce_name}(value[{key}])"]
    missing = ["    else:", "        raise Fallback"] if required else []
    return [f"    if {key} in value:", *body, *missing]


@functools.lru_cache(maxsize=64)
def _coercer_code(source: str) -> CodeType:
    return compile(source, "<input object>", "exec")


def _list(item: Coercer) -> Coercer:
    def coerce(value: Any) -> list[Any]:
        if type(value) is not list:
            raise Fallback
        return [item(entry) for entry in value]

    return coerce


def _nullable(inner: Coercer) -> Coercer:
    def coerce(value: Any) -> Any:
        return None if value is None else inner(value)

    return coerce


def _non_null(inner: Coercer) -> Coercer:
    def coerce(value: Any) -> Any:
        if value is None:
            raise Fallback
        return inner(value)

    return coerce


def coercer(type_: GraphQLInputType) -> Coercer:
    """The coercer of one input type; raises :class:`Unsupported` for types it does not know."""
    if isinstance(type_, GraphQLNonNull):
        inner = _inner(type_.of_type)
        return inner if inner is not _identity else _non_null(inner)  # the others already refuse None
    return _nullable(_inner(type_))


def _inner(type_: GraphQLInputType) -> Coercer:
    if isinstance(type_, GraphQLList):
        return _list(coercer(type_.of_type))
    if isinstance(type_, GraphQLInputObjectType):
        return _input_object(type_)
    if isinstance(type_, GraphQLEnumType):
        return _enum(type_)
    if isinstance(type_, GraphQLScalarType) and type_.name in _SCALARS:
        if type_.name == JSON_SCALAR and type_.coerce_input_value is not GraphQLScalarType.parse_value:
            raise Unsupported(type_.name)
        return _SCALARS[type_.name]
    raise Unsupported(str(type_))


class OperationVariables:
    """The compiled variable definitions of one operation."""

    def __init__(self, schema: GraphQLSchema, definitions: Sequence[VariableDefinitionNode]) -> None:
        self._variables: list[tuple[str, GraphQLVariableSignature, Coercer, bool]] = []
        for node in definitions:
            signature = get_variable_signature(schema, node)
            if not isinstance(signature, GraphQLVariableSignature) or signature.default is not None:
                raise Unsupported(f"variable ${node.variable.name.value}")
            required = isinstance(signature.type, GraphQLNonNull)
            self._variables.append((signature.name, signature, coercer(signature.type), required))

    def coerce(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The coerced values by name, as ``get_variable_values`` gives them; :class:`Fallback` otherwise."""
        coerced: dict[str, Any] = {}
        for name, _, coerce, required in self._variables:
            if name in inputs:
                coerced[name] = coerce(inputs[name])
            elif required:
                raise Fallback
        return coerced

    def values(self, inputs: dict[str, Any], coerced: dict[str, Any]) -> VariableValues:
        """graphql-core's ``VariableValues`` for the same request (what ``get_argument_values`` reads)."""
        sources = {
            name: VariableValueSource(signature, inputs[name]) if name in inputs else VariableValueSource(signature)
            for name, signature, _, _ in self._variables
        }
        return VariableValues(sources, coerced)
