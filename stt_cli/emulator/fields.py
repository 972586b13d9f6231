"""What the emulator makes of a create's model and fields, as the provider's documents say the gateway does: a
name or alias resolved to its model, form fields read back into their types, every field held to the model's
published schema and its documented combinations, and the new job's id shaped as that model's pages show."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from stt_cli.api.catalogue import all_models, family_of, model_names
from stt_cli.api.catalogue import model as catalogue_model
from stt_cli.api.combinations import check as combinations
from stt_cli.api.wire import LIST_SUFFIX

# Models the service has and stt's catalogue lacks (a test's, or `POST /_emulator/models`): id -> the request
# fields its schema declares, or None when no schema is published (its fields are then taken unchecked).
ExtraModels = dict[str, dict[str, Any] | None]

# The short ids of the newer models' pages (gpt-4o `RlLz0hRdAs9voL5Qi1Pzr`, MAI `XY3D-mYpFxC-WIx-Lv3wh`, the
# tracing page's `V1StGXR8Z5jdHi6BmyT8k`): 21 characters of nanoid's URL-safe alphabet.
SHORT_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
SHORT_ID_LENGTH = 21


def resolve_model(name: object, extra: ExtraModels) -> str | None:
    """The model a create names: an id, or an alias the gateway takes for it (the catalogue's aliases, which
    include the ids the schemas' enums spell differently: whisper-large, nova-2-general, slam-1); None: unknown.
    Exact, as the schemas' enums are: the case-insensitive match is the model list's lookup, not the create's."""
    if not isinstance(name, str) or not name:
        return None
    if name in extra:
        return name
    return model_names().get(name)


def new_job_id(model: str, envelope: str) -> str:
    """An id shaped as the model's pages show it: a UUID for Whisper, Nova and AssemblyAI (the pages' examples
    e3d46bba-7562-..., 227b2ca6-72a6-...), a 21-character short id for gpt-4o and MAI, for a model the catalogue
    lacks (newer models), and for every model in envelope B, the gateway's current fetch schema."""
    family = family_of(model)
    if envelope == "a" and family is not None and family.shape != "text":
        return str(uuid.uuid4())
    while True:
        job_id = "".join(secrets.choice(SHORT_ID_ALPHABET) for _ in range(SHORT_ID_LENGTH))
        # A short id may start with "-" (1 in 64): stt refuses such an id, which a script's `stt fetch "$id"`
        # would read as an option. The emulator draws again rather than fail a test one time in 64.
        if not job_id.startswith("-"):
            return job_id


def add_form_field(options: dict[str, Any], name: str, text: str) -> None:
    """A form field read back as the gateway's form reader does: `name[]` is always a list (one item or more),
    a plain `name` given twice a list too, a plain `name` once its text."""
    # Lists grow in place: a field repeated n times costs n, not n squared (issue 25: 8 MB of one field).
    key = name[: -len(LIST_SUFFIX)] if name.endswith(LIST_SUFFIX) else name
    previous = options.get(key)
    if isinstance(previous, list):
        previous.append(text)
    elif name.endswith(LIST_SUFFIX):
        options[key] = [text] if previous is None else [previous, text]
    elif key in options:
        options[key] = [previous, text]
    else:
        options[key] = text


def problems(model: Any, options: dict[str, Any], form: bool, extra: ExtraModels) -> list[str]:
    """What the gateway would refuse in a create, as "field: problem" lines (none: it is accepted). Form fields
    arrive as text and are read as the schema types them (booleans true/false, numbers in decimal, objects as
    JSON text, lists as `name[]` fields)."""
    if not isinstance(model, str) or not model:
        return ["model: is required"]
    if model in extra:
        declared = extra[model]
        if declared is None:  # no published schema: nothing to hold its fields to
            return []
        fields = declared
    elif model in all_models():
        entry = catalogue_model(model)
        assert entry is not None
        fields = entry.fields
    else:
        return [f"model: {model!r} is not one of the available models"]
    found = []
    for name, value in options.items():
        schema = fields.get(name)
        if schema is None:
            found.append(f"property {name} should not exist")
            continue
        problem = check_value(schema, value, form)
        if problem is not None:
            found.append(f"{name}: {problem}")
    if not found:
        found = [
            f"{clash.fields[0]}: {_refusal(clash.kind, clash.fields, clash.why)}"
            for clash in combinations(model, options)
            if clash.refused
        ]
    return found


def _refusal(kind: str, fields: tuple[str, ...], why: str) -> str:
    others = ", ".join(fields[1:])
    if kind == "exclusive":
        return f"cannot be used together with {others} ({why})"
    if kind == "together":
        return f"requires {others} ({why})"
    return f"is not available for this model ({why})"


def check_value(schema: dict[str, Any], value: Any, form: bool) -> str | None:
    """What is wrong with a value for a field's schema, or None. From a form, text is read as the schema's type;
    a lone text where the schema takes only a list is that text, which is no list (a list of one comes as
    `name[]`)."""
    if "anyOf" in schema:
        problems = [check_value(option, value, form) for option in schema["anyOf"] if option.get("type")]
        return None if any(p is None for p in problems) else (problems[0] if problems else None)
    if value is None:
        return None if schema.get("nullable") is True else "must not be null"
    kind = schema.get("type")
    if kind == "array":
        if not isinstance(value, list):
            return "must be an array"
        item_schema = schema.get("items", {})
        return next((f"each value {p}" for item in value if (p := check_value(item_schema, item, form))), None)
    if isinstance(value, list):
        return f"must be a {kind}, not a list"
    if kind == "boolean":
        ok = value in ("true", "false") if form else isinstance(value, bool)
        return None if ok else "must be a boolean value"
    if kind in ("number", "integer"):
        return _number_problem(schema, kind, value, form)
    if kind == "string":
        if not isinstance(value, str):
            return "must be a string"
        allowed = schema.get("enum")
        if allowed and value not in allowed:
            return f"must be one of the following values: {', '.join(map(str, allowed))}"
        return None
    if kind == "object":
        return _object_problem(schema, value, form)
    return None


def _number_problem(schema: dict[str, Any], kind: str, value: Any, form: bool) -> str | None:
    try:
        number = float(value) if form and isinstance(value, str) else value
    except ValueError:
        return f"must be a {kind}"
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return f"must be a {kind}"
    if kind == "integer" and not float(number).is_integer():
        return "must be an integer number"
    if "minimum" in schema and number < schema["minimum"]:
        return f"must not be less than {schema['minimum']}"
    if "maximum" in schema and number > schema["maximum"]:
        return f"must not be greater than {schema['maximum']}"
    return None


def _object_problem(schema: dict[str, Any], value: Any, form: bool) -> str | None:
    """An object (from a form: its JSON text) with its required properties, each of its declared type."""
    if form and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return "must be an object (JSON text in a form)"
    if not isinstance(value, dict):
        return "must be an object"
    missing = [name for name in schema.get("required", []) if name not in value]
    if missing:
        return f"must have the property {missing[0]}"
    for name, item in value.items():
        declared = schema.get("properties", {}).get(name)
        problem = check_value(declared, item, False) if declared is not None else None
        if problem is not None:
            return f"property {name} {problem}"
    return None
