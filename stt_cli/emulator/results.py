"""The emulator's transcripts: Deepgram, AssemblyAI and text-only results for an audio input: the sample's
known words, a placeholder, or what a local engine heard (emulator/engines/), each in its family's shape."""

from __future__ import annotations

import hashlib
import io
import json
import math
import shutil
import subprocess
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from stt_cli.api.catalogue import family_of
from stt_cli.emulator.engines import Heard, punctuated
from stt_cli.formats.placeholder import PLACEHOLDER_LABEL

# After its label (formats/placeholder.py), the placeholder's filler: words that mark time, saying what they are.
PLACEHOLDER_SENTENCES = (
    "This is a placeholder transcript from the stt emulator.",
    "The emulator does not listen to audio, so these words only mark time.",
    "Use the real service for a real transcript of your recording.",
)
PLACEHOLDER_WORDS_PER_SECOND = 2.5
PLACEHOLDER_SENTENCE_PAUSE = 0.5  # s
PLACEHOLDER_LABEL_PAUSE = 1.6  # s after the label, as after any non-speech mark: subtitles give it a cue of its own
PLACEHOLDER_WORD_SHARE = 0.8  # of a word's step: the rest is the gap before the next word
MAX_PLACEHOLDER_WORD_LENGTH = 0.6  # s
MAX_PLACEHOLDER_WORDS = 3000  # longer audio spreads these over its length instead
ASSUMED_BYTES_PER_SECOND = 16000  # 128 kbit/s: the duration guessed for audio nothing here can measure...
MIN_GUESSED_DURATION = 1.0  # s
MAX_GUESSED_DURATION = 4 * 3600.0  # s: ...within these bounds
FFPROBE_TIMEOUT = 10.0  # s: ffprobe reads an upload's length from its container, or gives up
URL_SOURCE_DURATION = 30.0  # s: the emulator never downloads, so a URL source gets a fixed length
EMULATOR_MODEL_NAME = "stt-emulator"  # AssemblyAI's acoustic_model and language_model in the emulator's results
DEFAULT_UTT_SPLIT = 0.8  # s, as the service documents
MAI_PRICE_PER_SECOND = 0.0001  # USD: MAI's page shows 11 s of audio costing 0.0011 in its result's usage


class DurationSource(StrEnum):
    """Where the emulator learned an audio's length: the result's metadata (Deepgram shape) and the request
    log name it, so a length that was only guessed says so."""

    WAV = "wav"  # the WAV header
    FLAC = "flac"  # the FLAC STREAMINFO
    FFPROBE = "ffprobe"  # the container, read by ffprobe from the upload's copy
    GUESS = "guess"  # the size at ASSUMED_BYTES_PER_SECOND, bounded: nothing above could tell
    URL = "url"  # a fixed length: the emulator never downloads a URL


@dataclass(frozen=True)
class AudioInfo:
    """What the emulator learned from the upload (or URL): from its first bytes, or its copy."""

    duration: float
    channels: int
    sha256: str
    size: int
    recognised: bool  # the shipped sample: real words with real timings
    duration_source: DurationSource = DurationSource.GUESS


@dataclass(frozen=True)
class SpokenWord:
    word: str
    punctuated: str
    start: float
    end: float
    speaker: int
    confidence: float | None = None  # a local engine's; else one is made up from the audio's hash
    channel: int = 0


@cache
def sample() -> dict[str, Any]:
    data = resources.files("stt_cli.emulator").joinpath("data/talk.json").read_text(encoding="utf-8")
    result: dict[str, Any] = json.loads(data)
    return result


def sample_wav() -> bytes:
    return resources.files("stt_cli.emulator").joinpath("data/talk.wav").read_bytes()


def audio_info(head: bytes, size: int, sha256: str, path: str | None = None) -> AudioInfo:
    """Duration and channels from a WAV header or a FLAC STREAMINFO (the first bytes suffice); else from
    ffprobe on the upload's copy at `path` when ffprobe is installed; else a bounded guess from the size."""
    recognised = sha256 == sample()["sha256"] or _flac_shape(head) == _sample_shape()
    known, source = _wav_info(head, size), DurationSource.WAV
    if known is None:
        known, source = _flac_info(head), DurationSource.FLAC
    if (known is None or known[0] is None) and path is not None:
        probed = _ffprobe_info(path)
        if probed is not None:
            known, source = probed, DurationSource.FFPROBE
    duration, channels = known if known is not None else (None, 1)
    if duration is None:
        duration, source = guessed_duration(size), DurationSource.GUESS
    return AudioInfo(round(duration, 3), channels, sha256, size, recognised, source)


def guessed_duration(size: int) -> float:
    """The length of `size` bytes of audio nothing here can measure: at 128 kbit/s, within bounds."""
    return min(MAX_GUESSED_DURATION, max(MIN_GUESSED_DURATION, size / ASSUMED_BYTES_PER_SECOND))


def length_in_header(head: bytes) -> bool:
    """Whether an upload's first bytes tell its length (a WAV header, a FLAC STREAMINFO with its sample
    count): when they do not, the server keeps a copy for ffprobe to measure."""
    if _wav_info(head, len(head)) is not None:
        return True
    flac = _flac_info(head)
    return flac is not None and flac[0] is not None


def _wav_info(head: bytes, size: int) -> tuple[float | None, int] | None:
    """(duration, channels) of a WAV, or None for anything else."""
    try:
        with wave.open(io.BytesIO(head)) as handle:
            frame = handle.getsampwidth() * handle.getnchannels()
            frames = handle.getnframes()
            # A streamed WAV declares no length; the bytes we counted then tell it.
            by_size = max(0, size - 44) // frame if frame else 0
            if frames <= 0 or frames >= 0xFFFFFFF0 // max(frame, 1):
                frames = by_size
            return min(frames, by_size or frames) / handle.getframerate(), handle.getnchannels()
    except (wave.Error, EOFError, ZeroDivisionError, ValueError):
        return None


@cache
def _sample_shape() -> tuple[int, int, int, int]:
    """The sample's rate, channels, bits and sample count: a FLAC of the same shape is the sample, sent as
    FLAC (stt's --audio-prep; its compact form too, the sample being 16 kHz mono already)."""
    with wave.open(io.BytesIO(sample_wav())) as handle:
        return handle.getframerate(), handle.getnchannels(), handle.getsampwidth() * 8, handle.getnframes()


def _flac_info(head: bytes) -> tuple[float | None, int] | None:
    """(duration, channels) from a FLAC's STREAMINFO, or None for anything else. Its 36-bit total of samples
    is 0 when the encoder did not know it: the duration is then unknown (None)."""
    shape = _flac_shape(head)
    if shape is None:
        return None
    rate, channels, _bits, samples = shape
    return (samples / rate if samples else None), channels


def _flac_shape(head: bytes) -> tuple[int, int, int, int] | None:
    """(rate, channels, bits, samples) from a FLAC's STREAMINFO, its first metadata block (after an ID3v2
    tag, which some taggers put first), or None for anything else."""
    start = 0
    if head[:3] == b"ID3" and len(head) >= 10:  # ID3v2: a 10-byte header, then a syncsafe size (a footer)
        start = 10 + sum((byte & 0x7F) << shift for byte, shift in zip(head[6:10], (21, 14, 7, 0), strict=True))
        start += 10 if head[5] & 0x10 else 0
    block = head[start : start + 8 + 34]
    if len(block) < 42 or block[:4] != b"fLaC" or block[4] & 0x7F != 0 or int.from_bytes(block[5:8]) < 34:
        return None
    # After the block and frame sizes (10 bytes): rate (20 bits), channels - 1 (3), bits - 1 (5), samples (36).
    packed = int.from_bytes(block[18:26])
    rate = packed >> 44
    channels = ((packed >> 41) & 0x7) + 1
    bits = ((packed >> 36) & 0x1F) + 1
    samples = packed & (2**36 - 1)
    if rate == 0:
        return None  # not a valid STREAMINFO
    return rate, channels, bits, samples


def _ffprobe_info(path: str) -> tuple[float | None, int] | None:
    """(duration, channels) of an upload's first audio stream, read by ffprobe from its copy at `path`; None
    when ffprobe is not installed, fails, or finds no audio or no length."""
    program = shutil.which("ffprobe")
    if program is None:
        return None
    command = [program, "-v", "error", "-select_streams", "a:0", "-show_entries", "format=duration:stream=channels"]
    try:
        done = subprocess.run(
            [*command, "-of", "json", path],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=FFPROBE_TIMEOUT,
            check=False,
        )
        data = json.loads(done.stdout)
        streams = data.get("streams") or []
        duration = float(data["format"]["duration"])
        channels = int(streams[0].get("channels", 1)) if streams else 0
    except (OSError, subprocess.SubprocessError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if done.returncode != 0 or not streams or not math.isfinite(duration) or duration <= 0:
        return None
    return duration, max(1, channels)


def url_info(url: str) -> AudioInfo:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
    return AudioInfo(URL_SOURCE_DURATION, 1, digest, 0, False, DurationSource.URL)


def spoken_words(info: AudioInfo) -> list[SpokenWord]:
    if info.recognised:
        return [
            SpokenWord(w["word"], w["punctuated_word"], w["start"], w["end"], w["speaker"]) for w in sample()["words"]
        ]
    return placeholder_words(info.duration)


def placeholder_words(duration: float) -> list[SpokenWord]:
    """The placeholder: its whole label first, whatever the audio's length (squeezed into audio too short to
    say it at the usual pace, never cut), then filler sentences to the audio's end; sentences alternate two
    speakers. The label's tokens are kept as they are in both forms (word and punctuated): a reader of either
    sees the whole label."""
    label = PLACEHOLDER_LABEL.split()
    step = 1.0 / PLACEHOLDER_WORDS_PER_SECOND
    duration = max(0.0, duration)
    if duration < len(label) * step:
        step = duration / len(label)
        return _label_words(label, step, step * PLACEHOLDER_WORD_SHARE)
    count = max(len(label), min(int(duration * PLACEHOLDER_WORDS_PER_SECOND), MAX_PLACEHOLDER_WORDS))
    step = max(step, duration / count)
    length = min(step * PLACEHOLDER_WORD_SHARE, MAX_PLACEHOLDER_WORD_LENGTH)
    words = _label_words(label, step, length)
    t = len(label) * step + PLACEHOLDER_LABEL_PAUSE
    sentence = 1
    while len(words) < count and t + length <= duration:
        for token in PLACEHOLDER_SENTENCES[(sentence - 1) % len(PLACEHOLDER_SENTENCES)].split():
            if len(words) >= count or t + length > duration:
                break
            words.append(SpokenWord(token.strip(".,").lower(), token, round(t, 3), round(t + length, 3), sentence % 2))
            t += step
        t += PLACEHOLDER_SENTENCE_PAUSE
        sentence += 1
    return words


def _label_words(label: list[str], step: float, length: float) -> list[SpokenWord]:
    return [
        SpokenWord(token, token, round(i * step, 3), round(i * step + length, 3), 0) for i, token in enumerate(label)
    ]


def _flag(options: dict[str, Any], name: str) -> bool:
    value = options.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _confidence(seed: str, index: int) -> float:
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return round(0.85 + digest[0] / 255 * 0.149, 4)


def heard_words(heard: Heard) -> list[list[SpokenWord]]:
    """A local engine's words, a list a channel, with its rough punctuation and its confidences."""
    return [
        [
            SpokenWord(w.word, shown, w.start, w.end, 0, w.confidence, channel)
            for w, shown in zip(words, punctuated(words), strict=True)
        ]
        for channel, words in enumerate(heard.channels)
    ]


def build_result(
    model: str, options: dict[str, Any], info: AudioInfo, job_id: str, created: str, heard: Heard | None = None
) -> dict[str, Any]:
    """The job's result in its model's shape: what `heard` holds when a local engine transcribed the audio,
    else the sample's words or the placeholder."""
    channels = heard_words(heard) if heard is not None else None
    words = channels[0] if channels else spoken_words(info)
    family = family_of(model)
    shape = family.shape if family is not None else "deepgram"
    if shape == "assemblyai":
        return _assemblyai(words, options, info, job_id, model, heard, channels)
    if shape == "text":
        text = " ".join(w.punctuated for w in words)
        return {"text": text, "usage": text_usage(model, len(words), info.duration)}
    return _deepgram(model, words, options, info, job_id, created, heard, channels)


def text_usage(model: str, words: int, duration: float) -> dict[str, Any]:
    """The `usage` of a text-only result as each page shows it: MAI's per-second `{seconds, cost}` (its page:
    11 s, $0.0011), gpt-4o's tokens with their audio and text parts (its page and the fetch schema)."""
    family = family_of(model)
    if family is not None and family.name == "Microsoft":
        seconds = max(1, math.ceil(duration))  # a started second counts: the page's figures are whole seconds
        return {"seconds": seconds, "cost": round(seconds * MAI_PRICE_PER_SECOND, 6)}
    audio_tokens = words * 4
    return {
        "type": "tokens",
        "total_tokens": audio_tokens + words,
        "input_tokens": audio_tokens,
        "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
        "output_tokens": words,
    }


def _deepgram(
    model: str,
    words: list[SpokenWord],
    options: dict[str, Any],
    info: AudioInfo,
    job_id: str,
    created: str,
    heard: Heard | None = None,
    heard_channels: list[list[SpokenWord]] | None = None,
) -> dict[str, Any]:
    """The Deepgram shape. With `heard`, each channel has its own words, and what the engine cannot do
    (speakers, language detection, analysis) is answered empty; its notes say why, in the metadata."""
    punctuate = str(options.get("punctuate", "true")).lower() != "false" or _flag(options, "smart_format")
    diarize = _flag(options, "diarize") and heard is None
    channels_count = info.channels if (_flag(options, "multi_channel") or _flag(options, "multichannel")) else 1
    if heard_channels is not None:
        channels_count = len(heard_channels)
    seed = info.sha256

    def word_obj(index: int, w: SpokenWord) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "word": w.word,
            "start": w.start,
            "end": w.end,
            "confidence": w.confidence if w.confidence is not None else _confidence(seed, index),
        }
        if punctuate:
            obj["punctuated_word"] = w.punctuated
        if diarize:
            obj["speaker"] = w.speaker
            obj["speaker_confidence"] = round(_confidence(seed, -index) - 0.2, 4)
        return obj

    by_channel = heard_channels if heard_channels is not None else [words] * channels_count
    objs_by_channel = [[word_obj(i, w) for i, w in enumerate(said)] for said in by_channel]
    word_objs = objs_by_channel[0] if objs_by_channel else []
    transcript = " ".join((w.punctuated if punctuate else w.word) for w in words)
    channels = []
    for said, objs in zip(by_channel, objs_by_channel, strict=True):
        text = " ".join((w.punctuated if punctuate else w.word) for w in said)
        overall = round(sum(o["confidence"] for o in objs) / len(objs), 4) if objs else 0.0
        alternative: dict[str, Any] = {"transcript": text, "confidence": overall, "words": objs}
        if _flag(options, "paragraphs"):
            alternative["paragraphs"] = _paragraphs(said, punctuate, diarize)
        entry: dict[str, Any] = {"alternatives": [alternative]}
        if _flag(options, "detect_language") and heard is None:
            entry["detected_language"] = "en"
            entry["language_confidence"] = 0.9921
        queries = options.get("search")
        if queries:
            entry["search"] = [_search(q, said) for q in (queries if isinstance(queries, list) else [queries])]
        channels.append(entry)
    results: dict[str, Any] = {"channels": channels}
    if _flag(options, "utterances"):
        try:
            split = float(options.get("utt_split", DEFAULT_UTT_SPLIT))
        except (TypeError, ValueError):
            split = DEFAULT_UTT_SPLIT
        if heard_channels is None:
            every = range(channels_count)
            results["utterances"] = _utterances(words, word_objs, split, punctuate, diarize, seed, every)
        else:
            spoken = [
                entry
                for channel, (said, objs) in enumerate(zip(by_channel, objs_by_channel, strict=True))
                for entry in _utterances(said, objs, split, punctuate, diarize, seed, [channel])
            ]
            results["utterances"] = sorted(spoken, key=lambda u: (u["start"], u["channel"]))
    if options.get("summarize") not in (None, False, "false"):
        short = "" if heard is not None else " ".join(w.punctuated for w in words[:12])
        results["summary"] = {"result": "success", "short": short}

    def segments(**fields: Any) -> list[dict[str, Any]]:
        if heard is not None:
            return []  # the engine finds no topics, intents or sentiment: the blocks come empty
        return [{"text": transcript, "start_word": 0, "end_word": max(0, len(words) - 1), **fields}]

    if _flag(options, "topics") or _flag(options, "detect_topics"):
        results["topics"] = {"segments": segments(topics=[{"topic": "Speech technology", "confidence_score": 0.81}])}
    if _flag(options, "intents"):
        results["intents"] = {
            "segments": segments(intents=[{"intent": "Inform about a tool", "confidence_score": 0.77}])
        }
    if _flag(options, "sentiment"):
        results["sentiments"] = {"segments": segments(sentiment="positive", sentiment_score=0.41)}
        if heard is None:
            results["sentiments"]["average"] = {"sentiment": "positive", "sentiment_score": 0.41}
    metadata: dict[str, Any] = {
        "transaction_key": "deprecated",
        "request_id": job_id,
        "sha256": info.sha256,
        "created": created,
        "duration": info.duration,
        "channels": channels_count,
        "models": [hashlib.sha256(model.encode()).hexdigest()[:32]],
        "model_info": {
            hashlib.sha256(model.encode()).hexdigest()[:32]: {
                "name": model,
                "version": "emulator",
                "arch": model.split("-")[0].lstrip("#"),
            }
        },
        # Deepgram's metadata is an open object: the emulator says here what it is and what it answered.
        "emulator": True,
        "placeholder": not info.recognised and heard is None,
        "duration_source": str(info.duration_source),
    }
    if heard is not None:
        metadata["engine"] = {"name": heard.engine, "version": heard.version}
        if heard.notes:
            metadata["engine_notes"] = list(heard.notes)
    tags = options.get("tag")
    if tags:
        metadata["tags"] = tags if isinstance(tags, list) else [tags]
    extra = options.get("extra")
    if extra:
        pairs = extra if isinstance(extra, list) else [extra]
        metadata["extra"] = {key: value for key, _, value in (str(p).partition(":") for p in pairs)}
    return {"metadata": metadata, "results": results}


def _sentences(words: list[SpokenWord]) -> list[list[SpokenWord]]:
    sentences: list[list[SpokenWord]] = [[]]
    for w in words:
        sentences[-1].append(w)
        if w.punctuated.endswith((".", "?", "!", "]")):  # "]": the placeholder's label is a sentence of its own
            sentences.append([])
    return [s for s in sentences if s]


def _paragraphs(words: list[SpokenWord], punctuate: bool, diarize: bool) -> dict[str, Any]:
    paragraphs: list[list[list[SpokenWord]]] = []
    for sentence in _sentences(words):
        if paragraphs and paragraphs[-1][-1][-1].speaker == sentence[0].speaker:
            paragraphs[-1].append(sentence)
        else:
            paragraphs.append([sentence])
    out = []
    text_parts = []
    for para in paragraphs:
        sentences = [
            {
                "text": " ".join(w.punctuated if punctuate else w.word for w in s),
                "start": s[0].start,
                "end": s[-1].end,
            }
            for s in para
        ]
        body = " ".join(str(s["text"]) for s in sentences)
        entry: dict[str, Any] = {
            "sentences": sentences,
            "num_words": sum(len(s) for s in para),
            "start": para[0][0].start,
            "end": para[-1][-1].end,
        }
        if diarize:
            entry["speaker"] = para[0][0].speaker
            text_parts.append(f"Speaker {para[0][0].speaker}: {body}")
        else:
            text_parts.append(body)
        out.append(entry)
    return {"transcript": "\n" + "\n\n".join(text_parts), "paragraphs": out}


def _utterances(
    words: list[SpokenWord],
    word_objs: list[dict[str, Any]],
    split: float,
    punctuate: bool,
    diarize: bool,
    seed: str,
    channels: Iterable[int],
) -> list[dict[str, Any]]:
    groups: list[list[int]] = []
    for i, w in enumerate(words):
        if groups and w.start - words[groups[-1][-1]].end < split and w.speaker == words[groups[-1][-1]].speaker:
            groups[-1].append(i)
        else:
            groups.append([i])
    out = []
    for channel in channels:
        for n, group in enumerate(groups):
            entry: dict[str, Any] = {
                "start": words[group[0]].start,
                "end": words[group[-1]].end,
                "confidence": round(sum(word_objs[i]["confidence"] for i in group) / len(group), 4),
                "channel": channel,
                "transcript": " ".join(words[i].punctuated if punctuate else words[i].word for i in group),
                "words": [word_objs[i] for i in group],
                "id": hashlib.sha256(f"{seed}:{channel}:{n}".encode()).hexdigest()[:32],
            }
            if diarize:
                entry["speaker"] = words[group[0]].speaker
            out.append(entry)
    return out


def _search(query: Any, words: list[SpokenWord]) -> dict[str, Any]:
    needle = str(query).lower()
    hits = [
        {"confidence": 1.0, "start": w.start, "end": w.end, "snippet": w.punctuated} for w in words if w.word == needle
    ]
    return {"query": str(query), "hits": hits}


def _assemblyai(
    words: list[SpokenWord],
    options: dict[str, Any],
    info: AudioInfo,
    job_id: str,
    model: str,
    heard: Heard | None = None,
    heard_channels: list[list[SpokenWord]] | None = None,
) -> dict[str, Any]:
    """AssemblyAI's shape. With `heard`, the words of every channel transcribed, in time order (each names
    its channel when several were), and the blocks the engine cannot fill come empty."""
    labels = _flag(options, "speaker_labels") and heard is None
    letters = "ABCDEFGH"
    several = heard_channels is not None and len(heard_channels) > 1
    if heard_channels is not None:
        words = sorted((w for said in heard_channels for w in said), key=lambda w: (w.start, w.channel))

    def word(index: int, w: SpokenWord) -> dict[str, Any]:
        item = {
            "text": w.punctuated,
            "start": round(w.start * 1000),
            "end": round(w.end * 1000),
            "confidence": w.confidence if w.confidence is not None else _confidence(info.sha256, index),
            "speaker": letters[w.speaker] if labels else None,
        }
        if heard is not None:
            del item["speaker"]  # none told apart (the schema types it a string: no null)
        if several:
            item["channel"] = str(w.channel + 1)
        return item

    items = [word(i, w) for i, w in enumerate(words)]
    # Free strings in the provider's schema (AssemblyAI's own say "assemblyai_default"): here they name the
    # emulator, and the engine that transcribed. Whether the text is a placeholder, its label says
    # (formats/placeholder.py).
    model_name = EMULATOR_MODEL_NAME if heard is None else f"{EMULATOR_MODEL_NAME}: {heard.engine} {heard.version}"
    result: dict[str, Any] = {
        "id": job_id,
        "status": "completed",
        "text": " ".join(w.punctuated for w in words),
        "words": items,
        "audio_duration": info.duration,
        "acoustic_model": model_name,
        "language_model": model_name,
        "language_code": "en_us",
        "speech_model": model.rpartition("/")[2],  # the pages' results: "slam-1" for aai/slam-1
        "confidence": round(sum(i["confidence"] for i in items) / len(items), 4) if items else 0.0,
    }
    if several:
        result["multichannel"] = True
    if heard is not None:
        if _flag(options, "speaker_labels"):
            result["utterances"] = []  # no speakers told apart: none of their turns
        result.update(_assemblyai_empty(options))
        return result
    if labels:
        turns: list[list[dict[str, Any]]] = []
        for item in items:
            if turns and turns[-1][-1]["speaker"] == item["speaker"]:
                turns[-1].append(item)
            else:
                turns.append([item])
        result["utterances"] = [
            {
                "speaker": t[0]["speaker"],
                "start": t[0]["start"],
                "end": t[-1]["end"],
                "text": " ".join(i["text"] for i in t),
                "confidence": t[0]["confidence"],
                "words": t,
            }
            for t in turns
        ]
    result.update(_assemblyai_analysis(items, options, result["text"]))
    return result


def _assemblyai_empty(options: dict[str, Any]) -> dict[str, Any]:
    """The analysis blocks asked for, as a recogniser of words alone answers them: in the provider's
    shapes, with nothing in them."""
    empty: dict[str, Any] = {
        "summarization": ("summary", ""),
        "auto_chapters": ("chapters", []),
        "entity_detection": ("entities", []),
        "sentiment_analysis": ("sentiment_analysis_results", []),
        "iab_categories": ("iab_categories_result", {"status": "success", "results": [], "summary": {}}),
        "auto_highlights": ("auto_highlights_result", {"status": "success", "results": []}),
    }
    return {key: value for name, (key, value) in empty.items() if _flag(options, name)}


def _assemblyai_analysis(items: list[dict[str, Any]], options: dict[str, Any], text: str) -> dict[str, Any]:
    """The analysis blocks of AssemblyAI's result, each only when its request field asked for it, in the
    shapes of the provider's published response schema (summary, chapters, entities, sentiment, topics)."""
    if not items:
        return {}
    start, end = items[0]["start"], items[-1]["end"]
    half = len(items) // 2 or 1
    sentences = [
        (items[:half], " ".join(i["text"] for i in items[:half])),
        (items[half:], " ".join(i["text"] for i in items[half:])),
    ]
    out: dict[str, Any] = {}
    if _flag(options, "summarization"):
        out["summary"] = "- " + " ".join(i["text"] for i in items[:12])
    if _flag(options, "auto_chapters"):
        out["chapters"] = [
            {"summary": text[:160], "headline": "A tour of the command line tool", "gist": "The tool",
             "start": start, "end": end}
        ]  # fmt: skip
    if _flag(options, "entity_detection"):
        found = [i for i in items if i["text"].strip(".,") in ("Welcome", "Thanks")][:2]
        out["entities"] = [
            {"entity_type": "event", "text": i["text"].strip(".,"), "start": i["start"], "end": i["end"]} for i in found
        ]
    if _flag(options, "sentiment_analysis"):
        out["sentiment_analysis_results"] = [
            {"text": said, "start": part[0]["start"], "end": part[-1]["end"], "sentiment": mood, "confidence": 0.83,
             **({"speaker": part[0]["speaker"]} if part[0].get("speaker") else {})}
            for (part, said), mood in zip(sentences, ("POSITIVE", "NEUTRAL"), strict=True) if part
        ]  # fmt: skip
    if _flag(options, "iab_categories"):
        labels = [
            {"relevance": 0.92, "label": "Technology&Computing>Software"},
            {"relevance": 0.41, "label": "Education"},
        ]
        out["iab_categories_result"] = {
            "status": "success",
            "results": [{"text": text[:200], "labels": labels, "timestamp": {"start": start, "end": end}}],
            "summary": {label["label"]: label["relevance"] for label in labels},
        }
    if _flag(options, "language_detection"):
        out["language_confidence"] = 0.9921
    return out
