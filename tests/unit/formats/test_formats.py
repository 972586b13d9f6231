"""Renderers: text turns, SRT/VTT structure and limits, timestamps, payload shapes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stt_cli.emulator.results import AudioInfo, build_result, sample
from stt_cli.errors import UsageError
from stt_cli.formats.render import render
from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.subtitles import timestamp

TIMING = re.compile(r"^(\d{2,}):(\d{2}):(\d{2})[,.](\d{3}) --> (\d{2,}):(\d{2}):(\d{2})[,.](\d{3})$")


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def _cues(document: str) -> list[tuple[int, int, list[str]]]:
    cues = []
    for block in document.strip().split("\n\n"):
        lines = block.splitlines()
        if lines[0] == "WEBVTT":
            continue
        index = next(i for i, line in enumerate(lines) if "-->" in line)
        match = TIMING.match(lines[index])
        assert match, lines[index]
        g = match.groups()
        cues.append((_ms(*g[:4]), _ms(*g[4:]), lines[index + 1 :]))
    return cues


def _payload(options: dict[str, str], duration: float | None = None) -> dict[str, object]:
    recognised = duration is None
    info = AudioInfo(duration or sample()["duration"], 1, sample()["sha256"] if recognised else "x", 1, recognised)
    return build_result("#g1_whisper-large", options, info, "job", "2026-01-01T00:00:00Z")


JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "results",
                    "channels",
                    "alternatives",
                    "words",
                    "word",
                    "start",
                    "end",
                    "speaker",
                    "transcript",
                    "text",
                    "utterances",
                    "paragraphs",
                    "punctuated_word",
                    "sentences",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


def _shaped(leaf: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    """Payloads in the providers' shapes with any value anywhere: every level may be the wrong type."""

    def some(**fields: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
        return st.fixed_dictionaries({}, optional=fields)

    word = some(word=leaf, punctuated_word=leaf, text=leaf, start=leaf, end=leaf, speaker=leaf)
    words = st.lists(word, max_size=4) | leaf
    sentence = some(text=leaf)
    paragraph = some(sentences=st.lists(sentence, max_size=2) | leaf, speaker=leaf)
    paragraphs = some(paragraphs=st.lists(paragraph, max_size=3) | leaf) | leaf
    alternative = some(transcript=leaf, words=words, paragraphs=paragraphs)
    channel = some(alternatives=st.lists(alternative | leaf, max_size=2) | leaf, detected_language=leaf)
    deepgram = st.fixed_dictionaries({"results": st.fixed_dictionaries({"channels": st.lists(channel | leaf)}) | leaf})
    utterance = some(words=words)
    assembly = some(words=words, text=leaf, language_code=leaf, utterances=st.lists(utterance | leaf) | leaf)
    return deepgram | assembly | st.fixed_dictionaries({"text": leaf})


VERBOSE_JSON = {
    "task": "transcribe",
    "language": "english",
    "duration": 9.5,
    "text": "Hello there. How are you today? Fine, thanks.",
    "segments": [
        {
            "id": 0,
            "start": 0.0,
            "end": 1.5,
            "text": " Hello there.",
            "words": [{"word": "Hello", "start": 0.0, "end": 0.6}, {"word": "there.", "start": 0.7, "end": 1.4}],
        },
        {"id": 1, "start": 1.8, "end": 4.0, "text": " How are you today?"},
        {"id": 2, "start": 6.0, "end": 9.5, "text": " Fine, thanks."},
    ],
}


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
@pytest.mark.parametrize("duration", [None, 95.0, 4000.0])
def test_subtitle_invariants(fmt: str, duration: float | None) -> None:
    document, warnings = render(_payload({"diarize": "true"}, duration), fmt)
    assert warnings == []
    cues = _cues(document)
    assert cues
    previous_end = 0
    for start, end, lines in cues:
        assert previous_end <= start < end
        assert 1 <= len(lines) <= 2
        for line in lines:
            visible = re.sub(r"^<v [^>]+>", "", line)
            assert len(visible) <= 42, line
        previous_end = end
    if fmt == "srt":
        numbers = [int(b.splitlines()[0]) for b in document.strip().split("\n\n")]
        assert numbers == list(range(1, len(numbers) + 1))
    else:
        assert document.startswith("WEBVTT\n\n")


def test_timestamps_round_once_and_allow_long_hours() -> None:
    assert timestamp(0, ",") == "00:00:00,000"
    assert timestamp(3_599_999, ",") == "00:59:59,999"
    assert timestamp(360_000_000 + 1, ".") == "100:00:00.001"


def test_a_very_long_word_stands_whole_on_its_own_line() -> None:
    payload = {
        "results": {
            "channels": [
                {"alternatives": [{"transcript": "x", "words": [{"word": "a" * 200, "start": 0.0, "end": 4.0}]}]}
            ]
        }
    }
    cues = _cues(render(payload, "srt")[0])
    assert [lines for _, _, lines in cues] == [["a" * 200]]  # never cut into pieces that read as other words


def test_vtt_escapes_markup() -> None:
    payload = {
        "results": {
            "channels": [
                {
                    "alternatives": [
                        {
                            "transcript": "x",
                            "words": [
                                {"word": "<b>&", "start": 0.0, "end": 1.0},
                                {"word": "-->", "start": 1.0, "end": 2.0},
                            ],
                        }
                    ]
                }
            ]
        }
    }
    vtt = render(payload, "vtt")[0]
    assert "&lt;b&gt;&amp;" in vtt and "--&gt;" in vtt


def test_text_only_payload_cannot_be_subtitled_but_renders_as_text() -> None:
    payload = {"text": "Hello there.", "usage": {"type": "tokens"}}
    assert render(payload, "text")[0] == "Hello there.\n"
    with pytest.raises(UsageError, match="no word timings"):
        render(payload, "srt")


def test_empty_transcripts_are_valid_documents() -> None:
    payload = {"results": {"channels": [{"alternatives": [{"transcript": "", "words": []}]}]}}
    assert render(payload, "srt")[0] == ""
    assert render(payload, "vtt")[0] == "WEBVTT\n"
    assert render(payload, "text")[0] == ""


def test_disordered_and_broken_times_are_repaired_with_a_warning() -> None:
    payload = {
        "results": {
            "channels": [
                {
                    "alternatives": [
                        {
                            "transcript": "b a c",
                            "words": [
                                {"word": "b", "start": 2.0, "end": 2.5},
                                {"word": "a", "start": 1.0, "end": 1.5},
                                {"word": "c", "start": float("nan"), "end": 3.5},
                                {"word": "d", "start": -4, "end": None},
                            ],
                        }
                    ]
                }
            ]
        }
    }
    document, warnings = render(payload, "srt")
    assert warnings
    cues = _cues(document)
    assert [c[0] for c in cues] == sorted(c[0] for c in cues)


def test_no_speaker_labels() -> None:
    document = render(_payload({"diarize": "true"}), "srt", SubtitleOptions(speaker_labels=False))[0]
    assert "Speaker" not in document


def test_multichannel_text_has_sections() -> None:
    payload = {
        "results": {
            "channels": [
                {"alternatives": [{"transcript": "left side", "words": []}]},
                {"alternatives": [{"transcript": "right side", "words": []}]},
            ]
        }
    }
    assert render(payload, "text")[0] == "[Channel 0]\nleft side\n\n[Channel 1]\nright side\n"


@settings(max_examples=400, deadline=None)
@given(payload=_shaped(JSON))
def test_any_payload_renders_or_fails_cleanly(payload: dict[str, object]) -> None:
    from stt_cli.errors import SttError

    for fmt in ("text", "srt", "vtt", "json"):
        try:
            document, _ = render(payload, fmt)
        except SttError as exc:
            assert exc.exit_code in (2, 5)  # bad input or an unusable result: never "unexpected"
        else:
            assert isinstance(document, str)


def test_assemblyai_payload_with_speakers_and_speaker_names() -> None:
    payload = {
        "id": "x",
        "status": "completed",
        "text": "Hi there. Hello.",
        "words": [
            {"text": "Hi", "start": 100, "end": 300, "speaker": "A"},
            {"text": "there.", "start": 320, "end": 700, "speaker": "A"},
            {"text": "Hello.", "start": 1500, "end": 1900, "speaker": "B"},
        ],
    }
    names = SubtitleOptions(speaker_names=(("A", "Alice"), ("B", "Bob")))
    assert render(payload, "text", names)[0] == "Alice: Hi there.\nBob: Hello.\n"
    srt_text = render(payload, "srt", names)[0]
    assert srt_text.startswith("1\n00:00:00,100 --> ")
    assert "Alice: Hi there." in srt_text and "Bob: Hello." in srt_text
    assert "<v Bob>Hello." in render(payload, "vtt", names)[0]


def test_deepgram_paragraphs_are_kept_in_text() -> None:
    payload = {
        "results": {
            "channels": [
                {
                    "alternatives": [
                        {
                            "transcript": "One. Two.",
                            "paragraphs": {
                                "transcript": "x",
                                "paragraphs": [{"sentences": [{"text": "One."}]}, {"sentences": [{"text": "Two."}]}],
                            },
                        }
                    ]
                }
            ]
        }
    }
    assert render(payload, "text")[0] == "One.\n\nTwo.\n"


def test_a_large_json_result_is_written_compact_and_a_small_one_indented(monkeypatch) -> None:
    import json

    monkeypatch.setattr("stt_cli.formats.render.PRETTY_JSON_LIMIT", 200)
    small = {"text": "hi"}
    large = {"text": "x" * 300, "n": [1, 2]}
    assert render(small, "json")[0] == json.dumps(small, indent=2, ensure_ascii=False) + "\n"
    document = render(large, "json")[0]
    assert document.count("\n") == 1 and json.loads(document) == large


def test_verbose_json_renders_subtitles_from_segment_words_and_segment_times() -> None:
    import srt
    import webvtt

    srt_text, warnings = render(VERBOSE_JSON, "srt")
    cues = list(srt.parse(srt_text))
    assert [c.content for c in cues] == ["Hello there.", "How are you today?", "Fine, thanks."]
    assert cues[0].start.total_seconds() == 0.0 and cues[1].start.total_seconds() == 1.8
    assert abs(cues[2].end.total_seconds() - 9.5) < 0.01 and warnings == []
    vtt = webvtt.from_string(render(VERBOSE_JSON, "vtt")[0])
    assert [c.text for c in vtt.captions] == ["Hello there.", "How are you today?", "Fine, thanks."]
    assert render(VERBOSE_JSON, "text")[0] == "Hello there. How are you today? Fine, thanks.\n"
    top_level = {
        "text": "a b",
        "words": [{"word": "a", "start": 1.0, "end": 1.2}, {"word": "b", "start": 1.3, "end": 1.5}],
    }
    assert next(iter(srt.parse(render(top_level, "srt")[0]))).start.total_seconds() == 1.0  # seconds, not ms


def test_a_result_of_no_known_shape_names_its_keys_and_the_service_error() -> None:
    from stt_cli.formats.transcript import UnknownShape, normalise

    with pytest.raises(UnknownShape) as caught:
        normalise({"status": "completed", "error": {"message": "model overloaded"}, "foo": 1})
    assert "error, foo, status" in caught.value.message and "model overloaded" in caught.value.message
    assert caught.value.exit_code == 5


def test_every_format_in_the_registry_names_a_renderer_that_exists() -> None:
    import importlib

    from stt_cli.formats.registry import FORMATS

    for spec in FORMATS.values():
        module, _, name = spec.renderer.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), spec
