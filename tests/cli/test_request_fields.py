"""Each transcription option's wire form: sent only when set, JSON-typed for URLs, form fields for uploads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EmulatorHandle

EVERY_OPTION = [
    "--language",
    "de-CH",
    "--detect-language",
    "--no-punctuate",
    "--smart-format",
    "--diarize",
    "--diarize-version",
    "2024-01-09",
    "--paragraphs",
    "--utterances",
    "--utt-split",
    "1.25",
    "--numerals",
    "--measurements",
    "--dictation",
    "--profanity-filter",
    "--filler-words",
    "--multi-channel",
    "--keywords",
    "stt:2",
    "--search",
    "speech",
    "--summarize",
    "--topics",
    "--detect-topics",
    "--intents",
    "--sentiment",
    "--detect-entities",
    "--custom-topic",
    "audio",
    "--custom-topic",
    "tools",
    "--custom-topic-mode",
    "strict",
    "--custom-intent",
    "inform",
    "--custom-intent-mode",
    "EXTENDED",
    "--tag",
    "ci",
    "--tag",
    "nightly",
    "--extra",
    "team:core",
]


JSON_FORM = {
    "language": "de-CH",
    "detect_language": True,
    "punctuate": False,
    "smart_format": True,
    "diarize": True,
    "diarize_version": "2024-01-09",
    "paragraphs": True,
    "utterances": True,
    "utt_split": 1.25,
    "numerals": True,
    "measurements": True,
    "dictation": True,
    "profanity_filter": True,
    "filler_words": True,
    "multi_channel": True,
    "keywords": "stt:2",  # Whisper's keywords is one string: one --keywords
    "search": "speech",
    "summarize": "v2",
    "topics": True,
    "detect_topics": True,
    "intents": True,
    "sentiment": True,
    "detect_entities": True,
    "custom_topic": ["audio", "tools"],
    "custom_topic_mode": "strict",
    "custom_intent": "inform",  # string or list: one value goes as a string
    "custom_intent_mode": "extended",
    "tag": ["ci", "nightly"],
    "extra": "team:core",
}


def _as_form(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


def test_nothing_but_the_model_is_sent_by_default(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("submit", str(talk)).exit_code == 0
    assert cli("submit", "https://example.com/a.wav").exit_code == 0
    assert [(c["model"], c["options"]) for c in emulator.creates()] == [("#g1_whisper-large", {})] * 2


def test_every_option_as_json_types_for_a_url(cli, emulator: EmulatorHandle) -> None:
    result = cli("submit", "https://example.com/a.wav", *EVERY_OPTION)
    assert result.exit_code == 0, result.stderr
    [create] = emulator.creates()
    assert create["options"] == JSON_FORM


def test_every_option_as_form_fields_for_an_upload(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("submit", str(talk), *EVERY_OPTION)
    assert result.exit_code == 0, result.stderr
    [create] = emulator.creates()
    assert create["options"] == {k: _as_form(v) for k, v in JSON_FORM.items()}


@pytest.mark.parametrize(
    ("model", "args", "expected"),
    [
        ("nova-3", ["--param", "keyterm=stt"], {"keyterm": "stt"}),
        ("nova-3", ["--param", "mip_opt_out=true"], {"mip_opt_out": True}),
        ("nova-3", ["--param", "utt_split=2"], {"utt_split": 2}),
        ("openai/gpt-4o-transcribe", ["--param", "temperature=0.2"], {"temperature": 0.2}),
        ("nova-3", ["--param", "redact=pci", "--param", "redact=ssn"], {"redact": ["pci", "ssn"]}),
        ("nova-3", ["--param", 'replace=["a:b"]'], {"replace": ["a:b"]}),
        ("openai/gpt-4o-transcribe", ["--param", "prompt=a=b"], {"prompt": "a=b"}),
        ("nova-3", ["--language", "en", "--param", "language=fr"], {"language": "fr"}),
    ],
)
def test_param_values_are_typed(
    cli, emulator: EmulatorHandle, model: str, args: list[str], expected: dict[str, object]
) -> None:
    result = cli("submit", "https://example.com/a.wav", "--model", model, *args)
    assert result.exit_code == 0, result.stderr
    [create] = emulator.creates()
    assert create["model"] == model
    assert create["options"] == expected


def test_param_is_sent_unchecked_and_the_emulator_holds_it_to_the_schema(cli, emulator: EmulatorHandle) -> None:
    result = cli("submit", "https://example.com/a.wav", "--model", "nova-3", "--param", "prompt=hello")
    assert result.exit_code == 4  # --param is the raw escape hatch: the gateway's validation answers
    assert "property prompt should not exist" in result.stderr


# --- The model: an alias goes on the wire as its id ----------------------------------------------------
@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("whisper-large", "#g1_whisper-large"),
        ("nova-2", "#g1_nova-2-general"),
        ("nova-2-meeting", "#g1_nova-2-meeting"),
        ("NOVA-3", "nova-3"),
        ("slam-1", "aai/slam-1"),
        ("universal", "aai/universal"),
        ("gpt-4o-mini-transcribe", "openai/gpt-4o-mini-transcribe"),
        ("mai-transcribe-1.5", "microsoft/mai-transcribe-1.5"),
    ],
)
def test_an_alias_is_sent_as_its_id(cli, emulator: EmulatorHandle, name: str, sent: str) -> None:
    result = cli("submit", "https://example.com/talk.wav", "-m", name, "--json")
    assert result.exit_code == 0, result.stderr
    assert emulator.creates()[-1]["model"] == sent
    assert json.loads(result.stdout)["model"] == sent


def test_an_alias_and_its_id_are_one_model_to_the_ledger_and_its_fields(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    """Resolved once, in the request: the upload field, the fields and the ledger's reuse all see the id."""
    first = cli("run", str(talk), "-m", "gpt-4o-transcribe", "--language", "en")
    assert first.exit_code == 0, first.stderr
    [create] = emulator.creates()
    assert create["model"] == "openai/gpt-4o-transcribe" and create["upload_field"] == "file"
    assert create["options"] == {"language": "en"}
    again = cli("run", str(talk), "-m", "openai/gpt-4o-transcribe", "--language", "en")
    assert again.exit_code == 0 and again.stdout == first.stdout
    assert len(emulator.creates()) == 1  # the same job, reused
    srt = cli("run", str(talk), "-m", "gpt-4o-transcribe", "-f", "srt")
    assert srt.exit_code == 2 and "openai/gpt-4o-transcribe returns text without word timings" in srt.stderr
