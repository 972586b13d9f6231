"""A local engine's words in each family's shape: per-channel words with their own times and confidences,
the transcript's confidence their mean, the engine named where the shape has room, what it cannot do
answered empty with its notes, no made-up words; the shapes still fit the provider's schemas; and what
the local engine takes, decided when a job is made (emulator/local.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stt_cli.emulator.engines import Heard, HeardWord
from stt_cli.emulator.local import MAX_CHANNELS, LocalEngine
from stt_cli.emulator.results import AudioInfo, DurationSource, build_result
from stt_cli.formats.placeholder import emulator_note, is_placeholder, local_engine

ROOT = Path(__file__).resolve().parents[3]
LEFT = (HeardWord("go", 0.5, 0.64, 0.99), HeardWord("forward", 0.64, 1.17, 0.5, last_in_segment=True))
RIGHT = (HeardWord("i", 0.2, 0.3, 0.25), HeardWord("am", 0.3, 0.6, 0.75, last_in_segment=True))
INFO = AudioInfo(3.0, 2, "cd" * 32, 96_000, False, DurationSource.WAV)
NOTE = "diarize: no speaker labels: pocketsphinx does not tell speakers apart"


def heard(*channels: tuple[HeardWord, ...], notes: tuple[str, ...] = ()) -> Heard:
    return Heard("pocketsphinx", "5.1.1", channels, notes)


def test_deepgram_channels_carry_their_own_words_times_and_confidences() -> None:
    options = {"multichannel": "true", "utterances": "true", "paragraphs": "true", "search": "am"}
    result = build_result("nova-3", options, INFO, "job", "t", heard(LEFT, RIGHT))
    channels = result["results"]["channels"]
    assert [c["alternatives"][0]["transcript"] for c in channels] == ["Go forward.", "I am."]
    words = channels[0]["alternatives"][0]["words"]
    assert [(w["word"], w["start"], w["end"], w["confidence"]) for w in words] == [
        ("go", 0.5, 0.64, 0.99), ("forward", 0.64, 1.17, 0.5)
    ]  # fmt: skip
    assert channels[0]["alternatives"][0]["confidence"] == pytest.approx(0.745)
    assert channels[1]["alternatives"][0]["confidence"] == pytest.approx(0.5)
    assert channels[1]["search"] == [{"query": "am", "hits": [{"confidence": 1.0, "start": 0.3, "end": 0.6,
                                                               "snippet": "am."}]}]  # fmt: skip
    assert [(u["channel"], u["transcript"]) for u in result["results"]["utterances"]] == [
        (1, "I am."),
        (0, "Go forward."),
    ]
    assert channels[1]["alternatives"][0]["paragraphs"]["paragraphs"][0]["sentences"][0]["text"] == "I am."
    metadata = result["metadata"]
    assert metadata["emulator"] is True and metadata["placeholder"] is False and metadata["channels"] == 2
    assert metadata["engine"] == {"name": "pocketsphinx", "version": "5.1.1"} and "engine_notes" not in metadata


def test_what_the_engine_cannot_do_comes_empty_with_its_note() -> None:
    options = {"diarize": "true", "summarize": "v2", "topics": "true", "intents": "true", "sentiment": "true",
               "detect_language": "true", "utterances": "true"}  # fmt: skip
    result = build_result("#g1_whisper-large", options, INFO, "job", "t", heard(LEFT, notes=(NOTE,)))
    assert result["metadata"]["engine_notes"] == [NOTE]
    words = result["results"]["channels"][0]["alternatives"][0]["words"]
    assert all("speaker" not in w for w in words)
    assert all("speaker" not in u for u in result["results"]["utterances"])
    assert "detected_language" not in result["results"]["channels"][0]
    assert result["results"]["summary"] == {"result": "success", "short": ""}
    for block in ("topics", "intents", "sentiments"):
        assert result["results"][block] == {"segments": []}


def test_no_words_heard_is_an_empty_transcript_never_a_placeholder() -> None:
    for model in ("nova-3", "aai/universal", "openai/gpt-4o-transcribe"):
        result = build_result(model, {}, INFO, "job", "t", heard(()))
        first = result["results"]["channels"][0]["alternatives"][0] if "results" in result else result
        assert first.get("transcript", first.get("text")) == "" and not is_placeholder(result)
        assert first.get("confidence", 0.0) == 0.0


def test_assemblyai_merges_channels_in_time_and_names_the_engine() -> None:
    options = {"multichannel": "true", "speaker_labels": "true", "summarization": "true", "entity_detection": "true"}
    result = build_result("aai/universal", options, INFO, "job", "t", heard(LEFT, RIGHT))
    assert [(w["text"], w["start"], w["channel"]) for w in result["words"]] == [
        ("I", 200, "2"), ("am.", 300, "2"), ("Go", 500, "1"), ("forward.", 640, "1")
    ]  # fmt: skip
    assert all("speaker" not in w for w in result["words"])
    assert result["utterances"] == [] and result["summary"] == "" and result["entities"] == []
    assert result["acoustic_model"] == result["language_model"] == "stt-emulator: pocketsphinx 5.1.1"
    assert result["multichannel"] is True and result["confidence"] == pytest.approx(0.6225)
    mono = build_result("aai/universal", {}, INFO, "job", "t", heard(LEFT))
    assert "channel" not in mono["words"][0] and "multichannel" not in mono


def test_text_only_is_the_words_alone() -> None:
    result = build_result("openai/gpt-4o-transcribe", {}, INFO, "job", "t", heard(LEFT))
    assert result["text"] == "Go forward." and set(result) <= {"text", "usage"}


def test_stt_s_note_names_the_engine_in_the_shapes_that_have_room() -> None:
    deepgram = build_result("nova-3", {}, INFO, "job", "t", heard(LEFT))
    aai = build_result("aai/universal", {}, INFO, "job", "t", heard(LEFT))
    note = "transcribed locally by pocketsphinx (rough; US English only)"
    for result in (deepgram, aai, {"generation_id": "x", "status": "completed", "result": deepgram}):
        assert local_engine(result) == "pocketsphinx" and emulator_note(result) == note
    assert local_engine(build_result("openai/gpt-4o-transcribe", {}, INFO, "job", "t", heard(LEFT))) is None
    assert local_engine({"metadata": {"emulator": True, "engine": {"name": "x\x1b[2J"}}}) is None  # never shown raw
    assert local_engine({"metadata": {"engine": {"name": "pocketsphinx"}}}) is None  # not the emulator's
    assert emulator_note({"metadata": {"emulator": True, "engine": {"name": "vosk"}}}) == "transcribed locally by vosk"


def _schemas() -> Path | None:
    return next(
        (p / "shared" / "provider-schemas" for p in ROOT.parents if (p / "shared/provider-schemas").is_dir()), None
    )


@pytest.mark.parametrize("model", ["#g1_whisper-large", "nova-3", "aai/universal", "openai/gpt-4o-transcribe"])
def test_the_shapes_still_fit_the_provider_s_schemas(model: str) -> None:
    schemas = _schemas()
    if schemas is None:
        pytest.skip("../shared is not here (an sdist): the provider's schemas are not part of the project")
    import jsonschema

    document = json.loads((schemas / "fetch.AssemblyAI__universal-pair.json").read_text(encoding="utf-8"))
    shapes = document["responses"]["201"]["content"]["application/json"]["schema"]["properties"]["result"]["anyOf"]
    aai = model.startswith("aai/")
    options: dict[str, Any] = {"speaker_labels": "true", "multichannel": "true"} if aai else {"diarize": "true"}
    result = build_result(model, options, INFO, "3f1c9a2e-0000-4000-8000-000000000001", "t", heard(LEFT, RIGHT))
    if "metadata" in result:
        jsonschema.validate(result["metadata"], shapes[0]["properties"]["metadata"])
    else:
        jsonschema.validate(result, shapes[1 if aai else 2])


def test_what_the_engine_takes_is_decided_when_the_job_is_made() -> None:
    engine = LocalEngine("pocketsphinx", workers=1, max_audio=60.0)
    assert engine.transcribes and "2 h" not in engine.describe() and "1 min" in engine.describe()
    long = AudioInfo(61.0, 1, "ab" * 32, 10, False, DurationSource.FLAC)
    assert "longer than the local engine takes (1 min" in str(engine.admit({}, long, "/tmp/x").failure)
    guessed = AudioInfo(61.0, 1, "ab" * 32, 10, False, DurationSource.GUESS)
    assert engine.admit({}, guessed, "/tmp/x").failure is None  # a guess is no reason: the decoder counts
    assert "could not keep a copy" in str(engine.admit({}, INFO, None).failure)
    foreign = engine.admit({"language": "fr", "multi_channel": "true"}, INFO, "/tmp/x")
    assert foreign.heard is not None and foreign.heard.channels == ((), ()) and foreign.failure is None
    assert engine.admit({"multichannel": "true"}, INFO, "/tmp/x").channels == 2
    assert engine.admit({}, INFO, "/tmp/x").channels == 0  # the mix
    many = AudioInfo(3.0, 12, "ab" * 32, 10, False, DurationSource.WAV)
    admitted = engine.admit({"multichannel": True}, many, "/tmp/x")
    assert admitted.channels == MAX_CHANNELS and admitted.notes == ("channels: the first 8 of 12 transcribed",)
    assert not LocalEngine("placeholder").transcribes
