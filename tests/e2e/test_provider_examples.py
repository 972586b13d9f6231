"""The provider's own example programs print their transcript against `stt emulator`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from stt_cli.formats.placeholder import PLACEHOLDER_LABEL

ROOT = Path(__file__).resolve().parents[2]


SHARED = ROOT.parent / "shared"


# --- the provider's own examples ----------------------------------------------------------------------
def _examples() -> list[str]:
    page = SHARED / "seed" / "whisper-large-page.txt"
    if not page.exists():
        pytest.skip("../shared is not here (an sdist): the provider's page is not part of the project")
    text = page.read_text(encoding="utf-8")
    programs = re.findall(r"^import time\n.*?^    main\(\)\n", text, flags=re.S | re.M)
    assert len(programs) == 2, "the page's two example programs were not found"
    return programs


@pytest.mark.parametrize("which", [0, 1], ids=["url", "file"])
def test_the_provider_s_examples_print_their_transcript_against_stt_emulator(tmp_path: Path, which: int) -> None:
    """Read from ../shared at test time (never copied), changed only in the base URL, the key and the file."""
    program = _examples()[which]
    port_line = subprocess.run(  # `stt emulator` itself, as a user would start it
        [sys.executable, "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    port = port_line.stdout.strip()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", "emulator", "--port", port, "--processing-time", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stderr is not None and "listening" in emulator.stderr.readline()
        subprocess.run(
            [sys.executable, "-m", "stt_cli", "emulator", "--write-sample", str(tmp_path / "my-recording.wav")],
            check=True,
            capture_output=True,
        )
        changed = (
            program.replace('"https://api.aimlapi.com/v1"', f'"http://127.0.0.1:{port}/v1"')
            .replace('"<YOUR_AIMLAPI_KEY>"', '"any-key"')
            .replace('"stt-sample.mp3"', '"my-recording.wav"')
        )
        assert changed.count(port) == 1 and "any-key" in changed
        done = subprocess.run([sys.executable, "-c", changed], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    assert "Still waiting..." in done.stdout  # the page's loop saw a status it waits on
    transcript = done.stdout.split("Processing complete:/n", 1)[1].strip()
    assert transcript.startswith(PLACEHOLDER_LABEL if which == 0 else "Welcome to the speech to text")
