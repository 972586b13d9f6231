"""Property tests of the subtitle writers over generated word streams, checked by real parsers."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import srt
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.subtitles import build_cues, render_srt, render_vtt, timestamp
from stt_cli.formats.transcript import Channel, Transcript, Word

WORD_TEXT = st.one_of(
    st.sampled_from(["the", "and", "so", "word", "sentence.", "clause,", "why?", "yes!", "naïve", "日本語", "😀"]),
    st.text(st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]), min_size=1, max_size=12),
    st.text("abcdefghij", min_size=40, max_size=130),  # wider than a line
)


@st.composite
def word_streams(draw: st.DrawFn) -> list[Word]:
    count = draw(st.integers(min_value=0, max_value=120))
    t = draw(st.sampled_from([0.0, 0.25, 3599.9, 360_000.0]))  # up to 100 hours in
    speakers = draw(st.sampled_from([None, 2, 4]))
    words = []
    speaker = 0
    for _ in range(count):
        t += draw(st.sampled_from([0.0, 0.0, 0.05, 0.1, 0.3, 0.9, 2.0, 12.0]))
        length = draw(st.sampled_from([0.0, 0.05, 0.2, 0.4, 1.0, 9.0]))
        if speakers and draw(st.integers(0, 9)) == 0:
            speaker = (speaker + 1) % speakers
        words.append(Word(draw(WORD_TEXT), round(t, 3), round(t + length, 3), str(speaker) if speakers else None))
        t += length
    return words


OPTIONS = st.builds(
    SubtitleOptions,
    max_line_width=st.sampled_from([10, 20, 32, 42]),
    max_lines=st.sampled_from([1, 2, 3]),
    speaker_labels=st.booleans(),
)


def _visible(line: str) -> str:
    return re.sub(r"^<v [^>]+>", "", line)


def _normalised(words: list[Word]) -> str:
    return "".join("".join(w.text.split()) for w in words)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=word_streams(), options=OPTIONS)
def test_cue_invariants(words: list[Word], options: SubtitleOptions) -> None:
    transcript = Transcript([Channel(0, "", words)])
    cues = build_cues(transcript, options, prefix_labels=True)
    whole_words = {piece for w in words for piece in w.text.split()}
    max_ms = round(options.max_cue_duration * 1000)
    min_ms = round(options.min_cue_duration * 1000)
    previous_end = 0
    for index, cue in enumerate(cues):
        assert 1 <= len(cue.lines) <= options.max_lines
        # A speaker label wider than the line is dropped rather than breaking the width; the only line past
        # the width is a single word wider than any line, whole and alone.
        for line in cue.lines:
            assert len(line) <= options.max_line_width or (" " not in line and line in whole_words), cue.lines
        assert previous_end <= cue.start_ms < cue.end_ms
        assert cue.end_ms - cue.start_ms <= max_ms
        if index + 1 < len(cues):
            room = cues[index + 1].start_ms - cue.start_ms
            assert cue.end_ms - cue.start_ms >= min(min_ms, room)
        previous_end = cue.end_ms
    # Nothing lost, nothing added, order kept: the cues' text is the words' text (labels aside).
    shown = "".join(
        "".join(line.split())
        for cue in cues
        for line in (
            [cue.lines[0].removeprefix(f"{cue.speaker}:").strip(), *cue.lines[1:]]
            if cue.speaker and cue.turn_start
            else cue.lines
        )
    )
    assert shown == _normalised(words)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=word_streams(), options=OPTIONS)
def test_real_parsers_read_both_formats(words: list[Word], options: SubtitleOptions) -> None:
    transcript = Transcript([Channel(0, "", words)])
    cues = build_cues(transcript, options, prefix_labels=True)
    document = render_srt(transcript, options)
    assert ",1000" not in document
    parsed = list(srt.parse(document, ignore_errors=False))
    assert len(parsed) == len(cues)
    for item, cue in zip(parsed, cues, strict=True):
        assert item.start == timedelta(milliseconds=cue.start_ms)
        assert item.end == timedelta(milliseconds=cue.end_ms)
        assert item.content.splitlines() == [line.replace("-->", "->") for line in cue.lines]
    vtt_document = render_vtt(transcript, options)
    assert vtt_document.startswith("WEBVTT\n")
    captions = webvtt.from_string(vtt_document, strict=True).captions if cues else []
    vtt_cues = build_cues(transcript, options, prefix_labels=False)
    assert len(captions) == len(vtt_cues)
    for caption, cue in zip(captions, vtt_cues, strict=True):
        assert (caption.start, caption.end) == (timestamp(cue.start_ms, "."), timestamp(cue.end_ms, "."))
        for line in caption.raw_text.splitlines():
            shown = html.unescape(_visible(line))
            assert len(shown) <= options.max_line_width or " " not in shown, line


def test_speaker_changes_always_start_a_new_cue() -> None:
    words = [Word(f"w{i}", i * 0.3, i * 0.3 + 0.25, str(i // 3 % 2)) for i in range(30)]
    cues = build_cues(Transcript([Channel(0, "", words)]), SubtitleOptions(), prefix_labels=False)
    by_text = {w.text: w.speaker for w in words}
    for cue in cues:
        speakers = {by_text[token] for line in cue.lines for token in line.split()}
        assert len(speakers) == 1
        assert cue.speaker == f"Speaker {speakers.pop()}"


def test_no_one_word_orphans_when_a_neighbour_can_take_the_word() -> None:
    text = "This sentence is long enough that its final word would dangle alone on a naive writer today."
    words = [Word(t, i * 0.3, i * 0.3 + 0.25) for i, t in enumerate(text.split())]
    cues = build_cues(Transcript([Channel(0, "", words)]), SubtitleOptions(), prefix_labels=False)
    assert all(len(" ".join(cue.lines).split()) > 1 for cue in cues)


def test_sentence_ends_start_new_cues_where_practical() -> None:
    text = "The first sentence is here. And here is the second one. Third comes last of all."
    words = [Word(t, i * 0.35, i * 0.35 + 0.3) for i, t in enumerate(text.split())]
    cues = build_cues(Transcript([Channel(0, "", words)]), SubtitleOptions(), prefix_labels=False)
    assert [" ".join(c.lines) for c in cues] == [
        "The first sentence is here.",
        "And here is the second one.",
        "Third comes last of all.",
    ]


def test_channels_merged_and_labelled_or_picked() -> None:
    left = [Word(f"left{i}.", i * 4.0, i * 4.0 + 0.5, None, 0) for i in range(3)]
    right = [Word(f"right{i}.", i * 4.0 + 2.0, i * 4.0 + 2.5, None, 1) for i in range(3)]
    transcript = Transcript([Channel(0, "", left), Channel(1, "", right)])
    merged = build_cues(transcript, SubtitleOptions(), prefix_labels=False)
    assert [c.speaker for c in merged] == ["Channel 0", "Channel 1"] * 3
    picked = build_cues(transcript.only(1), SubtitleOptions(channel=1), prefix_labels=False)
    assert [c.lines for c in picked] == [("right0.",), ("right1.",), ("right2.",)]
    assert all(c.speaker is None for c in picked)


def test_a_word_wider_than_a_line_is_never_cut() -> None:
    long_word = "pneumonoultramicroscopicsilicovolcanoconiosis-and-then-some!"  # 60 characters
    assert len(long_word) == 60
    words = [
        Word(text, i * 0.4, i * 0.4 + 0.35, "0") for i, text in enumerate(["It", "is", long_word, "they", "said."])
    ]
    transcript = Transcript([Channel(0, "", words)])
    options = SubtitleOptions(max_line_width=42)
    lines = [line for cue in build_cues(transcript, options, prefix_labels=True) for line in cue.lines]
    assert long_word in lines and sum(len(line) > 42 for line in lines) == 1
    srt_lines = [item.content.splitlines() for item in srt.parse(render_srt(transcript, options))]
    assert [long_word] in srt_lines
    vtt = webvtt.from_string(render_vtt(transcript, options), strict=True)
    assert any(html.unescape(_visible(c.raw_text)) == long_word for c in vtt.captions)
