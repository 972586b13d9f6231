"""The engine choice, the notes for what a recogniser of words cannot do, its rough punctuation, and the
pocketsphinx recogniser's segmentation (on a fake detector), and its words on real speech where installed."""

from __future__ import annotations

import wave
from collections.abc import Iterator

import pytest
from conftest import speech_dir

from stt_cli.emulator import engines
from stt_cli.emulator.engines import EngineMissing, HeardWord, is_english, plan, punctuated, resolve
from stt_cli.emulator.engines.pocketsphinx import (
    BYTES_PER_SECOND,
    HANG_OVER,
    MAX_SEGMENT,
    PRE_ROLL,
    frames,
    segments,
    word_of,
)

FRAME = 960  # bytes: 30 ms of 16 kHz 16-bit audio, the detector's frame


def test_auto_is_pocketsphinx_where_installed_and_the_placeholder_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "installed", lambda name: True)
    assert resolve("auto") == "pocketsphinx" and resolve("pocketsphinx") == "pocketsphinx"
    assert resolve("placeholder") == "placeholder"
    monkeypatch.setattr(engines, "installed", lambda name: name == "placeholder")
    assert resolve("auto") == "placeholder"
    with pytest.raises(EngineMissing, match="local extra"):
        resolve("pocketsphinx")
    assert engines.INSTALL_LOCAL == 'pip install "stt-cli[local]"'


@pytest.mark.parametrize("language", ["en", "en-US", "en_us", "EN-gb", "english", " en "])
def test_english_in_every_spelling_is_english(language: str) -> None:
    assert is_english(language)


@pytest.mark.parametrize("language", ["de", "fr-CA", "es_es", "", "enx", "e", None, 3, ["en"]])
def test_other_languages_are_not(language: object) -> None:
    assert not is_english(language)


def test_what_cannot_be_honoured_gets_one_line_each_and_a_foreign_language_no_words() -> None:
    notes, transcribe = plan("pocketsphinx", {"diarize": "true", "summarize": "v2", "punctuate": "true"})
    assert transcribe and len(notes) == 2
    assert notes[0] == "diarize: no speaker labels: pocketsphinx does not tell speakers apart"
    assert notes[1].startswith("summarize: no summary")
    assert plan("pocketsphinx", {"diarize": "false", "topics": False}) == ((), True)
    notes, transcribe = plan("pocketsphinx", {"language": "de", "speaker_labels": True})
    assert not transcribe and notes[-1] == "language de: nothing transcribed: pocketsphinx knows US English only"
    assert plan("pocketsphinx", {"language_code": "en_us"}) == ((), True)
    notes, _ = plan("pocketsphinx", {"language": "x\x1b[31m" + "y" * 40})
    assert all(c.isprintable() for note in notes for c in note) and len(notes[0]) < 100


def heard(*words: tuple[str, bool]) -> tuple[HeardWord, ...]:
    return tuple(HeardWord(w, n, n + 0.5, 0.9, last) for n, (w, last) in enumerate(words))


def test_rough_punctuation_is_a_capital_and_a_full_stop_at_each_pause_and_i() -> None:
    words = heard(("go", False), ("forward", True), ("i'm", False), ("here", False), ("i", True), ("and", False))
    assert punctuated(words) == ["Go", "forward.", "I'm", "here", "I.", "And"]
    assert punctuated(()) == []


def test_frames_recut_a_stream_and_drop_a_short_tail() -> None:
    assert list(frames([b"abc", b"defg", b"h", b"ij"], 4)) == [b"abcd", b"efgh"]
    assert list(frames([], 4)) == []


def fake_detector(speech: list[bool]) -> tuple[Iterator[bytes], list[bytes]]:
    """A stream of frames whose first byte numbers them, and the frames that count as speech."""
    chunks = [bytes([n % 256, n // 256]) + bytes(FRAME - 2) for n in range(len(speech))]
    return iter(chunks), [chunk for chunk, said in zip(chunks, speech, strict=True) if said]


def test_segments_keep_the_quiet_just_before_speech_and_end_at_a_pause() -> None:
    second = BYTES_PER_SECOND // FRAME * 1.0  # frames a second (33.3)
    quiet, speech = [False] * int(second * 2), [True] * int(second)
    pattern = quiet + speech + [False] * int(second * HANG_OVER * 2) + speech + quiet
    stream, spoken = fake_detector(pattern)
    found = list(segments(stream, FRAME, lambda frame: frame in spoken))
    assert len(found) == 2
    first = found[0]
    frame_seconds = FRAME / BYTES_PER_SECOND
    onset = len(quiet) * frame_seconds
    assert onset - PRE_ROLL - frame_seconds <= first.start <= onset - PRE_ROLL + frame_seconds
    assert first.paused and found[1].paused
    assert all(len(s.pcm) % FRAME == 0 for s in found)


def test_a_segment_never_outgrows_its_bound_and_says_it_was_cut() -> None:
    frames_needed = int(MAX_SEGMENT * 2.5 * BYTES_PER_SECOND / FRAME)
    stream, _ = fake_detector([True] * frames_needed)
    found = list(segments(stream, FRAME, lambda frame: True))
    assert len(found) == 3
    assert all(len(s.pcm) <= MAX_SEGMENT * BYTES_PER_SECOND + FRAME for s in found)
    assert not found[0].paused and not found[1].paused  # cut mid-speech: no full stop there
    assert found[1].start == pytest.approx(len(found[0].pcm) / BYTES_PER_SECOND, abs=0.001)


def test_only_silence_makes_no_segment() -> None:
    stream, _ = fake_detector([False] * 5000)
    assert list(segments(stream, FRAME, lambda frame: False)) == []


@pytest.mark.parametrize(
    ("token", "word"),
    [("<s>", None), ("</s>", None), ("<sil>", None), ("[NOISE]", None), ("++BREATH++", None), ("", None),
     ("read(2)", "read"), ("hello", "hello"), ("mr.", "mr.")],
)  # fmt: skip
def test_the_decoder_s_marks_are_no_words(token: str, word: str | None) -> None:
    assert word_of(token) == word


def test_the_recogniser_hears_go_forward_ten_meters() -> None:
    """The one clip whose words are asserted exactly (its README says so); decoded in this process."""
    pytest.importorskip("pocketsphinx")
    folder = speech_dir()
    if folder is None:
        pytest.skip("no clips in tests/data/speech (or where STT_SPEECH_DIR says)")
    from stt_cli.emulator.engines.pocketsphinx import Recogniser

    with wave.open(str(folder / "goforward.wav")) as clip:
        pcm = clip.readframes(clip.getnframes())
    words = Recogniser().words(iter([pcm[i : i + 4096] for i in range(0, len(pcm), 4096)]))
    assert [w.word for w in words] == (folder / "goforward.ref").read_text().split()
    assert all(0.0 <= w.confidence <= 1.0 and 0 <= w.start < w.end <= 3.0 for w in words)
    assert words[-1].last_in_segment and not words[0].last_in_segment
