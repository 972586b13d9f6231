"""`stt jobs`: the ledger listed newest first, with short ids (whole with --wide), and kept private."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
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
    table = cli("jobs").stdout.splitlines()
    assert table[0].split() == ["ID", "WHEN", "SOURCE", "MODEL", "STATUS", "DURATION"]
    assert table[1].startswith(second[:8] + " ") and second not in table[1]  # short: 8 characters
    wide = cli("jobs", "--wide").stdout.splitlines()
    assert wide[1].startswith(second + " ") and wide[2].startswith(first + " ")
    assert cli("jobs", "--json", "--wide").stdout == result.stdout  # JSON is always whole


def test_short_ids_grow_until_no_other_job_shares_them(cli) -> None:  # type: ignore[no-untyped-def]
    from stt_cli.core.ledger import Ledger

    ids = ["abcd1234-0001", "abcd1234-0002", "abcd12", "ffff0000-0001", "XY3D-mYpFxC-WIx-Lv3wh"]
    with Ledger() as ledger:
        for n, job_id in enumerate(ids):
            ledger.add(job_id, "127.0.0.1:1" if n % 2 else "127.0.0.1:2", f"/audio/{n}.wav", "#g1_whisper-large", {})
            time.sleep(0.002)
    shown = [line.split()[0] for line in cli("jobs").stdout.splitlines()[1:]]
    # two ids sharing 12 characters show 13; one that is the start of others shows whole; on any host
    assert shown == ["XY3D-mYp", "ffff0000", "abcd12", "abcd1234-0002", "abcd1234-0001"]
    assert [line.split()[0] for line in cli("jobs", "--limit", "1").stdout.splitlines()[1:]] == ["XY3D-mYp"]
    assert cli("jobs", "--status", "queued", "-n", "3").stdout.splitlines()[3].startswith("abcd12 ")


def test_the_ledger_is_private(cli, emulator: EmulatorHandle, talk: Path, isolated_home: Path) -> None:
    import stat

    assert cli("run", str(talk)).exit_code == 0
    ledger = isolated_home / "data" / "stt-cli" / "ledger.sqlite3"
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert stat.S_IMODE(ledger.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("age", ["nand", "infw", "-infd", "NaNh"])
def test_prune_refuses_an_age_that_is_not_finite(cli, age: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("jobs", "prune", "--older-than", age, "--yes")
    assert result.exit_code == 2
    assert "--older-than" in result.stderr and "is not a duration" in result.stderr and "1h30m" in result.stderr
