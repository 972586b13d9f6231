"""Faults and security against a real server on loopback: unknown outcomes, one job per key, TLS, the key
kept out of messages and redirects, size limits, unwritable outputs."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from conftest import EmulatorHandle, big_file, start_emulator, wait_until

KEY = "sk-test-0123456789abcdefSECRET"


# --- the create call: retried only where no job can exist --------------------------------------------------
def test_a_connection_lost_after_the_whole_upload_is_an_unknown_outcome(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    emulator.fault("create", {"action": "close"})
    result = cli("submit", str(talk))
    assert result.exit_code == 5
    [create] = emulator.creates()  # never blindly uploaded again
    assert "may or may not exist" in result.stderr
    assert create["idempotency_key"] in result.stderr
    assert hashlib.sha256(talk.read_bytes()).hexdigest() in result.stderr


def test_a_connection_reset_mid_upload_is_retried_with_the_same_key(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    big = big_file(tmp_path / "big.wav", 24)
    emulator.fault("create", {"action": "reset", "after_bytes": 65536})
    result = cli("submit", str(big))
    assert result.exit_code == 0, result.stderr
    creates = emulator.creates()
    assert [c["outcome"] for c in creates] == ["fault", "created"]
    assert creates[0]["idempotency_key"] == creates[1]["idempotency_key"]
    assert creates[1]["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()


def test_the_same_idempotency_key_never_makes_two_jobs(emulator: EmulatorHandle) -> None:
    import urllib.request

    def create() -> str:
        request = urllib.request.Request(
            emulator.base_url + "/stt/create",
            method="POST",
            data=json.dumps({"model": "#g1_whisper-large", "url": "https://x/a.wav"}).encode(),
            headers={"Authorization": "Bearer k", "Content-Type": "application/json", "Idempotency-Key": "same"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return str(json.loads(response.read())["generation_id"])

    assert create() == create()


# --- security ----------------------------------------------------------------------------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_key_file_owned_by_another_user_is_refused(
    cli, isolated_home: Path, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_KEY")
    cli("auth", "login", "--no-check", input=KEY)
    os.chown(isolated_home / "config" / "stt-cli" / "credentials.json", 65534, -1)
    result = cli("run", str(talk))
    assert result.exit_code == 3
    assert "belongs to another user" in result.stderr
    assert emulator.requests() == []


def test_the_key_is_scrubbed_from_server_messages(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIML_API_KEY", KEY)
    emulator.fault("create", {"status": 400, "body": {"message": f"key {KEY} is not valid for this model"}})
    result = cli("submit", str(talk))
    assert result.exit_code == 4
    assert KEY not in result.stderr and "SECRET" not in result.stderr
    assert "key **** is not valid" in result.stderr


def test_a_redirect_never_carries_the_key_to_another_host(cli, emulator: EmulatorHandle, talk: Path) -> None:
    other = start_emulator()
    try:
        emulator.fault("create", {"action": "redirect", "headers": {"Location": other.base_url + "/stt/create"}})
        result = cli("submit", str(talk))
        assert result.exit_code == 4
        assert other.state.requests.snapshot() == []
        assert other.httpd.accepted == 0
    finally:
        other.stop()


def test_a_key_with_a_trailing_newline_is_trimmed(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.server.state.api_key = KEY
    monkeypatch.setenv("AIML_API_KEY", KEY + "\n")
    assert cli("submit", str(talk)).exit_code == 0


# --- a large file sent as it is: hashed as it goes up, its claim written before its last byte ----------------
def test_a_large_file_sent_as_it_is_is_read_once_and_found_again_by_its_hash(
    cli, emulator: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stt_cli.core import files

    big = big_file(tmp_path / "notes.bin", 9)  # random bytes: no media, over submission.HASH_FIRST_BELOW
    hashed_first: list[Path] = []
    real = files.file_sha256
    monkeypatch.setattr(files, "file_sha256", lambda path: hashed_first.append(path) or real(path))
    first = cli("submit", str(big))
    assert first.exit_code == 0, first.stderr
    assert hashed_first == []  # the upload was the only read
    [create] = emulator.creates()
    assert create["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest() and create["size"] == 9 * 2**20
    listed = json.loads(cli("jobs", "--json").stdout.splitlines()[0])
    assert listed["source_sha256"] == create["sha256"]  # the ledger has the hash of what was sent
    again = cli("submit", str(big))  # the ledger holds a job of this size: hashed first, and reused
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout and "reusing job" in again.stderr
    assert len(hashed_first) == 1 and len(emulator.creates()) == 1


def test_a_job_the_claim_finds_at_the_last_byte_stops_the_body_and_is_reused(
    cli, emulator: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stt_cli.core.ledger import Ledger

    big = big_file(tmp_path / "notes.bin", 9)
    first = cli("submit", str(big))
    assert first.exit_code == 0, first.stderr
    # As if the job had been made by another stt while this one was sending: nothing of this size at the start.
    monkeypatch.setattr(Ledger, "knows_size", lambda self, host, size: False)
    again = cli("submit", str(big))
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout and "reusing job" in again.stderr
    wait_until(lambda: len(emulator.creates()) == 2, timeout=10)  # logged once the emulator gives up on it
    made, stopped = emulator.creates()
    assert made["generation_id"] and not stopped.get("generation_id")  # the body stopped short: no second job
    assert len(emulator.server.state.jobs) == 1
    assert "may have reached" not in cli("jobs").stderr  # and no create is left in doubt


def test_a_large_file_whose_create_went_unanswered_is_sent_again_with_the_same_key(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    big = big_file(tmp_path / "notes.bin", 9)
    emulator.fault("create", {"action": "close"})
    lost = cli("submit", str(big))
    assert lost.exit_code == 5 and "may or may not exist" in lost.stderr
    assert hashlib.sha256(big.read_bytes()).hexdigest() in lost.stderr  # claimed with its hash before the last byte
    again = cli("submit", str(big))
    assert again.exit_code == 0, again.stderr
    assert "same Idempotency-Key" in again.stderr
    first, second = emulator.creates()
    assert first["idempotency_key"] == second["idempotency_key"] and first["idempotency_key"] in lost.stderr


def test_resubmit_of_a_large_file_makes_a_new_job_without_hashing_first(
    cli, emulator: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stt_cli.core import files

    big = big_file(tmp_path / "notes.bin", 9)
    first = cli("submit", str(big))
    monkeypatch.setattr(files, "file_sha256", lambda path: pytest.fail("hashed before the upload"))
    again = cli("submit", str(big), "--resubmit")
    assert again.exit_code == 0, again.stderr
    assert again.stdout != first.stdout and len(emulator.server.state.jobs) == 2


# --- bad input ---------------------------------------------------------------------------------------------
def test_a_non_audio_file_is_warned_about_and_still_sent(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio at all", encoding="utf-8")
    result = cli("submit", str(notes))
    assert result.exit_code == 0
    assert "does not look like audio" in result.stderr
    assert len(emulator.creates()) == 1
    quiet = cli("submit", str(talk))  # real audio: no warning
    assert quiet.exit_code == 0 and "does not look like audio" not in quiet.stderr


def test_max_size(cli, emulator: EmulatorHandle, talk: Path) -> None:
    size = talk.stat().st_size
    over = cli("run", str(talk), "--max-size", str(size - 1))
    assert over.exit_code == 2
    assert "over the --max-size" in over.stderr
    piped = cli("run", "-", "--max-size", "100k", input=talk.read_bytes())
    assert piped.exit_code == 2
    assert "stdin is over the --max-size" in piped.stderr
    assert emulator.requests() == []
    assert cli("run", str(talk), "--max-size", "1MiB").exit_code == 0
    bad = cli("run", str(talk), "--max-size", "huge")
    assert bad.exit_code == 2 and "not a size" in bad.stderr


def test_an_unwritable_output_directory_is_refused_before_upload(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    target = "/sys/stt-output.txt" if os.geteuid() == 0 else str(tmp_path / "ro" / "out.txt")
    if os.geteuid() != 0:
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o500)
    result = cli("run", str(talk), "-o", target)
    assert result.exit_code == 2
    assert "cannot write in the output directory" in result.stderr
    assert emulator.requests() == []


def test_planning_and_obtaining_read_each_file_once_a_run(
    cli, emulator: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-run into the same folder asks, while planning, whether each existing file is this work's (the hash
    of its source), and obtaining needs the same hash: the run works it out once and both use it."""
    from conftest import write_wav

    from stt_cli.core import files

    sources = [write_wav(tmp_path / "in" / f"r{n}.wav", 0.5 + n / 10) for n in range(3)]
    assert cli("run", *map(str, sources), "--output-dir", "out").exit_code == 0
    read: list[Path] = []
    real = files.file_sha256
    monkeypatch.setattr(files, "file_sha256", lambda path: read.append(path) or real(path))
    again = cli("run", *map(str, sources), "--output-dir", "out")
    assert again.exit_code == 0, again.stderr
    assert "3 done" in again.stderr and len(emulator.creates()) == 3  # the jobs reused, nothing sent again
    assert sorted(read) == sorted(sources)  # each source read once in the run, not once a step
