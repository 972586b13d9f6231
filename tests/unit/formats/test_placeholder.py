"""The emulator's placeholder: its whole label first at any length, words within the audio, the markers in
every result shape (faithful to the provider's schemas), and formats.placeholder.is_placeholder reading them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stt_cli.emulator.results import (
    ASSUMED_BYTES_PER_SECOND,
    MAX_GUESSED_DURATION,
    AudioInfo,
    DurationSource,
    audio_info,
    build_result,
    guessed_duration,
    length_in_header,
    placeholder_words,
    sample,
    sample_wav,
    url_info,
)
from stt_cli.formats.placeholder import PLACEHOLDER_LABEL, PLACEHOLDER_NOTE, emulator_note, is_placeholder

ROOT = Path(__file__).resolve().parents[3]
LABEL = PLACEHOLDER_LABEL.split()
# One model of each result shape: Deepgram (Whisper, Nova-2, Nova-3), AssemblyAI, text-only (OpenAI, Microsoft).
MODELS = ("#g1_whisper-large", "#g1_nova-2-meeting", "nova-3", "aai/universal", "openai/gpt-4o-transcribe",
          "microsoft/mai-transcribe-1.5")  # fmt: skip
DURATIONS = (0.0, 0.001, 0.05, 0.3, 1.0, 3.599, 3.6, 3.601, 5.9, 12.0, 61.5, 1199.9, 3600.0, 20000.0)


def placeholder_info(duration: float) -> AudioInfo:
    return AudioInfo(duration, 1, "ab" * 32, 1000, False, DurationSource.FFPROBE)


def sample_info() -> AudioInfo:
    return AudioInfo(sample()["duration"], 1, sample()["sha256"], len(sample_wav()), True, DurationSource.WAV)


def text_of(result: dict[str, Any]) -> str:
    if "results" in result:
        transcript: str = result["results"]["channels"][0]["alternatives"][0]["transcript"]
        return transcript
    text: str = result["text"]
    return text


@pytest.mark.parametrize("duration", DURATIONS)
def test_the_label_comes_whole_first_and_every_word_lies_within_the_audio(duration: float) -> None:
    words = placeholder_words(duration)
    assert [w.punctuated for w in words[: len(LABEL)]] == LABEL
    assert [w.word for w in words[: len(LABEL)]] == LABEL  # verbatim in the raw form too
    for before, word in zip([None, *words], words, strict=False):
        assert 0.0 <= word.start <= word.end <= duration
        assert before is None or before.end <= word.start  # in order, never overlapping
    if duration >= 10:
        assert words[-1].end > duration * 0.85  # the filler spans the audio
        assert words[len(LABEL)].punctuated == "This"  # then the filler, saying what it is


def test_short_audio_gets_the_label_squeezed_into_it_not_cut() -> None:
    words = placeholder_words(0.3)
    assert len(words) == len(LABEL)
    assert words[-1].end <= 0.3 and words[-1].start > 0.2  # spread over the clip


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("duration", [0.3, 5.9, 45.0])
def test_every_shape_begins_with_the_label_and_is_a_placeholder(model: str, duration: float) -> None:
    result = build_result(model, {}, placeholder_info(duration), "job", "2025-01-01T00:00:00.000Z")
    assert text_of(result).startswith(PLACEHOLDER_LABEL)
    assert is_placeholder(result)
    assert is_placeholder({"generation_id": "job", "status": "completed", "result": result})  # envelope a
    assert is_placeholder({"id": "job", "status": "completed", "output": result, "error": None})  # envelope b
    times = [(w["start"], w["end"]) for w in result.get("words", [])]  # AssemblyAI: ms
    times += [(w["start"] * 1000, w["end"] * 1000) for w in _deepgram_words(result)]
    assert all(0 <= start <= end <= duration * 1000 for start, end in times)


def _deepgram_words(result: dict[str, Any]) -> list[dict[str, Any]]:
    if "results" not in result:
        return []
    words: list[dict[str, Any]] = result["results"]["channels"][0]["alternatives"][0]["words"]
    return words


@pytest.mark.parametrize("model", MODELS)
def test_the_sample_gets_its_words_and_is_no_placeholder(model: str) -> None:
    result = build_result(model, {}, sample_info(), "job", "2025-01-01T00:00:00.000Z")
    assert text_of(result).startswith("Welcome to the speech to text")
    assert not is_placeholder(result)


def test_deepgram_metadata_says_emulator_placeholder_and_where_the_length_came_from() -> None:
    options = {"punctuate": "false"}
    placeholder = build_result("nova-3", options, placeholder_info(2.0), "job", "t")
    assert placeholder["metadata"]["emulator"] is True and placeholder["metadata"]["placeholder"] is True
    assert placeholder["metadata"]["duration_source"] == "ffprobe"
    assert text_of(placeholder).startswith(PLACEHOLDER_LABEL)  # no punctuation asked: the label stays whole
    real = build_result("nova-3", {}, sample_info(), "job", "t")
    assert real["metadata"]["emulator"] is True and real["metadata"]["placeholder"] is False
    assert real["metadata"]["duration_source"] == "wav"
    guessed = build_result("nova-3", {}, audio_info(b"OggS" + bytes(60), 48_000, "0" * 64), "job", "t")
    assert guessed["metadata"]["duration_source"] == "guess" and guessed["metadata"]["duration"] == 3.0
    assert build_result("nova-3", {}, url_info("https://x/a.mp3"), "j", "t")["metadata"]["duration_source"] == "url"


def test_assemblyai_results_name_the_emulator_in_its_free_model_fields() -> None:
    result = build_result("aai/universal", {}, placeholder_info(2.0), "job", "t")
    assert result["acoustic_model"] == result["language_model"] == "stt-emulator"
    assert "metadata" not in result  # a closed object in the provider's schema


def test_the_label_is_a_sentence_paragraph_and_utterance_of_its_own() -> None:
    options = {"paragraphs": "true", "utterances": "true", "diarize": "true"}
    result = build_result("nova-3", options, placeholder_info(20.0), "job", "t")
    paragraphs = result["results"]["channels"][0]["alternatives"][0]["paragraphs"]["paragraphs"]
    assert paragraphs[0]["sentences"][0]["text"] == PLACEHOLDER_LABEL
    assert result["results"]["utterances"][0]["transcript"] == PLACEHOLDER_LABEL
    labelled = build_result("aai/universal", {"speaker_labels": "true"}, placeholder_info(20.0), "job", "t")
    assert labelled["utterances"][0]["text"] == PLACEHOLDER_LABEL


def _provider_schemas() -> Path | None:
    """../shared/provider-schemas beside the checkout (or a worktree's), when it is there (not in an sdist)."""
    return next(
        (p / "shared" / "provider-schemas" for p in ROOT.parents if (p / "shared/provider-schemas").is_dir()), None
    )


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("envelope", ["a", "b"])
def test_placeholders_fit_the_provider_s_fetch_schemas(model: str, envelope: str) -> None:
    """Every marker sits where the provider's response schema allows it: AssemblyAI's and the text-only
    shape are closed objects (additionalProperties: false in envelope a), checked whole; Deepgram's metadata
    is open (its `channels` and `paragraphs` the schema describes wrongly, as api-notes.md says: not checked)."""
    schemas = _provider_schemas()
    if schemas is None:
        pytest.skip("../shared is not here (an sdist): the provider's schemas are not part of the project")
    import jsonschema

    name, code, key = ("AssemblyAI__universal-pair", "201", "result")
    if envelope == "b":
        name, code, key = ("universal-stt-fetch", "200", "output")
    document = json.loads((schemas / f"fetch.{name}.json").read_text(encoding="utf-8"))
    shapes = document["responses"][code]["content"]["application/json"]["schema"]["properties"][key]["anyOf"]
    aai = model.startswith("aai/")
    options = {"speaker_labels": "true"} if aai else {"diarize": "true", "utterances": "true", "tag": "x"}
    for info in (placeholder_info(0.3), placeholder_info(30.0), sample_info()):
        result = build_result(model, options, info, "3f1c9a2e-0000-4000-8000-000000000001", "2025-01-01T00:00:00.000Z")
        if "metadata" in result:
            jsonschema.validate(result["metadata"], shapes[0]["properties"]["metadata"])
        else:
            shape = _mai_usage(shapes[2]) if model.startswith("microsoft/") else shapes[1 if aai else 2]
            jsonschema.validate(result, shape)


def _mai_usage(text_shape: dict[str, object]) -> dict[str, object]:
    """The text-only shape with MAI's `usage` as its own page shows it (`{"seconds": 11, "cost": 0.0011}`,
    aimlapi/api-docs speech-to-text/microsoft/mai-transcribe-1.5.md), where the shared fetch schema only knows
    gpt-4o's tokens: the sources disagree, the page of the model is the nearer one."""
    usage = {"type": "object", "properties": {"seconds": {"type": "number"}, "cost": {"type": "number"}},
             "required": ["seconds", "cost"], "additionalProperties": False}  # fmt: skip
    properties = dict(text_shape["properties"])  # type: ignore[call-overload]
    return {**text_shape, "properties": {**properties, "usage": usage}}


def test_a_guess_is_bounded_and_headers_tell_lengths_without_ffprobe() -> None:
    assert guessed_duration(0) == 1.0 and guessed_duration(10**12) == MAX_GUESSED_DURATION
    assert guessed_duration(5 * ASSUMED_BYTES_PER_SECOND) == 5.0
    assert length_in_header(sample_wav()[:4096])
    assert not length_in_header(b"ID3\x04\x00" + bytes(100))  # an mp3's tag: ffprobe measures it
    assert not length_in_header(b"OggS" + bytes(60))
    assert audio_info(sample_wav(), len(sample_wav()), "0" * 64).duration_source == DurationSource.WAV


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "text",
        [],
        {},
        {"text": 3},
        {"text": "Hello there."},
        {"text": "He read it out: " + PLACEHOLDER_LABEL},  # the label counts only at the start
        {"metadata": {"emulator": True, "placeholder": False}, "results": {"channels": []}},
        {"metadata": {"placeholder": True}, "results": {"channels": [{"alternatives": [{"transcript": "Hi."}]}]}},
        {"metadata": {"emulator": "true", "placeholder": "true"}},  # markers are booleans
        {"results": {"channels": [None, {"alternatives": []}, {"alternatives": ["x"]}]}},
        {"status": "completed", "result": "not an object"},
        {"generation_id": "x", "status": "waiting"},
    ],
)
def test_what_is_no_placeholder(payload: Any) -> None:
    assert is_placeholder(payload) is False


@pytest.mark.parametrize(
    "payload",
    [
        {"text": PLACEHOLDER_LABEL},
        {"text": "  " + PLACEHOLDER_LABEL + " This is a"},
        {"metadata": {"emulator": True, "placeholder": True}},
        {"results": {"channels": [{"alternatives": [{"transcript": PLACEHOLDER_LABEL}]}]}},
        {"id": "x", "status": "completed", "output": {"text": PLACEHOLDER_LABEL}, "error": None},
    ],
)
def test_what_is_a_placeholder(payload: Any) -> None:
    assert is_placeholder(payload) is True


def test_the_note_is_one_line_for_stderr() -> None:
    assert "\n" not in PLACEHOLDER_NOTE and "placeholder" in PLACEHOLDER_NOTE


def test_a_text_only_result_is_noted_by_the_engine_its_poll_answer_named() -> None:
    text_only = {"text": "go forward ten meters", "usage": {"type": "duration", "seconds": 2}}
    assert emulator_note(text_only) is None
    assert emulator_note(text_only, "pocketsphinx") == "transcribed locally by pocketsphinx (rough; US English only)"
    assert emulator_note(text_only, "x\x1b[2J") is None
    placeholder = {"text": PLACEHOLDER_LABEL + " ...", "usage": {}}
    assert emulator_note(placeholder, "pocketsphinx") == PLACEHOLDER_NOTE
