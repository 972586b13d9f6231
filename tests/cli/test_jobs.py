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
    assert table[0].split() == ["ID", "WHEN", "SOURCE", "MODEL", "STATUS", "DURATION", "COST"]  # the emulator's
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


def test_refresh_asks_the_service_about_pending_jobs_only(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    import json

    from conftest import write_wav

    done = cli("submit", str(write_wav(tmp_path / "a.wav", 1.0))).stdout.strip()
    assert cli("fetch", done).exit_code == 0  # completed: never asked again
    emulator.next_job(processing_time=60)
    pending = cli("submit", str(write_wav(tmp_path / "b.wav", 1.2))).stdout.strip()
    listed = {r["generation_id"]: r for r in map(json.loads, cli("jobs", "--json").stdout.splitlines())}
    assert listed[pending]["status"] == "queued" and listed[pending]["seen_at"] is not None
    emulator.advance(120)
    before = len(emulator.polls())
    refreshed = cli("jobs", "--refresh")
    assert refreshed.exit_code == 0, refreshed.stderr
    assert "1 of 1 pending job(s) answered" in refreshed.stderr
    [asked] = emulator.polls()[before:]
    assert asked["path"] == f"/v1/stt/{pending}"
    row = next(line for line in refreshed.stdout.splitlines() if line.startswith(pending[:8]))
    assert " completed " in row
    queued = next(line for line in cli("jobs").stdout.splitlines() if line.startswith(done[:8]))
    assert " completed " in queued


def test_refresh_keeps_the_last_status_when_the_service_cannot_answer(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    from conftest import write_wav

    emulator.next_job(processing_time=60)
    job = cli("submit", str(write_wav(tmp_path / "a.wav", 1.0))).stdout.strip()
    emulator.fault("poll", *[{"status": 503}] * 5)
    refreshed = cli("jobs", "--refresh")
    assert refreshed.exit_code == 0
    assert "1 of 1 job(s) could not be asked" in refreshed.stderr and "HTTP 503" in refreshed.stderr
    row = next(line for line in refreshed.stdout.splitlines() if line.startswith(job[:8]))
    assert " queued " in row


def test_a_pending_status_says_how_long_ago_it_was_seen(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    import sqlite3

    from conftest import write_wav

    from stt_cli.core.ledger import ledger_path

    emulator.next_job(processing_time=600)
    job = cli("submit", str(write_wav(tmp_path / "a.wav", 1.0))).stdout.strip()
    db = sqlite3.connect(ledger_path())
    db.execute("UPDATE jobs SET seen_at = seen_at - 7300 WHERE id = ?", (job,))  # seen two hours ago
    db.commit()
    db.close()
    row = next(line for line in cli("jobs").stdout.splitlines() if line.startswith(job[:8]))
    assert " queued 2h " in row
    assert " queued " in next(line for line in cli("jobs", "--refresh").stdout.splitlines() if line.startswith(job[:8]))
