"""Every family in its own dialect: each flag against one model of every family, for URL jobs and uploads,
sent in the model's own field or refused before anything is sent; the emulator holds requests to the schemas."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle, start_emulator

from stt_cli.api.catalogue import model
from stt_cli.api.dialects import FLAGS, field_of
from stt_cli.cli.spelling import option_flag as flag_name

ROOT = Path(__file__).resolve().parents[2]
PINNED_SCHEMAS = ROOT / "tests" / "data" / "provider-schemas"


# One model of every family.
MODELS = ("#g1_whisper-large", "#g1_nova-2-meeting", "nova-3", "aai/universal", "openai/gpt-4o-transcribe",
          "microsoft/mai-transcribe-1.5")  # fmt: skip


# What each flag is given in the table.
ARGS: dict[str, list[str]] = {
    "language": ["--language", "en"],
    "diarize_version": ["--diarize-version", "2024-01-09"],
    "keywords": ["--keywords", "kubernetes"],
    "prompt": ["--prompt", "a glossary: stt, CLI"],
    "search": ["--search", "speech"],
    "custom_topic": ["--custom-topic", "audio", "--custom-topic", "tools"],
    "custom_topic_mode": ["--custom-topic-mode", "strict"],
    "custom_intent": ["--custom-intent", "inform"],
    "custom_intent_mode": ["--custom-intent-mode", "extended"],
    "tag": ["--tag", "ci", "--tag", "nightly"],
    "extra": ["--extra", "team:core"],
    "utt_split": ["--utt-split", "1.25"],
    "speakers_expected": ["--speakers-expected", "2"],
    "temperature": ["--temperature", "0.5"],
    "redact_pii_policy": ["--redact-pii-policy", "person_name", "--redact-pii-policy", "email_address"],
    "punctuate": ["--no-punctuate"],
}


TABLE = [(flag.key, name, kind) for flag in FLAGS for name in MODELS for kind in ("url", "upload")]


def _args(key: str) -> list[str]:
    return ARGS.get(key, [flag_name(key)])


def _provider_schema(model_id: str) -> dict[str, Any]:
    """The provider's own schema file for the model (pinned in tests/data: unit/test_catalogue.py keeps it the
    provider's current one); the documented gaps (no `url` in the #g1_ schemas, `slam-1` in the enum of
    aai/slam-1) allowed for."""
    entry = model(model_id)
    assert entry is not None
    path = PINNED_SCHEMAS / entry.schema_file
    schema = json.loads(path.read_text(encoding="utf-8"))["request_schema"]
    schema["properties"]["model"] = {"type": "string", "enum": [model_id]}
    schema["properties"].setdefault("url", {"type": "string"})
    return schema


def _typed(schema: dict[str, Any], value: Any) -> Any:
    """A form field's text read as its schema types it (booleans, numbers, a list of one)."""
    kinds = [o.get("type") for o in schema.get("anyOf", [schema])]
    if "array" in kinds and not isinstance(value, list) and "string" not in kinds:
        value = [value]
    if isinstance(value, list):
        items = next((o.get("items", {}) for o in schema.get("anyOf", [schema]) if o.get("type") == "array"), {})
        return [_typed(items, v) for v in value]
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    if "integer" in kinds and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "number" in kinds:
        try:
            return float(value)
        except ValueError:
            return value
    return value


# --- the emulator answers as the gateway does -----------------------------------------------------------
def _post(emulator: EmulatorHandle, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        emulator.base_url + "/stt/create",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(("key", "model_id", "kind"), TABLE, ids=[f"{k}-{m}-{s}" for k, m, s in TABLE])
def test_each_flag_goes_out_in_the_model_s_own_field_or_is_refused(
    cli, emulator: EmulatorHandle, talk: Path, key: str, model_id: str, kind: str
) -> None:
    import jsonschema

    entry = model(model_id)
    assert entry is not None
    flag = next(f for f in FLAGS if f.key == key)
    source = "https://example.com/talk.wav" if kind == "url" else str(talk)
    result = cli("submit", source, "--model", model_id, *_args(key))
    field = field_of(entry, flag)
    if field is None:
        assert result.exit_code == 2, result.stderr
        assert model_id in result.stderr and "models that take it" in result.stderr
        assert emulator.requests() == []  # refused before anything was sent
        return
    assert result.exit_code == 0, result.stderr
    [create] = emulator.creates()
    sent = create["options"]
    assert set(sent) == {field}  # only the model's own field for this flag
    schema = _provider_schema(model_id)
    body = {"model": model_id, **sent} if kind == "url" else {
        "model": model_id, **{n: _typed(schema["properties"][n], v) for n, v in sent.items()}
    }  # fmt: skip
    jsonschema.validate({**body, "url": source} if kind == "url" else body, schema)


@pytest.mark.parametrize(
    ("model_id", "args", "why"),
    [
        ("#g1_whisper-large", ["--keywords", "a:2", "--keywords", "b:1"], "takes one value, not 2"),
        ("#g1_whisper-large", ["--search", "a", "--search", "b"], "takes one value, not 2"),
        ("#g1_whisper-large", ["--extra", "a:b", "--extra", "c:d"], "takes one value, not 2"),
        ("nova-3", ["--keywords", "stt:2"], "takes terms without a boost"),
        ("aai/universal", ["--redact-pii-policy", "nonsense"], "is not one of its values"),
        ("openai/gpt-4o-transcribe", ["--temperature", "1.5"], "above its maximum"),
        ("openai/gpt-4o-transcribe", ["--keywords", "stt"], "--prompt"),
        ("openai/gpt-4o-mini-transcribe", ["--diarize"], "not an option of openai/gpt-4o-mini-transcribe"),
        ("microsoft/mai-transcribe-1.5", ["--language", "en"], "not an option of microsoft/mai-transcribe-1.5"),
    ],
)
def test_refused_combinations_say_why_and_send_nothing(
    cli, emulator: EmulatorHandle, talk: Path, model_id: str, args: list[str], why: str
) -> None:
    result = cli("run", str(talk), "--model", model_id, *args)
    assert result.exit_code == 2
    assert why in result.stderr and result.stderr.count("\n") == 1
    assert emulator.requests() == []


def test_several_values_go_as_a_list_where_the_field_takes_one(cli, emulator: EmulatorHandle) -> None:
    assert cli("submit", "https://x/a.wav", "-m", "nova-3", "--keywords", "a", "--keywords", "b").exit_code == 0
    assert cli("submit", "https://x/b.wav", "-m", "nova-3", "--keywords", "solo").exit_code == 0
    assert cli("submit", "https://x/c.wav", "-m", "aai/universal", "--keywords", "solo").exit_code == 0
    sent = [c["options"] for c in emulator.creates()]
    assert sent == [{"keyterm": ["a", "b"]}, {"keyterm": "solo"}, {"word_boost": ["solo"]}]


# --- A model stt's list lacks: raw fields only, unchecked; the emulator knows it only when told -------------
SCRIBE = "elevenlabs/scribe_v2"  # on the provider's site, its schema not yet published


def test_an_unchecked_model_takes_no_typed_flag(cli, emulator: EmulatorHandle, talk: Path) -> None:
    """Which of its fields carries --diarize (and in which type) is unknown: refused, with the way to send it."""
    emulator.control("models", {"id": SCRIBE, "fields": None})
    result = cli("submit", str(talk), "--model-unchecked", SCRIBE, "--diarize")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert f"--diarize cannot be sent to {SCRIBE}" in result.stderr and "--param FIELD=VALUE" in result.stderr
    assert emulator.requests() == []


def test_an_unchecked_model_takes_raw_fields_with_a_note(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.control("models", {"id": SCRIBE, "fields": None})  # the service has it, its schema unpublished
    raw = ["--param", "language_code=en", "--param", "diarize=true", "--param", "timestamps=[1,2.5]"]
    by_url = cli("submit", "https://x/a.wav", "--model-unchecked", SCRIBE, *raw)
    assert by_url.exit_code == 0, by_url.stderr
    note = f"{SCRIBE} is not in stt's model list: its fields (language_code, diarize, timestamps) are sent unchecked"
    assert note in by_url.stderr and by_url.stderr.count("\n") == 1
    done = cli("run", str(talk), "--model-unchecked", SCRIBE, *raw)
    assert done.exit_code == 0 and done.stdout.startswith("Speaker 0: Welcome to the speech to text")
    url, upload = emulator.creates()
    assert (url["model"], upload["model"]) == (SCRIBE, SCRIBE)
    assert url["options"] == {"language_code": "en", "diarize": True, "timestamps": [1, 2.5]}  # numbers stay numbers
    assert upload["options"] == {"language_code": "en", "diarize": "true", "timestamps": ["1", "2.5"]}
    assert upload["form_fields"] == ["model", "language_code", "diarize", "timestamps[]", "timestamps[]"]


def test_an_unchecked_model_the_service_lacks_is_its_400(cli, emulator: EmulatorHandle, talk: Path) -> None:
    """As the gateway does for a name it does not know: 400, shown with where the id came from."""
    result = cli("submit", str(talk), "--model-unchecked", "vendor/new-model", "--param", "x=1")
    assert result.exit_code == 4  # the emulator, like the service, knows no such model
    assert "'vendor/new-model' was sent unchecked (from --model-unchecked)" in result.stderr
    [create] = emulator.creates()
    assert create["outcome"] == 400 and "'vendor/new-model' is not one of the available models" in create["message"]


def test_a_published_schema_holds_an_unchecked_model_s_fields(cli, emulator: EmulatorHandle) -> None:
    emulator.control("models", {"id": SCRIBE, "fields": {"language_code": {"type": "string"}}})
    assert cli("submit", "https://x/a.wav", "--model-unchecked", SCRIBE, "--param", "language_code=en").exit_code == 0
    refused = cli("submit", "https://x/b.wav", "--model-unchecked", SCRIBE, "--param", "diarize=true")
    assert refused.exit_code == 4 and "property diarize should not exist" in refused.stderr


# --- Combinations the provider's documents rule out ---------------------------------------------------------
@pytest.mark.parametrize(
    ("model_id", "args", "words"),
    [
        ("aai/slam-1", ["--detect-language"], ["--detect-language is not available with -m aai/slam-1",
                                               "for universal only", "use it with -m aai/universal"]),
        ("slam-1", ["--param", "language_detection=true"], ["--param language_detection is not available"]),
        ("aai/universal", ["--summarize", "--chapters"], ["--summarize and --chapters cannot be used together",
                                                          "either a summary or chapters", "leave one of them out"]),
        ("aai/slam-1", ["--chapters", "--param", "summarization=true"], ["--param summarization and --chapters"]),
        ("aai/universal", ["--summarize", "--param", "summary_model=catchy"],
         ["--param summary_model needs --param summary_type=... with -m aai/universal", "give --param summary_type"]),
    ],
)  # fmt: skip
def test_combinations_the_documents_rule_out_are_refused_before_upload(
    cli, emulator: EmulatorHandle, talk: Path, model_id: str, args: list[str], words: list[str]
) -> None:
    result = cli("run", str(talk), "-m", model_id, *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert all(w in result.stderr for w in words), result.stderr
    assert emulator.requests() == []


def test_what_the_documents_allow_passes(cli, emulator: EmulatorHandle) -> None:
    allowed = [
        ["-m", "aai/universal", "--detect-language"],
        ["-m", "aai/slam-1", "--param", "language_detection=false"],
        ["-m", "aai/universal", "--summarize", "--param", "summary_model=catchy", "--param", "summary_type=gist"],
        ["-m", "nova-3", "--summarize", "--detect-language"],
    ]
    for args in allowed:
        result = cli("submit", "https://x/a.wav", *args, "--resubmit")
        assert result.exit_code == 0 and result.stderr == "", result.stderr


def test_a_deprecated_field_is_sent_with_a_warning(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "-m", "universal", "--chapters")
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: --chapters is deprecated for aai/universal") and "use --summarize" in (
        result.stderr
    )
    assert emulator.creates()[0]["options"] == {"auto_chapters": "true"}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"model": "aai/slam-1", "language_detection": True}, "language_detection: is not available for this model"),
        ({"model": "slam-1", "language_detection": True}, "language_detection: is not available for this model"),
        ({"model": "aai/universal", "summarization": True, "auto_chapters": True},
         "summarization: cannot be used together with auto_chapters"),
        ({"model": "aai/universal", "summary_type": "gist"}, "summary_type: requires summary_model"),
    ],
)  # fmt: skip
def test_the_emulator_refuses_the_combinations_the_backend_does(
    emulator: EmulatorHandle, body: dict[str, Any], detail: str
) -> None:
    status, answer = _post(emulator, {**body, "url": "https://x/a.wav"})
    assert status == 400
    assert answer["message"].startswith("Body validation error!\n") and detail in answer["message"]
    assert _post(emulator, {"model": "aai/slam-1", "language_detection": False, "url": "https://x/a.wav"})[0] == 200


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"model": "nova-3", "multi_channel": True}, "property multi_channel should not exist"),
        ({"model": "aai/universal", "diarize": True}, "property diarize should not exist"),
        ({"model": "#g1_whisper-large", "keywords": ["a", "b"]}, "keywords: must be a string"),
        ({"model": "#g1_whisper-large", "diarize": "yes"}, "diarize: must be a boolean value"),
        ({"model": "#g1_whisper-large", "custom_topic_mode": "loose"}, "custom_topic_mode: must be one of"),
        ({"model": "openai/gpt-4o-transcribe", "temperature": 3}, "temperature: must not be greater than 1"),
        ({"model": "aai/universal", "speakers_expected": 1.5}, "speakers_expected: must be an integer"),
        ({"model": "no-such-model"}, "model: 'no-such-model' is not one of the available models"),
    ],
)
def test_the_emulator_refuses_what_the_schema_does_not_allow(
    emulator: EmulatorHandle, body: dict[str, Any], detail: str
) -> None:
    status, answer = _post(emulator, {**body, "url": "https://x/a.wav"})
    assert status == 400
    assert answer["message"].startswith("Body validation error!") and detail in answer["message"]
    assert {"path", "requestId", "statusCode", "timestamp"} <= set(answer)


@pytest.mark.parametrize(
    ("model_id", "envelope", "words"),
    [
        ("#g1_whisper-large", "a", ["waiting", "active", "completed"]),
        ("aai/universal", "a", ["waiting", "active", "completed"]),
        ("openai/gpt-4o-transcribe", "a", ["queued", "completed"]),
        ("#g1_whisper-large", "b", ["queued", "generating", "completed"]),
    ],
)
def test_statuses_follow_the_provider_s_documents(model_id: str, envelope: str, words: list[str]) -> None:
    import urllib.request

    server = start_emulator(processing_time=0.9, envelope=envelope)
    try:
        handle = EmulatorHandle(server)
        status, created = _post(handle, {"model": model_id, "url": "https://x/a.wav"})
        assert status in (200, 201)
        seen: list[str] = []
        deadline = time.monotonic() + 5
        while (not seen or seen[-1] != "completed") and time.monotonic() < deadline:
            request = urllib.request.Request(
                f"{handle.base_url}/stt/{created['generation_id']}", headers={"Authorization": "Bearer k"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                word = json.loads(response.read())["status"]
            if not seen or seen[-1] != word:
                seen.append(word)
            time.sleep(0.05)
        assert seen == words
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("model_id", "field"),
    [("openai/gpt-4o-transcribe", "file"), ("#g1_whisper-large", "audio"), ("aai/universal", "audio")],
)
def test_the_audio_goes_in_the_model_s_upload_field(
    cli, emulator: EmulatorHandle, talk: Path, model_id: str, field: str
) -> None:
    """gpt-4o's schema names the file field `file` (the SDK sends `audio`): stt follows the schema."""
    assert cli("submit", str(talk), "-m", model_id).exit_code == 0
    [create] = emulator.creates()
    assert create["upload_field"] == field


def test_a_result_stt_cannot_read_is_exit_5_and_kept_for_fetch_json(cli, emulator: EmulatorHandle, talk: Path) -> None:
    job_id = cli("submit", str(talk)).stdout.strip()
    emulator.server.state.jobs[job_id].result = {"status": "completed", "error": "upstream said no", "odd": [1]}
    emulator.advance(60)
    result = cli("fetch", job_id)
    assert result.exit_code == 5
    assert "error, odd, status" in result.stderr and "upstream said no" in result.stderr
    polls = len(emulator.polls())
    kept = cli("fetch", job_id, "-f", "json")
    assert kept.exit_code == 0 and json.loads(kept.stdout)["odd"] == [1]
    assert len(emulator.polls()) == polls  # from the ledger, no request


def test_a_rejected_unchecked_model_is_named_with_where_it_came_from(cli, emulator: EmulatorHandle, talk: Path) -> None:
    flag = cli("submit", str(talk), "--model-unchecked", "whisper-foo")
    assert flag.exit_code == 4
    assert "'whisper-foo' was sent unchecked (from --model-unchecked)" in flag.stderr
    assert cli("config", "set", "model-unchecked", "whisper-bar").exit_code == 0
    stored = cli("submit", str(talk), "--resubmit")
    assert stored.exit_code == 4
    assert "'whisper-bar' was sent unchecked (model_unchecked = \"whisper-bar\" in" in stored.stderr
    checked = cli("submit", str(talk), "-m", "nova-3", "--param", "bogus=1", "--resubmit")
    assert "sent unchecked" not in checked.stderr  # a known model: the hint is the usual one
