"""The word table: one row a word (start, end, speaker, channel, confidence, word) under a header, tab-separated.

Times are seconds with three decimals; an unknown speaker or confidence is an empty cell. A word holds no
tab or newline (the normaliser folds whitespace inside a word), so no cell needs quoting.
"""

from __future__ import annotations

from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.transcript import Transcript

HEADER = ("start", "end", "speaker", "channel", "confidence", "word")


def render_tsv(transcript: Transcript, options: SubtitleOptions) -> str:
    names = dict(options.speaker_names)
    rows = ["\t".join(HEADER)]
    words = sorted(transcript.words, key=lambda w: (w.start, w.channel, w.end))
    for word in words:
        speaker = "" if word.speaker is None else names.get(word.speaker, word.speaker)
        confidence = "" if word.confidence is None else f"{word.confidence:.3f}"
        text = " ".join(word.text.split())
        rows.append(f"{word.start:.3f}\t{word.end:.3f}\t{speaker}\t{word.channel}\t{confidence}\t{text}")
    return "\n".join(rows) + "\n"
