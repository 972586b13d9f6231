"""The plain-text transcript: speaker turns when speakers are known, paragraphs kept, channels as sections."""

from __future__ import annotations

from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.transcript import Channel, Transcript


def _speaker_name(speaker: str, names: dict[str, str]) -> str:
    return names.get(speaker, f"Speaker {speaker}")


def _channel_text(channel: Channel, names: dict[str, str]) -> str:
    if any(w.speaker is not None for w in channel.words):
        turns: list[tuple[str, list[str]]] = []
        for word in channel.words:
            speaker = word.speaker if word.speaker is not None else "?"
            if turns and turns[-1][0] == speaker:
                turns[-1][1].append(word.text)
            else:
                turns.append((speaker, [word.text]))
        return "\n".join(f"{_speaker_name(s, names)}: {' '.join(t)}" for s, t in turns)
    if channel.paragraphs:
        return "\n\n".join(
            f"{_speaker_name(p.speaker, names)}: {p.text}" if p.speaker is not None else p.text
            for p in channel.paragraphs
            if p.text
        )
    return channel.text


def render_text(transcript: Transcript, speaker_names: dict[str, str] | None = None) -> str:
    names = speaker_names or {}
    channels = [c for c in transcript.channels]
    if len(channels) <= 1:
        body = _channel_text(channels[0], names) if channels else ""
        return body + "\n" if body else ""
    sections = [f"[Channel {c.index}]\n{_channel_text(c, names)}" for c in channels]
    return "\n\n".join(sections) + "\n"


def render_document(transcript: Transcript, options: SubtitleOptions) -> str:
    """The text format as the registry calls it: the transcript, speakers named as --speaker-names says."""
    return render_text(transcript, dict(options.speaker_names))
