"""The emulator's reading of a create (emulator/fields.py): form lists from `name[]`, values held to the schema,
names and aliases resolved, ids shaped per family."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from stt_cli.api.wire import form_fields
from stt_cli.emulator.fields import add_form_field, check_value, new_job_id, problems, resolve_model


def _read(fields: list[tuple[str, str]]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, text in fields:
        add_form_field(options, name, text)
    return options


def test_what_stt_writes_in_a_form_reads_back_as_its_lists() -> None:
    sent = {"tag": ["ci"], "search": "x", "custom_spelling": [{"from": "a", "to": "b"}], "diarize": True}
    assert _read(form_fields(sent)) == {
        "tag": ["ci"],
        "search": "x",
        "custom_spelling": ['{"from":"a","to":"b"}'],
        "diarize": "true",
    }
    assert _read([("tag", "a"), ("tag", "b"), ("tag", "c")]) == {"tag": ["a", "b", "c"]}  # repeated plain fields
    assert _read([("tag", "a"), ("tag[]", "b")]) == {"tag": ["a", "b"]}


@pytest.mark.parametrize(
    ("schema", "value", "form", "problem"),
    [
        ({"type": "array", "items": {"type": "string"}}, "ci", True, "must be an array"),
        ({"type": "array", "items": {"type": "string"}}, ["ci"], True, None),
        ({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}, "ci", True, None),
        ({"type": "array", "items": {"type": "number"}}, ["1", "2.5"], True, None),
        ({"type": "array", "items": {"type": "number"}}, ["x"], True, "each value must be a number"),
        ({"type": "object", "required": ["to"], "properties": {"to": {"type": "string"}}}, '{"to":"b"}', True, None),
        ({"type": "object", "required": ["to"]}, "{}", True, "must have the property to"),
        ({"type": "object"}, "not json", True, "must be an object (JSON text in a form)"),
        ({"type": "object", "properties": {"from": {"type": "string"}}}, {"from": ["a"]}, False,
         "property from must be a string, not a list"),
        ({"type": "integer", "nullable": True}, None, False, None),
        ({"type": "integer"}, None, False, "must not be null"),
    ],
)  # fmt: skip
def test_values_are_held_to_the_schema(schema: dict[str, Any], value: Any, form: bool, problem: str | None) -> None:
    assert check_value(schema, value, form) == problem


def test_names_resolve_exactly_to_their_model() -> None:
    assert resolve_model("slam-1", {}) == "aai/slam-1"
    assert resolve_model("nova-2", {}) == "#g1_nova-2-general"
    assert resolve_model("aai/slam-1", {}) == "aai/slam-1"
    assert resolve_model("SLAM-1", {}) is None and resolve_model(None, {}) is None
    assert resolve_model("elevenlabs/scribe_v2", {"elevenlabs/scribe_v2": None}) == "elevenlabs/scribe_v2"


def test_problems_name_each_field_then_the_documented_combinations() -> None:
    assert problems("nova-3", {"prompt": "x"}, False, {}) == ["property prompt should not exist"]
    assert problems("nope", {}, False, {}) == ["model: 'nope' is not one of the available models"]
    assert problems("aai/slam-1", {"language_detection": "true"}, True, {}) == [
        "language_detection: is not available for this model (its schema says language_detection is for universal only)"
    ]
    assert problems("x/new", {"anything": "1"}, True, {"x/new": None}) == []  # unpublished: unchecked
    assert problems("x/new", {"anything": "1"}, True, {"x/new": {}}) == ["property anything should not exist"]


@pytest.mark.parametrize(
    ("model_id", "envelope", "kind"),
    [("#g1_whisper-large", "a", "uuid"), ("aai/universal", "a", "uuid"), ("nova-3", "a", "uuid"),
     ("openai/gpt-4o-mini-transcribe", "a", "short"), ("microsoft/mai-transcribe-1.5", "a", "short"),
     ("vendor/new", "a", "short"), ("#g1_whisper-large", "b", "short")],
)  # fmt: skip
def test_ids_are_shaped_per_family(model_id: str, envelope: str, kind: str) -> None:
    for _ in range(200):
        job_id = new_job_id(model_id, envelope)
        if kind == "uuid":
            assert str(uuid.UUID(job_id)) == job_id
        else:
            assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{20}", job_id)
