"""The emulator's placeholder transcript, told apart from a transcript: its label, and the one check of it;
and a transcript the emulator's local engine made, told by the engine's name.

Without a local engine the emulator does not transcribe: audio other than its sample recording gets a
placeholder whose text begins with PLACEHOLDER_LABEL, in every result shape. The label is the marker a client
can always read, because two of the provider's shapes leave no room for another: AssemblyAI's result and the
text-only `{text, usage}` are closed objects in the provider's schemas (no extra field allowed). Deepgram's
shape has an open `metadata` object, where the emulator also says `"emulator": true` and `"placeholder": true`
(false for its sample).

With its local engine (`stt emulator --engine pocketsphinx`), the emulator transcribes: the Deepgram shape's
metadata names the engine (`"engine": {"name", "version"}`), and AssemblyAI's free `acoustic_model` string
says `stt-emulator: NAME VERSION`. The text-only shape has no room for it: the emulator names the engine on
the poll answer's header instead (api/wire.EMULATOR_ENGINE_HEADER), which the caller passes on.
"""

from __future__ import annotations

from typing import Any

from stt_cli.api.wire import ENGINE_NAME

PLACEHOLDER_LABEL = "[stt emulator placeholder: not a transcript of your audio]"
PLACEHOLDER_NOTE = "the emulator does not transcribe your audio; it returns a labelled placeholder"
LOCAL_NOTES = {"pocketsphinx": "transcribed locally by pocketsphinx (rough; US English only)"}
LOCAL_MODEL = "stt-emulator: "  # AssemblyAI's acoustic_model of a local engine's result: then NAME VERSION


def emulator_note(payload: Any, engine: str | None = None) -> str | None:
    """What stt says once on stderr of a result the emulator made up or transcribed itself, or None. `engine`:
    the name the poll answer's header gave (api/wire.emulator_engine), for a shape with no room for it."""
    if is_placeholder(payload):
        return PLACEHOLDER_NOTE
    engine = local_engine(payload) or engine
    if engine is None or ENGINE_NAME.fullmatch(engine) is None:
        return None
    return LOCAL_NOTES.get(engine, f"transcribed locally by {engine}")


def local_engine(payload: Any) -> str | None:
    """The name of the emulator's local engine that transcribed this result (any shape, or a poll's answer
    wrapping one), or None. Pure; never raises."""
    payload = _unwrapped(payload)
    if not isinstance(payload, dict):
        return None
    name: Any = None
    metadata = payload.get("metadata")
    if isinstance(metadata, dict) and metadata.get("emulator") is True:
        engine = metadata.get("engine")
        name = engine.get("name") if isinstance(engine, dict) else None
    model = payload.get("acoustic_model")
    if name is None and isinstance(model, str) and model.startswith(LOCAL_MODEL):
        name = model.removeprefix(LOCAL_MODEL).split(" ", 1)[0]
    return name if isinstance(name, str) and ENGINE_NAME.fullmatch(name) else None


def _unwrapped(payload: Any) -> Any:
    """A poll's whole answer, {generation_id, status, result} or {id, ..., output}, as its result."""
    if not isinstance(payload, dict):
        return payload
    for key in ("result", "output"):
        inner = payload.get(key)
        if "status" in payload and isinstance(inner, dict):
            return inner
    return payload


def is_placeholder(payload: Any) -> bool:
    """True when a result (Deepgram, AssemblyAI or text-only shape, or a poll's answer wrapping one in
    `result` or `output`) is the emulator's placeholder rather than a transcript. Pure; never raises."""
    payload = _unwrapped(payload)
    if not isinstance(payload, dict):
        return False
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
