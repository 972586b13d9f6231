"""Raw fields typed by the model's schema (api/params.py): JSON where the field takes that type, text where it
takes text, a list of one for a lone value of a list field; without a schema, JSON where it reads as JSON."""

from __future__ import annotations

from typing import Any

import pytest

from stt_cli.api.catalogue import model
from stt_cli.api.params import NotJson, accepts, read_json, typed, typed_all


def _field(model_id: str, name: str) -> dict[str, Any]:
    entry = model(model_id)
    assert entry is not None
    return entry.fields[name]


@pytest.mark.parametrize(
    ("model_id", "name", "raw", "expected"),
    [
        ("openai/gpt-4o-transcribe", "prompt", "123", "123"),  # a string field keeps the text as typed
        ("openai/gpt-4o-transcribe", "prompt", "true", "true"),
        ("openai/gpt-4o-transcribe", "prompt", "[1]", "[1]"),
        ("openai/gpt-4o-transcribe", "temperature", "0.2", 0.2),
        ("nova-3", "utt_split", "2", 2),
        ("nova-3", "mip_opt_out", "true", True),
        ("nova-3", "redact", "pci", "pci"),  # string or list of strings: one value is a string
        ("nova-3", "redact", '["pci","ssn"]', ["pci", "ssn"]),
        ("aai/universal", "word_boost", "stt", ["stt"]),  # list only: a lone value is a list of one
        ("aai/universal", "word_boost", '["a","b"]', ["a", "b"]),
        ("aai/universal", "redact_pii_policies", "person_name", ["person_name"]),
        ("aai/universal", "custom_spelling", '[{"from":"ai","to":"AI"}]', [{"from": "ai", "to": "AI"}]),
        ("aai/universal", "custom_spelling", '{"from":"ai","to":"AI"}', [{"from": "ai", "to": "AI"}]),
        ("aai/universal", "speakers_expected", "3", 3),
        ("aai/universal", "speakers_expected", "null", None),  # nullable
        ("aai/universal", "speakers_expected", "two", "two"),  # not an integer: sent, the service answers
        ("aai/universal", "speech_threshold", "1", 1),
        ("#g1_whisper-large", "tag", "ci", ["ci"]),
        ("#g1_whisper-large", "keywords", "stt:2", "stt:2"),
    ],
)
def test_a_value_is_typed_by_its_field_s_schema(model_id: str, name: str, raw: str, expected: object) -> None:
    value = typed(raw, _field(model_id, name))
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("b", "b"), ("true", True), ("-3", -3), ("1e3", 1000.0), ("0.5", 0.5), ("", ""), ("[1,true]", [1, True]),
     ('{"k":1}', {"k": 1}), ("null", None), ("NaN", "NaN"), ("--x", "--x"), ('"quoted"', "quoted")],
)  # fmt: skip
def test_without_a_schema_what_reads_as_json_is_json(raw: str, expected: object) -> None:
    assert typed(raw, None) == expected


def test_a_field_given_again_is_a_list_of_its_items_types() -> None:
    assert typed_all(["pci", "ssn"], _field("nova-3", "redact")) == ["pci", "ssn"]
    assert typed_all(["1", "2"], {"type": "array", "items": {"type": "number"}}) == [1, 2]  # numbers stay numbers
    assert typed_all(["1", "x"], None) == [1, "x"]
    spelled = typed_all(['{"from":"a","to":"b"}', '{"from":"c","to":"d"}'], _field("aai/slam-1", "custom_spelling"))
    assert spelled == [{"from": "a", "to": "b"}, {"from": "c", "to": "d"}]


def test_accepts_reads_types_not_bounds() -> None:
    assert accepts({"type": "number"}, 3) and accepts({"type": "integer"}, 3.0)
    assert not accepts({"type": "integer"}, 3.5)
    assert accepts({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}, ["a"])
    assert not accepts({"type": "array", "items": {"type": "string"}}, [1])
    assert not accepts({"type": "boolean"}, None) and accepts({"type": "boolean", "nullable": True}, None)
    assert accepts({}, {"any": "thing"})


@pytest.mark.parametrize("text", ["[x", "NaN", "Infinity", "", "{'a': 1}"])
def test_read_json_refuses_what_json_cannot_carry(text: str) -> None:
    with pytest.raises(NotJson):
        read_json(text)


@pytest.mark.parametrize("depth", [33, 900, 50_000])
def test_read_json_refuses_nesting_no_schema_takes_without_a_traceback(depth: int) -> None:
    with pytest.raises(NotJson, match="nested deeper than 32"):
        read_json("[" * depth + "]" * depth)
    with pytest.raises(NotJson, match="nested deeper than 32"):
        read_json('{"a":' * depth + "1" + "}" * depth)


def test_read_json_takes_nesting_up_to_its_bound() -> None:
    assert read_json("[" * 32 + "]" * 32) is not None
    assert read_json('[{"from": ["ai"], "to": "AI"}]') == [{"from": ["ai"], "to": "AI"}]


def test_a_param_nested_too_deep_for_json_is_sent_as_text() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    assert typed(deep, None) == deep
