"""The model ids the service documents, with what each family's result carries (timings, speakers)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "#g1_whisper-large"


@dataclass(frozen=True)
class Family:
    name: str
    models: tuple[str, ...]
    word_timings: bool
    speakers: bool


FAMILIES = (
    Family("Whisper", tuple(f"#g1_whisper-{s}" for s in ("tiny", "base", "small", "medium", "large")), True, True),
    Family(
        "Nova-2",
        tuple(
            f"#g1_nova-2-{k}"
            for k in (
                "automotive",
                "conversationalai",
                "drivethru",
                "finance",
                "general",
                "medical",
                "meeting",
                "phonecall",
                "video",
                "voicemail",
            )
        ),
        True,
        True,
    ),
    Family("Nova-3", ("nova-3", "nova-3-general", "nova-3-medical"), True, True),
    Family("AssemblyAI", ("aai/universal", "aai/slam-1"), True, True),
    Family("OpenAI", ("openai/gpt-4o-transcribe", "openai/gpt-4o-mini-transcribe"), False, False),
    Family("Microsoft", ("microsoft/mai-transcribe-1.5",), False, False),
)
ALL_MODELS = tuple(m for f in FAMILIES for m in f.models)


def family_of(model: str) -> Family | None:
    return next((f for f in FAMILIES if model in f.models), None)
