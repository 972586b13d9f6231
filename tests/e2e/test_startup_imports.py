"""The start-up budget, held by what is imported rather than by a timing: `stt --help`, `stt run --help` and
`stt status ID` load only what they use (tests/unit/test_layers.py holds who may import what)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import EmulatorHandle, subprocess_env

# Runs stt's console script in a fresh interpreter and writes the modules it loaded. `click` is blocked: a
# standalone click (which the release tools bring along) makes httpx load its own command line, rich and pygments
# with it; stt uses the click inside typer, and an installed stt has no other.
PROBE = """
import json, sys
sys.modules["click"] = None
sys.argv = ["stt", *json.loads(sys.argv[1])]
from stt_cli.cli.main import main
try:
    main()
except SystemExit:
    pass
with open({out!r}, "w") as handle:
    json.dump(sorted(sys.modules), handle)
"""

# What no start-up path may load: rich (the live views load it when they start), audio preparation (its
# first-bytes sniffer aside: sources reads it), the renderers, the emulator and its local engine, the cached
# price list (only the dry run and `stt models --refresh` read it).
NEVER = (
    "stt_cli.core.pricelist",
    "stt_cli.api.prices",
    "rich",
    "pocketsphinx",
    "stt_cli.core.media.policy",
    "stt_cli.core.media.probe",
    "stt_cli.core.media.ffmpeg",
    "stt_cli.core.media.upload",
    "stt_cli.formats.subtitles",
    "stt_cli.formats.text",
    "stt_cli.formats.transcript",
    "stt_cli.emulator",
)


def _loaded(tmp_path: Path, args: list[str], env: dict[str, str] | None = None) -> set[str]:
    out = tmp_path / "modules.json"
    script = PROBE.format(out=str(out))
    subprocess.run(
        [sys.executable, "-c", script, json.dumps(args)], env=env, cwd=tmp_path, capture_output=True, timeout=60
    )
    return set(json.loads(out.read_text()))


def _none_of(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded for name in names if m == name or m.startswith(name + "."))


def test_stt_help_loads_no_client_ledger_or_catalogue(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, ["--help"])
    assert "stt_cli.cli.app" in loaded  # the probe did run stt
    extra = ("httpx", "sqlite3", "platformdirs", "stt_cli.core.ledger", "stt_cli.api.catalogue", "stt_cli.cli.commands")
    assert _none_of(loaded, (*NEVER, *extra)) == []
    assert sorted(m for m in loaded if m.startswith("stt_cli.")) == [
        "stt_cli.api",
        "stt_cli.api.wire",
        "stt_cli.cli",
        "stt_cli.cli.app",
        "stt_cli.cli.build",
        "stt_cli.cli.click_api",
        "stt_cli.cli.dash_ids",
        "stt_cli.cli.help",
        "stt_cli.cli.main",
        "stt_cli.cli.output",
        "stt_cli.cli.spelling",
        "stt_cli.core",
        "stt_cli.core.defaults",
        "stt_cli.errors",
    ]


def test_stt_run_help_loads_no_http_client_and_no_media(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, ["run", "--help"])
    assert "stt_cli.cli.commands.run" in loaded
    assert _none_of(loaded, (*NEVER, "httpx", "ssl", "stt_cli.api.client", "stt_cli.core.submission")) == []


def test_stt_status_loads_the_client_and_the_ledger_only(emulator: EmulatorHandle, tmp_path: Path) -> None:
    env = subprocess_env(emulator)
    loaded = _loaded(tmp_path, ["status", "some-job"], env)
    assert {"stt_cli.api.client", "stt_cli.core.ledger", "httpx"} <= loaded  # it did ask the service
    others = (
        "stt_cli.api.catalogue",
        "stt_cli.api.dialects",
        "stt_cli.core.sources",
        "stt_cli.core.delivery",
        "stt_cli.cli.views",
    )
    assert _none_of(loaded, (*NEVER, *others)) == []
