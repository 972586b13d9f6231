"""The plain-text transcript: speaker turns when speakers are known, paragraphs kept, channels as sections."""

from __future__ import annotations

from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.transcript import Channel, Transcript


def _speaker_name(speaker: str, names: dict[str, str]) -> str:
    return names.get(speaker, f"Speaker {speaker}")


PAUSE = 1.5  # s: with --timestamps and no speakers, a pause this long starts a new marked line


def clock(seconds: float) -> str:
    """[hh:mm:ss], the mark of a turn or paragraph (hours grow past 99 rather than wrap)."""
    whole = int(seconds)
    return f"[{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}]"


def _channel_text(channel: Channel, names: dict[str, str], marks: bool = False) -> str:
    if any(w.speaker is not None for w in channel.words):
        turns: list[tuple[str, float, list[str]]] = []
        for word in channel.words:
            speaker = word.speaker if word.speaker is not None else "?"
            if turns and turns[-1][0] == speaker:
                turns[-1][2].append(word.text)
            else:
                turns.append((speaker, word.start, [word.text]))
        return "\n".join(
            (f"{clock(start)} " if marks else "") + f"{_speaker_name(s, names)}: {' '.join(t)}" for s, start, t in turns
        )
    if marks and channel.words:
        lines: list[tuple[float, list[str]]] = []
        previous_end = None
        for word in channel.words:
            if previous_end is None or word.start - previous_end > PAUSE:
                lines.append((word.start, []))
            lines[-1][1].append(word.text)
            previous_end = word.end
        return "\n".join(f"{clock(start)} {' '.join(texts)}" for start, texts in lines)
    if channel.paragraphs:
        return "\n\n".join(
            f"{_speaker_name(p.speaker, names)}: {p.text}" if p.speaker is not None else p.text
            for p in channel.paragraphs
            if p.text
        )
    return channel.text


def render_text(transcript: Transcript, speaker_names: dict[str, str] | None = None, marks: bool = False) -> str:
    names = speaker_names or {}
    channels = [c for c in transcript.channels]
    if len(channels) <= 1:
        body = _channel_text(channels[0], names, marks) if channels else ""
        return body + "\n" if body else ""
    sections = [f"[Channel {c.index}]\n{_channel_text(c, names, marks)}" for c in channels]
    return "\n\n".join(sections) + "\n"


def render_document(transcript: Transcript, options: SubtitleOptions) -> str:
    """The text format as the registry calls it: the transcript, speakers named as --speaker-names says."""
    return render_text(transcript, dict(options.speaker_names), options.timestamps)
