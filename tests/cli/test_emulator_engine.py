"""`stt run` against an emulator that transcribes with pocketsphinx (stt's local extra), on real speech
(tests/data/speech, or STT_SPEECH_DIR): a word error rate bound over the LibriVox clips (never their exact
words; goforward.wav's exactly), subtitles whose cues sit on the spoken words, channels transcribed apart,
stt's note, what the engine cannot do, and ten clients at once, each answered while the jobs decode.
Skipped where pocketsphinx is not installed (CI installs the extra)."""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.error
import urllib.request
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import srt
from conftest import SAMPLE_TEXT, EmulatorHandle, one_error_line, poll_answer, speech_dir, start_emulator, upload

from stt_cli.emulator import engines

NOTE = "warning: transcribed locally by pocketsphinx (rough; US English only)"
MAX_POOLED_WER = 0.35  # measured 0.28 (issue 27: about 0.3); a regression of the engine's use shows here
CUE_SLACK = 0.5  # s between a cue's edge and the spoken words'


SPEECH = speech_dir()
pytestmark = [
    pytest.mark.skipif(not engines.installed("pocketsphinx"), reason='needs the local extra: pip install ".[local]"'),
    pytest.mark.skipif(SPEECH is None, reason="no clips in tests/data/speech (or where STT_SPEECH_DIR says)"),
]


@pytest.fixture(scope="module")
def engine_server() -> Iterator[EmulatorHandle]:
    """One emulator for the module's tests: its workers load their model once."""
    server = start_emulator(engine="pocketsphinx", workers=2)
    yield EmulatorHandle(server)
    server.stop()


@pytest.fixture
def local(engine_server: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> EmulatorHandle:
    """The module's emulator, reset (no jobs, an empty request log), as this test's service."""
    engine_server.control("reset", {})
    monkeypatch.setenv("AIML_API_BASE", engine_server.base_url)
    monkeypatch.setenv("AIML_API_KEY", "test-key-0123456789abcdef")
    return engine_server


def clip(name: str) -> Path:
    assert SPEECH is not None
    return SPEECH / name


def reference(name: str) -> list[str]:
    return clip(name).with_suffix(".ref").read_text(encoding="utf-8").split()


def errors(expected: list[str], heard: list[str]) -> int:
    """Word-level edit distance: substitutions, insertions and deletions."""
    row = list(range(len(heard) + 1))
    for i, word in enumerate(expected, 1):
        diagonal, row[0] = row[0], i
        for j, other in enumerate(heard, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (word != other))
    return row[-1]


def words_of(result: dict[str, Any], channel: int = 0) -> list[str]:
    return [w["word"] for w in result["results"]["channels"][channel]["alternatives"][0]["words"]]


def test_the_librivox_clips_pooled_word_error_rate_is_bounded_and_goforward_is_exact(
    cli: Any, local: EmulatorHandle, tmp_path: Path
) -> None:
    assert SPEECH is not None
    done = cli("run", *map(str, sorted(SPEECH.glob("*.wav"))), "-f", "json", "--output-dir", str(tmp_path / "out"))
    assert done.exit_code == 0, done.stderr
    assert done.stderr.count(NOTE) == 1  # once a run, however many results
    total = wrong = 0
    for path in sorted(SPEECH.glob("librivox_*.wav")):
        result = json.loads((tmp_path / "out" / f"{path.stem}.json").read_text(encoding="utf-8"))
        assert result["metadata"]["engine"]["name"] == "pocketsphinx" and result["metadata"]["placeholder"] is False
        total += len(reference(path.name))
        wrong += errors(reference(path.name), words_of(result))
    assert total > 50 and wrong / total <= MAX_POOLED_WER, f"pooled word error rate {wrong / total:.3f}"
    goforward = json.loads((tmp_path / "out" / "goforward.json").read_text(encoding="utf-8"))
    assert words_of(goforward) == reference("goforward.wav")
    words = goforward["results"]["channels"][0]["alternatives"][0]["words"]
    assert all(0 <= w["confidence"] <= 1 and 0 <= w["start"] < w["end"] <= 2.8 for w in words)
    mean = sum(w["confidence"] for w in words) / len(words)
    assert goforward["results"]["channels"][0]["alternatives"][0]["confidence"] == pytest.approx(mean, abs=1e-4)


def speech_edges(path: Path) -> tuple[float, float]:
    """Where speech starts and ends by energy alone: the first and last 10 ms frame whose loudness is
    above a tenth of the loudest frame's (these clips are read aloud in a quiet room)."""
    with wave.open(str(path)) as handle:
        rate = handle.getframerate()
        samples = array("h", handle.readframes(handle.getnframes()))
    step = rate // 100
    loudness = [
        math.sqrt(sum(s * s for s in samples[i : i + step]) / step) for i in range(0, len(samples) - step, step)
    ]
    loud = [n for n, value in enumerate(loudness) if value > max(loudness) / 10]
    return loud[0] / 100, (loud[-1] + 1) / 100


@pytest.mark.parametrize("name", ["librivox_0870.wav", "librivox_0920.wav"])
def test_subtitles_of_real_speech_are_valid_and_their_cues_sit_on_the_spoken_words(
    cli: Any, local: EmulatorHandle, name: str
) -> None:
    done = cli("run", str(clip(name)), "-f", "srt")
    assert done.exit_code == 0, done.stderr
    cues = list(srt.parse(done.stdout))
    assert cues and list(srt.sort_and_reindex(cues)) == cues  # well-formed, in order, numbered from 1
    starts = [c.start.total_seconds() for c in cues]
    ends = [c.end.total_seconds() for c in cues]
    assert all(a < b for a, b in zip(starts, ends, strict=True)) and all(
        b <= a for b, a in zip(ends, starts[1:], strict=False)
    )
    onset, offset = speech_edges(clip(name))
    assert abs(starts[0] - onset) <= CUE_SLACK and abs(ends[-1] - offset) <= CUE_SLACK, (onset, offset, cues)
    fetched = json.loads(cli("fetch", "-f", "json").stdout)  # the same job's words, from the ledger
    words = fetched["results"]["channels"][0]["alternatives"][0]["words"]
    for start, end in zip(starts, ends, strict=True):  # each cue begins on a word and ends on one
        assert min(abs(start - w["start"]) for w in words) <= CUE_SLACK
        assert min(abs(end - w["end"]) for w in words) <= CUE_SLACK


def test_goforward_prints_its_words_and_stt_says_once_who_transcribed_it(cli: Any, local: EmulatorHandle) -> None:
    done = cli("run", str(clip("goforward.wav")))
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "Go forward ten meters.\n"
    assert done.stderr.count(NOTE) == 1 and "placeholder" not in done.stderr


@pytest.mark.parametrize("model", ["gpt-4o-transcribe", "mai-transcribe-1.5"])
def test_a_text_only_result_gets_the_note_from_the_poll_answer_s_header(
    cli: Any, local: EmulatorHandle, model: str
) -> None:
    done = cli("run", str(clip("goforward.wav")), "-m", model)
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "Go forward ten meters.\n"
    assert done.stderr.count(NOTE) == 1
    job_id = local.creates()[0]["generation_id"]
    request = urllib.request.Request(
        f"{local.base_url}/stt/{job_id}", headers={"Authorization": "Bearer test-key-0123456789abcdef"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["x-stt-emulator-engine"] == f"pocketsphinx {engines.version('pocketsphinx')}"
        assert set(json.load(answer)["result"]) == {"text", "usage"}  # the closed shape is left as it is


def test_what_the_engine_cannot_do_is_answered_empty_and_another_language_gets_no_words(
    cli: Any, local: EmulatorHandle
) -> None:
    done = cli("run", str(clip("goforward.wav")), "--language", "de", "--diarize", "-f", "json")
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["results"]["channels"][0]["alternatives"][0]["transcript"] == ""
    assert result["metadata"]["engine_notes"] == [
        "diarize: no speaker labels: pocketsphinx does not tell speakers apart",
        "language de: nothing transcribed: pocketsphinx knows US English only",
    ]
    (create,) = local.creates()
    assert create["engine"] == "pocketsphinx" and len(create["engine_notes"]) == 2


def test_each_channel_is_transcribed_on_its_own(cli: Any, local: EmulatorHandle, tmp_path: Path) -> None:
    """goforward.wav on the left, another clip on the right: the left channel's words are goforward's."""
    channels = []
    for name in ("goforward.wav", "librivox_0930.wav"):
        with wave.open(str(clip(name))) as handle:
            channels.append(array("h", handle.readframes(handle.getnframes())))
    length = max(len(c) for c in channels)
    for samples in channels:
        samples.extend([0] * (length - len(samples)))
    stereo = array("h", [0]) * (2 * length)
    stereo[0::2], stereo[1::2] = channels[0], channels[1]
    path = tmp_path / "two.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(stereo.tobytes())
    done = cli("run", str(path), "--multi-channel", "-f", "json")
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert len(result["results"]["channels"]) == 2 and result["metadata"]["channels"] == 2
    assert words_of(result, 0) == reference("goforward.wav")
    right = words_of(result, 1)
    assert right and errors(reference("librivox_0930.wav"), right) / len(reference("librivox_0930.wav")) <= 0.5


def test_without_the_extra_engine_pocketsphinx_is_refused_with_the_pip_command(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "installed", lambda name: name == "placeholder")
    done = cli("emulator", "--engine", "pocketsphinx", "--port", "0")
    assert done.exit_code == 2
    line = one_error_line(done.stderr)
    assert "pocketsphinx is not installed" in line and 'pip install "stt-cli[local]"' in line
    bad = cli("emulator", "--max-audio", "forever", "--port", "0")
    assert bad.exit_code == 2 and "--max-audio" in one_error_line(bad.stderr)


def test_ten_clients_at_once_are_each_answered_while_their_jobs_decode(local: EmulatorHandle) -> None:
    """Ten clients submit at once and poll until done: every poll is answered with a status the family's
    documents use, the jobs pass through `active`, and the emulator's state ends consistent. (How fast
    each answer comes is bench/local_engine.py's to measure, not a test's.)"""
    assert SPEECH is not None
    clips = [SPEECH / name for name in ("goforward.wav", "librivox_0880.wav", "librivox_0930.wav")]  # short ones
    seen: dict[int, list[str]] = {}
    results: dict[int, dict[str, Any]] = {}
    failures: list[BaseException] = []
    go = threading.Barrier(10)

    def client(n: int) -> None:
        try:
            go.wait(timeout=30)
            job_id = upload(local, clips[n % len(clips)])
            statuses = seen.setdefault(n, [])
            while True:
                answer = poll_answer(local, job_id)
                statuses.append(answer["status"])
                if answer["status"] not in ("waiting", "active"):
                    results[n] = answer
                    return
                time.sleep(0.05)
        except BaseException as exc:  # reported by the test's thread, below
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=100)
    assert not failures and len(results) == 10
    assert all(answer["status"] == "completed" and answer["result"]["results"] for answer in results.values())
    assert all(set(statuses) <= {"waiting", "active", "completed"} for statuses in seen.values())
    assert any("active" in statuses for statuses in seen.values())
    assert sum(statuses.count("waiting") for statuses in seen.values()) > 0  # two workers, ten jobs: some wait
    state = local.server.state
    with state.lock:
        assert len(state.jobs) == 10 and all(job.decoding is None and job.heard for job in state.jobs.values())
    assert len(local.creates()) == 10 and state.engine.pool is not None and state.engine.pool.busy == 0


def test_a_job_that_decodes_for_hours_is_kept_until_an_hour_after_it_is_done(local: EmulatorHandle) -> None:
    """The service keeps a result an hour after the job ends: a long decode is not cut short by that hour."""
    job_id = upload(local, clip("goforward.wav"))
    while poll_answer(local, job_id)["status"] != "completed":
        time.sleep(0.05)
    state = local.server.state
    with state.lock:
        job = state.jobs[job_id]
        job.decoding, job.processing_time = "running", 2.0  # as if it were still decoding after hours
    local.advance(3 * 3600)
    assert poll_answer(local, job_id)["status"] == "active"
    with state.lock:
        job.decoding, job.processing_time = None, state.now() - job.created  # done now
    assert poll_answer(local, job_id)["status"] == "completed"
    local.advance(3601)
    with pytest.raises(urllib.error.HTTPError) as gone:
        poll_answer(local, job_id)
    assert gone.value.code == 404


def test_the_emulator_s_sample_keeps_its_known_words(cli: Any, local: EmulatorHandle, talk: Path) -> None:
    done = cli("run", str(talk))
    assert done.exit_code == 0, done.stderr
    assert done.stdout == SAMPLE_TEXT + "\n" and "transcribed locally" not in done.stderr
    (create,) = local.creates()
    assert create["engine"] == "sample"
    done = cli("run", str(talk), "-m", "gpt-4o-transcribe")
    assert done.exit_code == 0 and "transcribed locally" not in done.stderr
