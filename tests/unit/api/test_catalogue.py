"""The model catalogue and the flag table: every flag and family covered, the catalogue rebuilt from the
pinned copy of the provider's schemas without drift (and that copy the provider's current one, where it is at
hand), the names people type resolved to one id, the model tables of docs/models.md the catalogue's."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from stt_cli.api.catalogue import UnknownModel, all_models, canonical, model, names, resolve
from stt_cli.api.dialects import FLAGS

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"
PINNED = ROOT / "tests" / "data" / "provider-schemas"


# One model of every family.
MODELS = ("#g1_whisper-large", "#g1_nova-2-meeting", "nova-3", "aai/universal", "openai/gpt-4o-transcribe",
          "microsoft/mai-transcribe-1.5")  # fmt: skip


TABLE = [(flag.key, name, kind) for flag in FLAGS for name in MODELS for kind in ("url", "upload")]


def test_the_table_covers_every_flag_and_family() -> None:
    families = {model(m).family.name for m in MODELS}  # type: ignore[union-attr]
    assert families == {"Whisper", "Nova-2", "Nova-3", "AssemblyAI", "OpenAI", "Microsoft"}
    assert len(TABLE) == len(FLAGS) * 6 * 2


def _make_catalogue() -> Any:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_catalogue
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return make_catalogue


def test_the_catalogue_is_what_the_pinned_schemas_make() -> None:
    """stt_cli/api/catalogue.json is rebuilt from the pinned copy of the provider's schemas in tests/data; any
    drift fails, in a plain clone and in the sdist too."""
    make_catalogue = _make_catalogue()
    assert make_catalogue.SCHEMAS == PINNED
    committed = (ROOT / "stt_cli" / "api" / "catalogue.json").read_text(encoding="utf-8")
    assert make_catalogue.render(make_catalogue.build(PINNED)) == committed, "run: python scripts/make_catalogue.py"


def test_the_pinned_schemas_are_the_provider_s_current_ones() -> None:
    """Where ../shared is here (the project's workspace), the pinned copy is byte for byte the provider's
    current files: a new release of the schemas fails here until it is copied in (tests/data/README.md)."""
    schemas = SHARED / "provider-schemas"
    if not schemas.is_dir():
        pytest.skip("../shared is not here (a plain clone or an sdist): the pinned copy is all there is")
    current = {p.name: p.read_bytes() for p in schemas.iterdir() if p.is_file()}
    pinned = {p.name: p.read_bytes() for p in PINNED.iterdir() if p.is_file()}
    assert sorted(pinned) == sorted(current), "copy ../shared/provider-schemas/* into tests/data/provider-schemas"
    changed = sorted(name for name in current if current[name] != pinned[name])
    assert not changed, f"the provider changed {changed}: copy them into tests/data/provider-schemas and rebuild"


def test_every_id_the_provider_s_schemas_name_can_be_typed() -> None:
    """The gateway takes the ids in the schemas' enums (whisper-large, nova-2-general, slam-1 too): each is an
    id of the catalogue or an alias of one, so nothing it accepts is refused as unknown."""
    enum_ids = {m for path in PINNED.glob("create.*.json") for m in json.loads(path.read_text())["models"]}
    assert {"whisper-large", "nova-2-general", "slam-1", "#g1_whisper-large", "aai/universal"} <= enum_ids
    assert all(canonical(m) is not None for m in enum_ids), sorted(m for m in enum_ids if canonical(m) is None)


def test_the_generator_refuses_a_name_that_would_stand_for_two_ids() -> None:
    make_catalogue = _make_catalogue()
    with pytest.raises(SystemExit, match="would stand for both"):
        make_catalogue._check_names(["#g1_whisper-large", "whisper-large"], set())
    with pytest.raises(SystemExit, match="neither an id nor an alias"):
        make_catalogue._check_names(["nova-3"], {"nova-3", "nova-4"})


# --- Names people type: ids and aliases, resolved to the one id that is sent ---------------------------
def test_every_id_and_alias_resolves_to_its_id_in_any_case() -> None:
    for model_id in all_models():
        entry = model(model_id)
        assert entry is not None
        for name in (model_id, *entry.aliases):
            assert canonical(name) == model_id
            assert canonical(name.upper()) == model_id
            assert canonical(f"  {name}\t") == model_id
    assert names()[: len(all_models())] == all_models()


@pytest.mark.parametrize(
    ("alias", "model_id"),
    [
        ("whisper-large", "#g1_whisper-large"),
        ("whisper-tiny", "#g1_whisper-tiny"),
        ("nova-2", "#g1_nova-2-general"),
        ("nova-2-general", "#g1_nova-2-general"),
        ("nova-2-meeting", "#g1_nova-2-meeting"),
        ("nova-3", "nova-3"),
        ("slam-1", "aai/slam-1"),
        ("universal", "aai/universal"),
        ("gpt-4o-transcribe", "openai/gpt-4o-transcribe"),
        ("gpt-4o-mini-transcribe", "openai/gpt-4o-mini-transcribe"),
        ("mai-transcribe-1.5", "microsoft/mai-transcribe-1.5"),
        ("Whisper-Large", "#g1_whisper-large"),
        ("#G1_NOVA-2-VIDEO", "#g1_nova-2-video"),
    ],
)
def test_the_aliases_people_type(alias: str, model_id: str) -> None:
    assert resolve(alias) == model_id


@pytest.mark.parametrize(
    ("name", "suggested"),
    [
        ("nova3", ["nova-3", "nova-2"]),
        ("whisper-larg", ["whisper-large"]),
        ("#g1_whisper-larg", ["#g1_whisper-large", "#g1_whisper-base"]),
        ("g1_nova-2-general", ["#g1_nova-2-general", "nova-3-general"]),
        ("gpt4o", ["gpt-4o-transcribe", "gpt-4o-mini-transcribe"]),
        ("slam1", ["slam-1"]),
        ("deepgram/nova-3", ["nova-3"]),
        ("nova-2-meting", ["nova-2-meeting"]),
        ("xyz", []),
        ("", []),
    ],
)
def test_an_unknown_name_gets_the_nearest_names_one_per_id(name: str, suggested: list[str]) -> None:
    assert canonical(name) is None
    with pytest.raises(UnknownModel) as caught:
        resolve(name)
    assert caught.value.name == name.strip() and caught.value.suggestions == suggested
    assert caught.value.exit_code == 2
    guess = f"; did you mean {', '.join(suggested)}?" if suggested else ""
    assert caught.value.message == f"unknown model {name.strip()!r}{guess}"


def test_the_model_tables_of_the_docs_are_the_catalogue_s() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    page = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    assert generate.with_models(page) == page, "docs/models.md's model tables are stale: python scripts/generate.py"
    assert "| `--diarize` | `diarize` | `diarize` | `diarize` | `speaker_labels` | - | - |" in page


# --- A model whose schema is published after this release (the provider's site lists elevenlabs/scribe_v2) ----
SCRIBE_SCHEMA = {
    "source": "synthetic: the shape a newly published schema of the provider's documents repository has",
    "endpoint": "POST /v1/stt/create",
    "content_type": "application/json",
    "models": ["elevenlabs/scribe_v2"],
    "request_schema": {
        "type": "object",
        "properties": {
            "model": {"type": "string", "enum": ["elevenlabs/scribe_v2"]},
            "url": {"type": "string", "format": "uri"},
            "audio": {"type": "string", "format": "binary"},
            "language_code": {"type": "string", "description": "The language of the audio. An ISO code."},
            "diarize": {"type": "boolean", "description": "Label speakers. Available for scribe_v2 model only."},
            "tag_audio_events": {"type": "boolean", "deprecated": True, "description": "Tag laughter and the like."},
            "keyterms": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["model"],
        "title": "elevenlabs/scribe_v2",
    },
    "success_responses": ["200"],
}
SCRIBE_FAMILY = {
    "name": "ElevenLabs",
    "ids": ["elevenlabs/scribe_v2"],
    "result": {"shape": "text", "word_timings": False, "speakers": False, "channels": False},
}


def _with_scribe(folder: Path) -> Path:
    for path in PINNED.glob("*.json"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "create.ElevenLabs__scribe_v2.json").write_text(json.dumps(SCRIBE_SCHEMA), encoding="utf-8")
    return folder


def test_a_newly_published_schema_says_what_to_add_then_is_taken_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_catalogue = _make_catalogue()
    before = make_catalogue.build(PINNED)
    schemas = _with_scribe(tmp_path)
    with pytest.raises(SystemExit, match=r"elevenlabs/scribe_v2, neither an id nor an alias here: add each to a fam"):
        make_catalogue.build(schemas)
    monkeypatch.setattr(make_catalogue, "FAMILIES", [*make_catalogue.FAMILIES, SCRIBE_FAMILY])
    built = make_catalogue.build(schemas)
    assert built["models"]["elevenlabs/scribe_v2"] == {
        "family": "ElevenLabs",
        "schema": "create.ElevenLabs__scribe_v2.json",
        "aliases": ["scribe_v2"],
    }
    request = built["schemas"]["create.ElevenLabs__scribe_v2.json"]
    assert request["upload_field"] == "audio" and sorted(request["fields"]) == [
        "diarize", "keyterms", "language_code", "tag_audio_events"
    ]  # fmt: skip
    assert request["fields"]["diarize"]["only_for"] == ["scribe_v2"]  # what api/combinations.py reads
    assert request["fields"]["tag_audio_events"]["deprecated"] is True
    assert built["families"][-1] == SCRIBE_FAMILY
    assert before["models"].keys() < built["models"].keys()


@pytest.mark.parametrize(
    ("family", "needle"),
    [
        ({**SCRIBE_FAMILY, "ids": ["elevenlabs/scribe_v3"]}, "no create.*.json schema declares elevenlabs/scribe_v3"),
        ({**SCRIBE_FAMILY, "result": {**SCRIBE_FAMILY["result"], "shape": "words"}},  # type: ignore[dict-item]
         "has the result shape 'words', which stt does not read"),
    ],
)  # fmt: skip
def test_a_family_the_script_cannot_build_is_named_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, family: dict[str, Any], needle: str
) -> None:
    make_catalogue = _make_catalogue()
    monkeypatch.setattr(make_catalogue, "FAMILIES", [*make_catalogue.FAMILIES, family])
    with pytest.raises(SystemExit, match=re.escape(needle)):
        make_catalogue.build(_with_scribe(tmp_path))
