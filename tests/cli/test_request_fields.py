"""Each transcription option's wire form: sent only when set, JSON-typed for URLs, form fields for uploads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle

ROOT = Path(__file__).resolve().parents[2]
PINNED = ROOT / "tests" / "data" / "provider-schemas"

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
        ("openai/gpt-4o-transcribe", ["--param", "prompt=123"], {"prompt": "123"}),  # its schema says string
        ("openai/gpt-4o-transcribe", ["--param", "prompt=true"], {"prompt": "true"}),
        ("aai/universal", ["--param", "word_boost=stt"], {"word_boost": ["stt"]}),  # a list field: a list of one
        (
            "aai/universal",
            ["--param", "speakers_expected=3", "--param", "speech_threshold=0.5"],
            {"speakers_expected": 3, "speech_threshold": 0.5},
        ),
        ("aai/universal", ["--param", "speakers_expected=null"], {"speakers_expected": None}),  # nullable
        ("aai/universal", ["--param-json", 'word_boost=["a", "b"]'], {"word_boost": ["a", "b"]}),
        ("openai/gpt-4o-transcribe", ["--param-json", 'prompt="123"'], {"prompt": "123"}),
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


SPELLING = [{"from": "cyber security", "to": "cybersecurity"}, {"from": "ai", "to": "AI"}]


@pytest.mark.parametrize(
    "args",
    [
        ["--param", f"custom_spelling={json.dumps(SPELLING)}"],
        ["--param-json", f"custom_spelling={json.dumps(SPELLING)}"],
        [
            "--param",
            f"custom_spelling={json.dumps(SPELLING[0])}",
            "--param",
            f"custom_spelling={json.dumps(SPELLING[1])}",
        ],
    ],
)
def test_custom_spelling_reaches_the_emulator_as_an_array_of_objects(
    cli, emulator: EmulatorHandle, talk: Path, args: list[str]
) -> None:
    """In a JSON body, the array of objects itself; in a form, one `custom_spelling[]` field each, its JSON text.
    Both held by the emulator to the published schema (its `from` is a string there, not AssemblyAI's list)."""
    import jsonschema

    by_url = cli("submit", "https://x/a.wav", "-m", "aai/universal", *args)
    assert by_url.exit_code == 0, by_url.stderr
    upload = cli("submit", str(talk), "-m", "slam-1", *args)
    assert upload.exit_code == 0, upload.stderr
    json_create, form_create = emulator.creates()
    assert json_create["options"] == {"custom_spelling": SPELLING}
    assert form_create["form_fields"] == ["model", "custom_spelling[]", "custom_spelling[]"]
    assert [json.loads(text) for text in form_create["options"]["custom_spelling"]] == SPELLING
    schema = json.loads((PINNED / "create.AssemblyAI__universal.json").read_text())["request_schema"]
    jsonschema.validate(json_create["options"]["custom_spelling"], schema["properties"]["custom_spelling"])


def test_a_value_the_published_schema_refuses_is_the_emulator_s_400(cli, emulator: EmulatorHandle) -> None:
    wrong = json.dumps([{"from": ["cyber security"], "to": "cybersecurity"}])  # AssemblyAI's own shape
    result = cli("submit", "https://x/a.wav", "-m", "aai/universal", "--param-json", f"custom_spelling={wrong}")
    assert result.exit_code == 4 and "custom_spelling: each value property from must be a string" in result.stderr


@pytest.mark.parametrize(
    ("item", "needle"),
    [
        ("custom_spelling=[{", "--param-json custom_spelling: '[{' is not valid JSON"),
        ("custom_spelling", "--param-json 'custom_spelling' is not KEY=VALUE"),
        ("speech_threshold=NaN", "--param-json speech_threshold: 'NaN' is not valid JSON"),
    ],
)
def test_param_json_that_is_no_json_is_refused_in_one_line(
    cli, emulator: EmulatorHandle, item: str, needle: str
) -> None:
    result = cli("submit", "https://x/a.wav", "-m", "aai/universal", "--param-json", item)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert needle in result.stderr
    assert emulator.requests() == []


# --- Lists in a form: name[] fields, a list of one too -------------------------------------------------------
@pytest.mark.parametrize(
    ("model_id", "args", "field"),
    [
        ("#g1_whisper-large", ["--tag", "ci"], "tag"),
        ("aai/universal", ["--keywords", "kubernetes"], "word_boost"),
        ("aai/slam-1", ["--redact-pii", "--redact-pii-policy", "person_name"], "redact_pii_policies"),
    ],
)
def test_a_list_field_of_one_value_goes_as_a_list(
    cli, emulator: EmulatorHandle, talk: Path, model_id: str, args: list[str], field: str
) -> None:
    result = cli("submit", str(talk), "-m", model_id, *args)
    assert result.exit_code == 0, result.stderr
    [create] = emulator.creates()
    assert f"{field}[]" in create["form_fields"] and field not in create["form_fields"]
    assert create["options"][field] == [args[-1]]  # the server reads a list, not the string


def test_a_lone_form_field_where_the_schema_says_array_is_a_string_and_refused(
    emulator: EmulatorHandle, talk: Path
) -> None:
    """What stt sent before: `tag=ci` is the text "ci" to the form reader, which the list-only field refuses;
    where the field takes text or a list (Nova-3's tag), it is text."""
    refused = _upload(emulator, talk, [("model", "#g1_whisper-large"), ("tag", "ci")])
    assert refused[0] == 400 and "tag: must be an array" in refused[1]["message"]
    assert _upload(emulator, talk, [("model", "#g1_whisper-large"), ("tag", "a"), ("tag", "b")])[0] == 200
    assert _upload(emulator, talk, [("model", "nova-3"), ("tag", "ci")])[0] == 200
    assert [c["options"]["tag"] for c in emulator.creates() if c["outcome"] == "created"] == [["a", "b"], "ci"]
    # As the provider's SDK writes a list in a form (OpenAI's client, brackets format): a list of one.
    assert _upload(emulator, talk, [("model", "aai/universal"), ("word_boost[]", "stt")])[0] == 200
    assert emulator.creates()[-1]["options"] == {"word_boost": ["stt"]}


def _upload(emulator: EmulatorHandle, talk: Path, fields: list[tuple[str, str]]) -> tuple[int, dict[str, Any]]:
    """A multipart create with these fields, as another client would send it."""
    import urllib.error
    import urllib.request

    boundary = "stt-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode() for n, v in fields]
    audio = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="talk.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    body = b"".join(parts) + audio + talk.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        emulator.base_url + "/stt/create",
        data=body,
        method="POST",
        headers={"Authorization": "Bearer k", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


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
