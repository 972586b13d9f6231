"""The emulator's placeholder transcript, told apart from a transcript: its label, and the one check of it.

The emulator does not transcribe: audio other than its sample recording gets a placeholder whose text begins
with PLACEHOLDER_LABEL, in every result shape. The label is the marker a client can always read, because two
of the provider's shapes leave no room for another: AssemblyAI's result and the text-only `{text, usage}` are
closed objects in the provider's schemas (no extra field allowed). Deepgram's shape has an open `metadata`
object, where the emulator also says `"emulator": true` and `"placeholder": true` (false for its sample).
"""

from __future__ import annotations

from typing import Any

PLACEHOLDER_LABEL = "[stt emulator placeholder: not a transcript of your audio]"
PLACEHOLDER_NOTE = "the emulator does not transcribe your audio; it returns a labelled placeholder"


def is_placeholder(payload: Any) -> bool:
    """True when a result (Deepgram, AssemblyAI or text-only shape, or a poll's answer wrapping one in
    `result` or `output`) is the emulator's placeholder rather than a transcript. Pure; never raises."""
    if not isinstance(payload, dict):
        return False
    for key in ("result", "output"):  # a poll's whole answer: {generation_id, status, result} or {id, ..., output}
        inner = payload.get(key)
        if "status" in payload and isinstance(inner, dict):
            payload = inner
            break
    metadata = payload.get("metadata")
    if isinstance(metadata, dict) and metadata.get("emulator") is True and metadata.get("placeholder") is True:
        return True
    return any(text.lstrip().startswith(PLACEHOLDER_LABEL) for text in _first_texts(payload))


def _first_texts(payload: dict[str, Any]) -> list[str]:
    """The transcript text of each shape: `text` (AssemblyAI, text-only), each Deepgram channel's first
    alternative."""
    texts = [payload.get("text")]
    results = payload.get("results")
    channels = results.get("channels") if isinstance(results, dict) else None
    for channel in channels if isinstance(channels, list) else []:
        alternatives = channel.get("alternatives") if isinstance(channel, dict) else None
        if isinstance(alternatives, list) and alternatives and isinstance(alternatives[0], dict):
            texts.append(alternatives[0].get("transcript"))
    return [text for text in texts if isinstance(text, str)]
