"""The combinations a model's documents rule out (api/combinations.py): from the schemas where they say it (a
field for some models only, a deprecated field), and the table of what only AssemblyAI's own pages say."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from stt_cli.api import combinations
from stt_cli.api.catalogue import model
from stt_cli.api.combinations import RULES, Clash, check, is_on


def test_slam_1_s_schema_limits_language_detection_to_universal() -> None:
    assert check("aai/slam-1", {"language_detection": True}) == [
        Clash("only", ("language_detection",), "aai/slam-1", "its schema says language_detection is for universal "
              "only", ("aai/universal",)),
    ]  # fmt: skip
    assert check("aai/universal", {"language_detection": True}) == []
    assert check("aai/slam-1", {"language_detection": "false"}) == []  # off, as a form says it


def test_summary_and_chapters_exclude_each_other_and_chapters_are_deprecated() -> None:
    both = check("aai/universal", {"summarization": "true", "auto_chapters": True})
    assert [(c.kind, c.fields, c.refused) for c in both] == [
        ("exclusive", ("summarization", "auto_chapters"), True),
        ("deprecated", ("auto_chapters",), False),
    ]
    assert check("aai/slam-1", {"auto_chapters": True})[0].instead == ("summarization",)


def test_a_summary_model_takes_a_summary_type() -> None:
    [clash] = check("aai/universal", {"summary_type": "gist"})
    assert clash.kind == "together" and clash.fields == ("summary_type", "summary_model")
    assert check("aai/universal", {"summary_type": "gist", "summary_model": "catchy"}) == []


def test_rules_apply_only_where_the_model_declares_the_fields() -> None:
    assert check("nova-3", {"summarize": "v2", "auto_chapters": True}) == []  # not AssemblyAI: its validation answers
    assert check("vendor/unknown", {"summarization": True, "auto_chapters": True}) == []
    assert {rule.family for rule in RULES} == {"AssemblyAI"}


def test_a_field_the_schema_marks_deprecated_is_warned_of(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = model("nova-3")
    assert entry is not None
    fields: dict[str, Any] = {**entry.fields, "numerals": {**entry.fields["numerals"], "deprecated": True}}
    monkeypatch.setattr(combinations, "model", lambda _id: replace(entry, fields=fields))
    assert check("nova-3", {"numerals": True}) == [
        Clash("deprecated", ("numerals",), "nova-3", "its schema marks numerals deprecated")
    ]


@pytest.mark.parametrize(
    ("value", "on"),
    [(True, True), ("true", True), ("v2", True), (0.5, True), (["a"], True), (False, False), ("false", False),
     ("", False), (None, False), ([], False)],
)  # fmt: skip
def test_what_asks_for_something(value: object, on: bool) -> None:
    assert is_on(value) is on
