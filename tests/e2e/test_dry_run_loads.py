"""--dry-run in a real process: it looks at the files and sends nothing, so the HTTP client (httpx) is never
loaded, whatever the sources (tests/unit/test_media_imports.py checks the same from the source code)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def loaded_by(*argv: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """A run of stt under `python -X importtime`, and the modules it imported (as that report names them)."""
    env = dict(os.environ)  # the isolated dirs of the test, no key, no base URL (conftest)
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "stt_cli", *argv], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, modules


def test_dry_run_never_loads_the_http_client(talk: Path, tmp_path: Path) -> None:
    blob = tmp_path / "notes.bin"
    blob.write_bytes(bytes(300_000))  # no media: sent as it is, no ffprobe
    done, modules = loaded_by("run", str(talk), str(blob), "https://example.com/a.mp3", "--dry-run")
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"stt_cli.core.preview", "stt_cli.core.media.upload"} <= modules  # the report is read right
    assert "stt_cli.core.pricelist" in modules  # it looks for a price, on the disk only
    assert not {m for m in modules if m == "httpx" or m.startswith("httpx.") or m == "stt_cli.api.client"}
