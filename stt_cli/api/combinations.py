"""Request fields the provider's documents rule out for a model, alone or together, and those they deprecate.

Two sources. The published schemas, where they say it (read into the catalogue by scripts/make_catalogue.py): a
field marked `deprecated`, and a field whose description limits it to some models ("Available for universal model
only": `only_for`). Then a small table of what only the upstream provider's own documents say, each rule citing
its source. The command line refuses a ruled-out combination before anything is uploaded and warns of a deprecated
field; the emulator refuses the same combinations, as the backend does.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from stt_cli.api.catalogue import canonical, model


class Rule(NamedTuple):
    kind: str  # exclusive: not all of them at once | together: all or none | deprecated: works, for now
    fields: tuple[str, ...]
    family: str  # the catalogue's family whose models (those that declare every field) it applies to
    why: str  # the document's reason, in words that name no flag
    instead: str | None = None  # the field that replaces a deprecated one


RULES: tuple[Rule, ...] = (
    # AssemblyAI's "Auto Chapters" and "Summarization" pages (assemblyai.com/docs/Models/auto_chapters,
    # .../audio-intelligence/summarization): "You can only enable one of the Auto Chapters and Summarization
    # models in the same transcription." The gateway passes both fields through (the schemas declare both).
    Rule(
        "exclusive",
        ("summarization", "auto_chapters"),
        "AssemblyAI",
        "AssemblyAI makes either a summary or chapters of a transcript, not both",
    ),
    # AssemblyAI's migration guide for Auto Chapters (assemblyai.com/docs/speech-understanding/migration-guides/
    # auto-chapters): "the deprecated auto_chapters parameter", replaced by summaries. The schemas do not say it.
    Rule("deprecated", ("auto_chapters",), "AssemblyAI", "AssemblyAI has deprecated Auto Chapters", "summarization"),
    # AssemblyAI's Summarization page: "If you specify one of summary_model or summary_type, then you must
    # specify the other."
    Rule(
        "together",
        ("summary_model", "summary_type"),
        "AssemblyAI",
        "AssemblyAI takes a summary model only with a summary type, and the reverse",
    ),
)


class Clash(NamedTuple):
    """A rule a request breaks: its kind, the fields at fault (as the request names them), the model, the reason,
    and what to use instead (a field, or for `only` the models that take the field)."""

    kind: str  # exclusive | together | only | deprecated
    fields: tuple[str, ...]
    model: str
    why: str
    instead: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        """Whether the backend refuses it (all but a deprecated field, which still works)."""
        return self.kind != "deprecated"


def is_on(value: Any) -> bool:
    """Whether a field asks for something: true, a number, text, a list (a form's "false" and "" are off)."""
    if value is None or value is False or value == [] or value == {}:
        return False
    return not (isinstance(value, str) and value.strip().lower() in ("", "false"))


def check(model_id: str, fields: dict[str, Any]) -> list[Clash]:
    """What the model's documents say of these fields together: refusals first, then deprecations. An id the
    catalogue lacks has no documents here: nothing is said."""
    entry = model(model_id)
    if entry is None:
        return []
    on = {name for name, value in fields.items() if is_on(value)}
    names = {entry.id.casefold(), *(alias.casefold() for alias in entry.aliases)}
    found: list[Clash] = []
    for name in sorted(on):
        schema = entry.fields.get(name) or {}
        only = [str(m) for m in schema.get("only_for", [])]
        if only and not names & {m.casefold() for m in only}:
            takers = tuple(dict.fromkeys(canonical(m) or m for m in only))
            why = f"its schema says {name} is for {', '.join(only)} only"
            found.append(Clash("only", (name,), entry.id, why, takers))
        if schema.get("deprecated") is True:
            found.append(Clash("deprecated", (name,), entry.id, f"its schema marks {name} deprecated"))
    for rule in RULES:
        if rule.family != entry.family.name or not all(f in entry.fields for f in rule.fields):
            continue
        present = tuple(f for f in rule.fields if f in on)
        if rule.kind == "exclusive" and len(present) == len(rule.fields):
            found.append(Clash("exclusive", present, entry.id, rule.why))
        elif rule.kind == "together" and 0 < len(present) < len(rule.fields):
            missing = tuple(f for f in rule.fields if f not in on)
            found.append(Clash("together", (*present, *missing), entry.id, rule.why))
        elif rule.kind == "deprecated" and present:
            found.append(Clash("deprecated", present, entry.id, rule.why, (rule.instead,) if rule.instead else ()))
    return sorted(found, key=lambda clash: not clash.refused)
