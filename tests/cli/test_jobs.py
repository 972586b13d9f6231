"""`stt jobs`: the ledger listed newest first, and kept private."""

from __future__ import annotations

import json
import time
from pathlib import Path

from conftest import EmulatorHandle


def test_jobs_lists_newest_first(cli, emulator: EmulatorHandle, talk: Path) -> None:
    first = cli("submit", str(talk)).stdout.strip()
    time.sleep(0.01)
    second = cli("submit", "https://example.com/x.mp3").stdout.strip()
    result = cli("jobs", "--json")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["generation_id"] for r in rows] == [second, first]
    assert rows[1]["source"] == str(talk.resolve())
    table = cli("jobs")
    assert second in table.stdout.splitlines()[1]


def test_the_ledger_is_private(cli, emulator: EmulatorHandle, talk: Path, isolated_home: Path) -> None:
    import stat

    assert cli("run", str(talk)).exit_code == 0
    ledger = isolated_home / "data" / "stt-cli" / "ledger.sqlite3"
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert stat.S_IMODE(ledger.parent.stat().st_mode) == 0o700
