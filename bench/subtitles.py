"""Subtitle quality benchmark: stt-cli's SRT writer against deepgram-captions and a naive fixed-size writer.

    pip install -e ".[bench]" && python bench/subtitles.py [--quick]

Every writer gets the same payloads (the emulator's, plus long diarized conversations generated here with a
fixed seed) and every SRT is read back with the `srt` package, so all writers are judged on what a player
would show. Per writer, the table gives the share of cues breaking each rule of broadcast practice:
a line over 42 characters, over 2 lines, up over 7 s, up under 1 s, faster than 17 characters a second,
holding a single word, holding a single word that a neighbouring cue of the same speaker (no more than 1.5 s
away) could have taken ("orphans"), or mixing speakers. Lower is better everywhere. A last table counts, for
the words wider than a line, how many each writer cut into pieces and how many stand whole on a line past
the width (the only line past it a writer should make).
"""

from __future__ import annotations

import argparse
import bisect
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import srt

from stt_cli.emulator.results import AudioInfo, build_result, sample
from stt_cli.formats.render import render

WIDTH, LINES, LONGEST, SHORTEST, CPS = 42, 2, 7.0, 1.0, 17.0
NAIVE_WORDS = 7
COLUMNS = ("lines>42", "lines>2", ">7s", "<1s", ">17cps", "1-word", "orphans", "mixed")
PAUSE = 1.5  # s: a neighbour further away than this cannot fairly take a word

VOCABULARY = (  # noqa: SIM905 - a word list reads best as text
    "the a of to and in that it is was for on are with as I his they be at one have this from or had by hot "
    "word but what some we can out other were all there when up use your how said an each she which do their "
    "time if will way about many then them write would like so these her long make thing see him two has look "
    "more day could go come did number sound no most people my over know water than call first who may down "
    "side been now find any new work part take get place made live where after back little only round man year "
    "came show every good me give our under name very through just form sentence great think say help low line "
    "differ turn cause much mean before move right boy old too same tell does set three want air well also play "
    "small end put home read hand port large spell add even land here must big high such follow act why ask "
    "men change went light kind off need house picture try us again animal point mother world near build self "
    "earth father head stand own page should country found answer school grow study still learn plant cover "
    "food sun four between state keep eye never last let thought city tree cross farm hard start might story "
    "saw far sea draw left late run don't while press close night real life few north transcription subtitle "
    "microphone recording interview quarterly infrastructure approximately"
).split()
SHORT_REPLIES = ("Yes.", "No.", "Right.", "Okay.", "Exactly.", "Sure.", "Mm-hmm.", "Thanks.")


def conversation(seed: int, minutes: float, speakers: int) -> dict[str, Any]:
    """A Deepgram-shaped diarized payload: sentences, pauses, turns, fast talkers and short replies."""
    rng = random.Random(seed)
    words: list[dict[str, Any]] = []
    t = 0.5
    speaker = 0
    rates = [rng.uniform(2.2, 4.2) for _ in range(speakers)]  # words a second; some people talk fast
    while t < minutes * 60:
        if rng.random() < 0.12:
            sentences = [[rng.choice(SHORT_REPLIES)]]
        else:
            sentences = []
            for _ in range(rng.randint(1, 4)):
                tokens = [rng.choice(VOCABULARY) for _ in range(rng.randint(3, 22))]
                tokens[0] = tokens[0].capitalize()
                for i in range(2, len(tokens) - 2):
                    if rng.random() < 0.08:
                        tokens[i] += ","
                tokens[-1] += rng.choice(".....?!")
                sentences.append(tokens)
        for sentence in sentences:
            for token in sentence:
                length = max(0.12, len(token) / 5 / rates[speaker] * rng.uniform(0.8, 1.25))
                words.append(
                    {
                        "word": token.strip(".,?!").lower(),
                        "punctuated_word": token,
                        "start": round(t, 3),
                        "end": round(t + length, 3),
                        "confidence": 0.95,
                        "speaker": speaker,
                    }
                )
                t += length + rng.choice((0.02, 0.05, 0.08, 0.12))
            t += rng.uniform(0.15, 0.9) if rng.random() < 0.85 else rng.uniform(1.5, 4.0)
        speaker = (speaker + rng.randint(1, speakers - 1)) % speakers
        t += rng.uniform(0.1, 0.7)
    transcript = " ".join(w["punctuated_word"] for w in words)
    return {
        "metadata": {"duration": t, "channels": 1},
        "results": {"channels": [{"alternatives": [{"transcript": transcript, "confidence": 0.95, "words": words}]}]},
    }


def with_long_words(payload: dict[str, Any], seed: int, every: int = 40) -> dict[str, Any]:
    """The payload with one word in `every` replaced by a word of 45 to 70 letters (chemistry, German, URLs)."""
    rng = random.Random(seed)
    words = [dict(w) for w in payload["results"]["channels"][0]["alternatives"][0]["words"]]
    for word in words[every // 2 :: every]:
        long_word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(45, 70)))
        word["word"] = word["punctuated_word"] = long_word
    transcript = " ".join(w["punctuated_word"] for w in words)
    alternative = {"transcript": transcript, "confidence": 0.95, "words": words}
    return {**payload, "results": {"channels": [{"alternatives": [alternative]}]}}


def payloads(quick: bool) -> dict[str, dict[str, Any]]:
    sample_info = AudioInfo(sample()["duration"], 1, sample()["sha256"], 1, True)
    placeholder = AudioInfo(600.0, 1, "bench", 1, False)
    options = {"diarize": "true", "punctuate": "true"}
    minutes = 3 if quick else 45
    return {
        "emulator sample": build_result("#g1_whisper-large", options, sample_info, "b", "t"),
        "emulator 10 min": build_result("#g1_whisper-large", options, placeholder, "b", "t"),
        f"2 speakers, {minutes} min": conversation(1, minutes, 2),
        f"4 speakers, {minutes} min": conversation(2, minutes, 4),
        f"long words, {minutes} min": with_long_words(conversation(3, minutes, 2), 3),
    }


# --- The writers ---------------------------------------------------------------------------------------
def stt_cli_writer(payload: dict[str, Any]) -> str:
    return render(payload, "srt")[0]


def deepgram_captions_writer(payload: dict[str, Any]) -> str:
    from deepgram_captions import DeepgramConverter
    from deepgram_captions import srt as dg_srt

    result: str = dg_srt(DeepgramConverter(payload))
    return result


def naive_writer(payload: dict[str, Any]) -> str:
    """Fixed NAIVE_WORDS words a cue, one line, shown exactly while they are spoken."""
    words = payload["results"]["channels"][0]["alternatives"][0]["words"]
    cues = []
    for n in range(0, len(words), NAIVE_WORDS):
        chunk = words[n : n + NAIVE_WORDS]
        text = " ".join(w.get("punctuated_word", w["word"]) for w in chunk)
        cues.append(
            srt.Subtitle(
                len(cues) + 1, srt.timedelta(seconds=chunk[0]["start"]), srt.timedelta(seconds=chunk[-1]["end"]), text
            )
        )
    return str(srt.compose(cues, reindex=False))


WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "stt-cli": stt_cli_writer,
    "deepgram-captions": deepgram_captions_writer,
    f"naive {NAIVE_WORDS} words": naive_writer,
}

LABEL = re.compile(r"^(\[speaker \d+\]|Speaker \w+:)\s*", re.IGNORECASE)


@dataclass
class Score:
    cues: int
    counts: dict[str, int]

    def share(self, column: str) -> float:
        return 100.0 * self.counts[column] / self.cues if self.cues else 0.0


def score(document: str, payload: dict[str, Any]) -> Score:
    """Judge an SRT on what a viewer sees; speakers are looked up from the words spoken during each cue."""
    words = payload["results"]["channels"][0]["alternatives"][0]["words"]
    starts = [w["start"] for w in words]
    counts = dict.fromkeys(COLUMNS, 0)
    cues = list(srt.parse(document))
    spans = []  # per cue: the indexes of the words spoken during it
    for cue in cues:
        start, end = cue.start.total_seconds(), cue.end.total_seconds()
        spans.append((bisect.bisect_left(starts, start - 1e-6), bisect.bisect_left(starts, end - 1e-6)))
    for n, cue in enumerate(cues):
        lines = cue.content.splitlines()
        start, end = cue.start.total_seconds(), cue.end.total_seconds()
        duration = max(end - start, 1e-3)
        visible = sum(len(line) for line in lines)
        spoken = " ".join(LABEL.sub("", line) for line in lines).split()
        counts["lines>42"] += any(len(line) > WIDTH for line in lines)
        counts["lines>2"] += len(lines) > LINES
        counts[">7s"] += duration > LONGEST + 1e-6
        counts["<1s"] += duration < SHORTEST - 1e-6
        counts[">17cps"] += visible / duration > CPS
        counts["1-word"] += len(spoken) == 1
        lo, hi = spans[n]
        counts["mixed"] += len({w.get("speaker") for w in words[lo:hi]}) > 1
        if len(spoken) == 1 and hi > lo:
            word = words[lo]
            before = words[spans[n - 1][1] - 1] if n > 0 and spans[n - 1][1] > spans[n - 1][0] else None
            after = words[spans[n + 1][0]] if n + 1 < len(cues) and spans[n + 1][1] > spans[n + 1][0] else None
            takers = [
                other
                for other, gap in (
                    (before, word["start"] - before["end"] if before else 0.0),
                    (after, after["start"] - word["end"] if after else 0.0),
                )
                if other is not None and other.get("speaker") == word.get("speaker") and gap <= PAUSE
            ]
            counts["orphans"] += bool(takers)
    return Score(len(cues), counts)


def long_words(document: str, payload: dict[str, Any]) -> tuple[int, int, int]:
    """(words wider than a line, those cut into pieces, lines past the width holding one whole word)."""
    words = payload["results"]["channels"][0]["alternatives"][0]["words"]
    wide = [w.get("punctuated_word", w["word"]) for w in words if len(w.get("punctuated_word", w["word"])) > WIDTH]
    lines = [LABEL.sub("", line) for cue in srt.parse(document) for line in cue.content.splitlines()]
    tokens = {token for line in lines for token in line.split()}
    cut = sum(1 for w in wide if w not in tokens)
    alone = sum(1 for line in lines if len(line) > WIDTH and len(line.split()) == 1)
    return len(wide), cut, alone


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small payloads (for CI)")
    args = parser.parse_args()
    data = payloads(args.quick)
    totals: dict[str, Score] = {}
    times: dict[str, list[float]] = {}
    wide: dict[str, list[int]] = {}
    for name, writer in WRITERS.items():
        total = Score(0, dict.fromkeys(COLUMNS, 0))
        for payload in data.values():
            began = time.perf_counter()
            document = writer(payload)
            times.setdefault(name, []).append(time.perf_counter() - began)
            result = score(document, payload)
            counted = long_words(document, payload)
            wide[name] = [a + b for a, b in zip(wide.get(name, [0, 0, 0]), counted, strict=True)]
            total.cues += result.cues
            for column in COLUMNS:
                total.counts[column] += result.counts[column]
        totals[name] = total
    words = sum(len(p["results"]["channels"][0]["alternatives"][0]["words"]) for p in data.values())
    print(f"payloads: {', '.join(data)} ({words} words)")
    print("share of cues breaking each rule, % (lower is better)\n")
    header = f"| {'writer':<20} | {'cues':>6} | " + " | ".join(f"{c:>7}" for c in COLUMNS) + " | render s |"
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    for name, total in totals.items():
        cells = " | ".join(f"{total.share(c):7.2f}" for c in COLUMNS)
        print(f"| {name:<20} | {total.cues:>6} | {cells} | {sum(times[name]):8.3f} |")
    ours = totals["stt-cli"]
    others = [t for n, t in totals.items() if n != "stt-cli"]
    worse = [c for c in COLUMNS if ours.share(c) > min(o.share(c) for o in others) + 1e-9]
    better = [c for c in COLUMNS if ours.share(c) < min(o.share(c) for o in others) - 1e-9]
    print(
        f"\nstt-cli strictly better than every other writer on {len(better)} of {len(COLUMNS)} columns"
        f" ({', '.join(better) or 'none'}); behind the best on: {', '.join(worse) or 'none'}"
    )
    print("\nwords wider than a line: cut into pieces / standing whole on a line past the width\n")
    print("| writer | wide words | cut | whole on their own line |")
    print("|---|---|---|---|")
    for name, (count, cut, alone) in wide.items():
        print(f"| {name} | {count} | {cut} | {alone} |")
    print(
        "median render time per payload: "
        + ", ".join(f"{n} {statistics.median(t) * 1000:.0f} ms" for n, t in times.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
