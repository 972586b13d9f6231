"""Build stt_cli/api/catalogue.json, the model catalogue, from the provider's published request schemas.

    python scripts/make_catalogue.py                      # from the pinned copy, tests/data/provider-schemas
    python scripts/make_catalogue.py --check              # exit 1 if the committed catalogue has drifted
    python scripts/make_catalogue.py --schemas DIR        # another copy of the schemas

For every model id of the provider's model list: its aliases (what people type), its family, the request
fields its schema declares (JSON types, enums and bounds, without the prose), the multipart field that
carries the audio, and what its result carries. The known gaps of the schemas (see their README) are
handled here, each where it is met. The pinned copy is the provider's files as published; to take a newer
release, copy them over it (tests/data/README.md) and run this script.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "tests" / "data" / "provider-schemas"
TARGET = ROOT / "stt_cli" / "api" / "catalogue.json"

# The provider's model list (api-notes.md, "Models"): the ids stt offers, family by family, with what each
# family's result carries. Ids in the schemas but not in this list (whisper-*, nova-2-general) are left out.
FAMILIES: list[dict[str, Any]] = [
    {
        "name": "Whisper",
        "ids": [f"#g1_whisper-{size}" for size in ("tiny", "base", "small", "medium", "large")],
        "result": {"shape": "deepgram", "word_timings": True, "speakers": True, "channels": True},
    },
    {
        "name": "Nova-2",
        "ids": [
            f"#g1_nova-2-{kind}"
            for kind in (
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
        ],
        "result": {"shape": "deepgram", "word_timings": True, "speakers": True, "channels": True},
    },
    {
        "name": "Nova-3",
        "ids": ["nova-3", "nova-3-general", "nova-3-medical"],
        "result": {"shape": "deepgram", "word_timings": True, "speakers": True, "channels": True},
    },
    {
        "name": "AssemblyAI",
        "ids": ["aai/universal", "aai/slam-1"],
        "result": {"shape": "assemblyai", "word_timings": True, "speakers": True, "channels": True},
    },
    {
        "name": "OpenAI",
        "ids": ["openai/gpt-4o-transcribe", "openai/gpt-4o-mini-transcribe"],
        "result": {"shape": "text", "word_timings": False, "speakers": False, "channels": False},
    },
    {
        "name": "Microsoft",
        "ids": ["microsoft/mai-transcribe-1.5"],
        "result": {"shape": "text", "word_timings": False, "speakers": False, "channels": False},
    },
]
# The slam-1 schema's enum says "slam-1"; the model list and the page say "aai/slam-1".
SCHEMA_ALIASES = {"aai/slam-1": "slam-1"}
# Aliases: the names people type for an id, none of which needs quoting in a shell (an unquoted `#g1_...` is a
# comment there). Each id's alias is the id without its `#g1_` or `vendor/` prefix, as the provider's own
# catalogue does (GET /v1/models lists `openai/gpt-4o` with the alias `gpt-4o`); these few are added. An alias
# is always sent as its id: the id the model list names is the one the provider documents and prices, even
# where the gateway takes the alias too (its schemas also list `whisper-large`, `nova-2-general`, `slam-1`).
EXTRA_ALIASES = {"#g1_nova-2-general": ["nova-2"]}
# Fields that carry the audio, not an option: url (JSON bodies) and the multipart file fields.
SOURCE_FIELDS = ("url", "audio", "file")
# The multipart field of the file. The gpt-4o schemas name it `file`; the provider's Python SDK sends
# `audio` for every model. stt follows the schema, the gateway's own validation, for gpt-4o, and the
# page's examples (`audio`) for every other model (whose #g1_ schemas declare no file field at all).
UPLOAD_FIELD_BY_SCHEMA = {"file": "file"}
DEFAULT_UPLOAD_FIELD = "audio"
SHAPES = ("deepgram", "assemblyai", "text")  # the result shapes stt_cli/formats/transcript.py reads
KEPT_KEYWORDS = (
    "type", "enum", "anyOf", "items", "minimum", "maximum", "nullable", "format", "properties", "required",
    "deprecated",
)  # fmt: skip
# A description that limits a field to some models: "Available for universal model only." (the AssemblyAI schemas'
# language_detection, in slam-1's schema too). Kept as `only_for`: stt and the emulator refuse it elsewhere.
ONLY_FOR = re.compile(r"\bavailable for (?:the )?([\w./-]+(?:(?:, | and | or )[\w./-]+)*) models? only\b", re.I)


def _strip(schema: Any) -> Any:
    """A field's schema without its prose (description, examples, defaults): what the catalogue needs."""
    if isinstance(schema, list):
        return [_strip(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kept = {key: _strip(value) for key, value in schema.items() if key in KEPT_KEYWORDS}
    if "properties" in kept:
        kept["properties"] = {name: _strip(value) for name, value in schema["properties"].items()}
    return kept


def _described(schema: dict[str, Any]) -> dict[str, Any]:
    """What the prose says that stt uses: its first sentence (shown by `stt models MODEL`), the models it is for."""
    text = schema.get("description")
    if not text:
        return {}
    described: dict[str, Any] = {"summary": _summary(text)}
    limited = ONLY_FOR.search(" ".join(text.split()))
    if limited:
        described["only_for"] = re.split(r", | and | or ", limited.group(1))
    return described


def _summary(text: str) -> str:
    first = " ".join(text.split()).split(". ")[0].rstrip(".")
    return first if len(first) <= 90 else first[:89] + "…"


def aliases(model_id: str) -> list[str]:
    """The names that stand for an id: the id without its `#g1_` or `vendor/` prefix, then the added ones."""
    short = model_id.removeprefix("#g1_").rpartition("/")[2]
    return ([short] if short != model_id else []) + EXTRA_ALIASES.get(model_id, [])


def _check_names(ids: list[str], schema_ids: set[str]) -> None:
    """Every name stands for one id, whatever its case; every id a schema names can be typed."""
    owner: dict[str, str] = {}
    for model in ids:
        for name in [model, *aliases(model)]:
            clash = owner.setdefault(name.casefold(), model)
            if clash != model:
                raise SystemExit(f"the name {name!r} would stand for both {clash} and {model}")
    untyped = sorted(m for m in schema_ids if m.casefold() not in owner)
    if untyped:
        raise SystemExit(
            f"the schemas name {', '.join(untyped)}, neither an id nor an alias here: add each to a family of "
            f"FAMILIES in scripts/make_catalogue.py {NEW_FAMILY}"
        )


# What to add for a model of a new schema, said where it is missing.
NEW_FAMILY = (
    "(a new family is its name, its ids as the provider's model list spells them, and what its result carries: "
    f"shape one of {', '.join(SHAPES)}, word_timings, speakers, channels); then run this script"
)


def _family_problem(family: dict[str, Any], by_id: dict[str, Any]) -> str | None:
    """What keeps a family of FAMILIES from the catalogue, in words that say what to add, or None."""
    shape = family.get("result", {}).get("shape")
    if shape not in SHAPES:
        return (
            f"the family {family.get('name')!r} has the result shape {shape!r}, which stt does not read: use one of "
            f"{', '.join(SHAPES)}, or teach stt_cli/formats/transcript.py and stt_cli/emulator/results.py the new one"
        )
    unpublished = [m for m in family["ids"] if SCHEMA_ALIASES.get(m, m) not in by_id]
    if unpublished:
        return (
            f"no create.*.json schema declares {', '.join(unpublished)} (family {family['name']}): copy the "
            "provider's schema for it into tests/data/provider-schemas (tests/data/README.md), or leave the id out "
            "until it is published (--model-unchecked sends it meanwhile)"
        )
    return None


def build(schemas: Path) -> dict[str, Any]:
    files = sorted(schemas.glob("create.*.json"))
    if not files:
        raise SystemExit(f"no create.*.json schemas in {schemas}")
    by_id: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        for model in document["models"]:
            by_id[model] = (path.name, document)
    models: dict[str, Any] = {}
    requests: dict[str, Any] = {}  # one entry per schema file: ten Nova-2 ids share one
    for family in FAMILIES:
        problem = _family_problem(family, by_id)
        if problem is not None:
            raise SystemExit(problem)
        for model in family["ids"]:
            name, document = by_id[SCHEMA_ALIASES.get(model, model)]
            properties = document["request_schema"]["properties"]
            declared_upload = next((f for f in ("file", "audio") if f in properties), None)
            fields = {
                field: _strip(schema) | _described(schema)
                for field, schema in properties.items()
                if field != "model" and field not in SOURCE_FIELDS
            }
            requests[name] = {
                "upload_field": UPLOAD_FIELD_BY_SCHEMA.get(declared_upload or "", DEFAULT_UPLOAD_FIELD),
                "declares_source_fields": sorted(f for f in SOURCE_FIELDS if f in properties),
                "fields": dict(sorted(fields.items())),
            }
            models[model] = {"family": family["name"], "schema": name, "aliases": aliases(model)}
    _check_names(list(models), set(by_id))
    return {
        "about": "Built by scripts/make_catalogue.py from the provider's published request schemas "
        "(tests/data/provider-schemas, from aimlapi/api-docs); do not edit.",
        "families": [{"name": f["name"], "ids": f["ids"], "result": f["result"]} for f in FAMILIES],
        "models": models,
        "schemas": dict(sorted(requests.items())),
    }


def render(catalogue: dict[str, Any]) -> str:
    return json.dumps(catalogue, indent=0, ensure_ascii=False, separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    parser.add_argument("--schemas", type=Path, default=SCHEMAS, help="the provider-schemas directory")
    args = parser.parse_args(argv)
    text = render(build(args.schemas))
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if current == text:
        return 0
    if args.check:
        print(
            f"{TARGET.relative_to(ROOT)} has drifted from {args.schemas} (run: python scripts/make_catalogue.py)",
            file=sys.stderr,
        )
        return 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
