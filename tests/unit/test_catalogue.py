"""The model catalogue and the flag table: every flag and family covered, the catalogue rebuilt from the
provider's schemas without drift, the README's model tables the catalogue's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stt_cli.api.catalogue import model
from stt_cli.api.dialects import FLAGS

ROOT = Path(__file__).resolve().parents[2]


SHARED = ROOT.parent / "shared"


# One model of every family.
MODELS = ("#g1_whisper-large", "#g1_nova-2-meeting", "nova-3", "aai/universal", "openai/gpt-4o-transcribe",
          "microsoft/mai-transcribe-1.5")  # fmt: skip


TABLE = [(flag.key, name, kind) for flag in FLAGS for name in MODELS for kind in ("url", "upload")]


def test_the_table_covers_every_flag_and_family() -> None:
    families = {model(m).family.name for m in MODELS}  # type: ignore[union-attr]
    assert families == {"Whisper", "Nova-2", "Nova-3", "AssemblyAI", "OpenAI", "Microsoft"}
    assert len(TABLE) == len(FLAGS) * 6 * 2


def test_the_catalogue_is_what_the_provider_s_schemas_make() -> None:
    """stt_cli/api/catalogue.json is rebuilt from ../shared/provider-schemas; any drift fails (skipped in an sdist)."""
    schemas = SHARED / "provider-schemas"
    if not schemas.is_dir():
        pytest.skip("../shared is not here (an sdist)")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_catalogue
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    committed = (ROOT / "stt_cli" / "api" / "catalogue.json").read_text(encoding="utf-8")
    assert make_catalogue.render(make_catalogue.build(schemas)) == committed, "run: python scripts/make_catalogue.py"


def test_the_readme_model_tables_are_the_catalogue_s() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert generate.readme_with_models(readme) == readme, "README's model tables are stale: python scripts/generate.py"
    assert "| `--diarize` | `diarize` | `diarize` | `diarize` | `speaker_labels` | - | - |" in readme
