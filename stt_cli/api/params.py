"""Raw request fields (`KEY=VALUE` as typed) given their JSON type by the chosen model's schema.

A value that reads as JSON (a number, true/false, null, an array, an object) goes as that JSON where the field's
schema takes that type, and stays the text as typed where the field takes text: `prompt=123` is "123" for
gpt-4o, whose prompt is a string, and `utt_split=2` the number 2 for Nova-3. A lone value for a list-only field
is a list of one (`word_boost=stt` is ["stt"]). Without a schema (a field the model does not declare, a model
stt's list lacks) what reads as JSON is sent as JSON, the rest as text: the service's validation answers.
"""

from __future__ import annotations

import json
from typing import Any

from stt_cli.api.wire import OptionValue

MAX_DEPTH = 32  # custom_spelling, the deepest field any schema declares, is 3 deep: past this is no field's value
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def schema_types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a field's schema takes (anyOf flattened; "null" where it is nullable); empty: any."""
    types: set[str] = set()
    for option in [schema, *schema.get("anyOf", [])]:
        kind = option.get("type")
        if isinstance(kind, str):
            types.add(kind)
        if option.get("nullable") is True:
            types.add("null")
    return types


def items_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a list field's items (the array member of an anyOf too), or None."""
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "array":
            items = option.get("items")
            return items if isinstance(items, dict) else {}
    return None


def json_type(value: object) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), "object")


def accepts(schema: dict[str, Any], value: object) -> bool:
    """Whether the field's schema takes the value's JSON type (each item's too, for a list); not its bounds or
    enums, which the service checks."""
    types = schema_types(schema)
    kind = json_type(value)
    if not types - {"null"}:
        return kind != "null" or "null" in types or not types
    if kind == "integer" and "number" in types:
        return True
    if kind == "number" and "integer" in types and isinstance(value, float) and value.is_integer():
        return True
    if kind == "array" and "array" in types:
        items = items_schema(schema) or {}
        assert isinstance(value, list)
        return all(accepts(items, item) for item in value)
    return kind in types


class NotJson(ValueError):
    """Text that is no JSON value (or one JSON cannot carry: NaN, Infinity)."""


def read_json(text: str) -> OptionValue:
    """The JSON value the text spells, or NotJson (nested past MAX_DEPTH too: the parser's recursion would end
    the run with a traceback, and no schema takes such a value)."""
    try:
        value: OptionValue = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        raise NotJson(str(exc)) from None
    except RecursionError:
        raise NotJson(f"nested deeper than {MAX_DEPTH} levels") from None
    if _deeper_than(value, MAX_DEPTH):
        raise NotJson(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _deeper_than(value: object, depth: int) -> bool:
    """Whether lists and objects nest more than `depth` deep (walked without recursion)."""
    level: list[object] = [value]
    for _ in range(depth):
        level = [
            inner
            for outer in level
            if isinstance(outer, list | dict)
            for inner in (outer.values() if isinstance(outer, dict) else outer)
        ]
        if not level:
            return False
    return any(isinstance(item, list | dict) for item in level)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is no JSON number")


def typed(raw: str, schema: dict[str, Any] | None) -> OptionValue:
    """One value as the field's schema types it (see the module's docstring)."""
    try:
        parsed: OptionValue = read_json(raw)
        is_json = True
    except NotJson:
        parsed, is_json = raw, False
    if schema is None:
        return parsed
    if is_json and accepts(schema, parsed):
        return parsed
    types = schema_types(schema)
    if "string" in types or not types - {"null"}:
        return raw
    items = items_schema(schema)
    if items is not None:  # a lone value for a list field: a list of one, typed as its items are
        return [typed(raw, items)]
    return parsed


def typed_all(raws: list[str], schema: dict[str, Any] | None) -> OptionValue:
    """A field given once, or several times (a list: each value typed as the field's items, or as the field where
    it takes no list, which the service then refuses)."""
    if len(raws) == 1:
        return typed(raws[0], schema)
    item = schema if schema is None else (items_schema(schema) or schema)
    return [typed(raw, item) for raw in raws]
