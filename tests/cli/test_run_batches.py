"""`stt run` with many sources: the ledger's reuse, concurrency, re-runs, exit codes, list files, names."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    SAMPLE_TEXT,
    EmulatorHandle,
    recordings,
    sha256_of,
    start_emulator,
    write_wav,
)


@pytest.fixture
def slow_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorHandle]:
    """Jobs that take 0.6 s, so several are in flight at once."""
    server = start_emulator(processing_time=0.6)
    handle = EmulatorHandle(server)
    monkeypatch.setenv("AIML_API_BASE", handle.base_url)
    monkeypatch.setenv("AIML_API_KEY", "test-key-0123456789abcdef")
    yield handle
    server.stop()


# --- Batches -----------------------------------------------------------------------------------------
def _in_flight(requests: list[dict[str, Any]]) -> tuple[int, dict[str, float], dict[str, float]]:
    """From the request log: the most jobs ever pending at once, and when each was created and seen done."""
    created: dict[str, float] = {}
    finished: dict[str, float] = {}
    for entry in requests:
        if entry.get("kind") == "create" and entry.get("outcome") == "created":
            created[entry["generation_id"]] = entry["time"]
        elif entry["method"] == "GET" and entry.get("status") == "completed":
            finished.setdefault(entry["generation_id"], entry["time"])
    events = sorted([(t, 1) for t in created.values()] + [(t, -1) for t in finished.values()])
    peak = level = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak, created, finished


# --- stt jobs, the ledger across restarts and processes ----------------------------------------------
def _jobs(cli, *args: str) -> list[dict[str, Any]]:
    result = cli("jobs", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _ledger_file() -> Path:
    return Path(os.environ["STT_DATA_DIR"]) / "ledger.sqlite3"


# --- No double billing -------------------------------------------------------------------------------
def test_a_second_run_renders_from_the_ledger_without_any_request(cli, emulator: EmulatorHandle, talk: Path) -> None:
    first = cli("run", str(talk), "-o", "a.txt")
    assert first.exit_code == 0, first.stderr
    before = len(emulator.requests())
    second = cli("run", str(talk), "-f", "srt", "-o", "a.srt")
    assert second.exit_code == 0, second.stderr
    assert len(emulator.requests()) == before  # neither a create nor a poll
    assert "reusing job" in second.stderr and "--resubmit" in second.stderr
    assert Path("a.txt").read_text() == SAMPLE_TEXT + "\n"
    assert "Welcome" in Path("a.srt").read_text()


def test_resubmit_forces_a_new_job(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk)).exit_code == 0
    again = cli("run", str(talk), "--resubmit")
    assert again.exit_code == 0
    assert len(emulator.creates()) == 2
    assert "reusing" not in again.stderr


def test_other_options_or_model_make_a_new_job(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk)).exit_code == 0
    assert cli("run", str(talk), "--diarize").exit_code == 0
    assert cli("run", str(talk), "--model", "#g1_nova-2-general").exit_code == 0
    assert cli("run", str(talk), "--diarize").exit_code == 0  # same as the second: reused
    assert [c["options"] for c in emulator.creates()] == [{}, {"diarize": "true"}, {}]  # form fields


def test_a_changed_file_with_the_same_size_is_a_new_job(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    audio = write_wav(tmp_path / "a.wav", 1.0, tone=1)
    assert cli("run", str(audio)).exit_code == 0
    write_wav(audio, 1.0, tone=2)  # same size, other bytes
    assert cli("run", str(audio)).exit_code == 0
    assert len({c["sha256"] for c in emulator.creates()}) == 2


def test_a_pending_job_is_waited_on_not_submitted_again(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(processing_time=0.8)
    job_id = cli("submit", str(talk)).stdout.strip()
    result = cli("run", str(talk), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert len(emulator.creates()) == 1
    assert f"reusing job {job_id}" in result.stderr
    assert json.loads(result.stdout)["metadata"]["request_id"] == job_id


def test_a_failed_job_is_not_reused(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(fail="Audio could not be decoded")
    assert cli("run", str(talk)).exit_code == 6
    assert cli("run", str(talk)).exit_code == 0
    assert len(emulator.creates()) == 2


def test_url_sources_are_reused_by_url(cli, emulator: EmulatorHandle) -> None:
    url = "https://example.com/talk.mp3"
    assert cli("run", url).exit_code == 0
    assert cli("run", url).exit_code == 0
    assert cli("run", url + "?v=2").exit_code == 0
    assert [c["source"] for c in emulator.creates()] == [url, url + "?v=2"]


def test_submit_reuses_and_says_so_in_json(cli, emulator: EmulatorHandle, talk: Path) -> None:
    first = json.loads(cli("submit", str(talk), "--json").stdout)
    second = json.loads(cli("submit", str(talk), "--json").stdout)
    assert (first["reused"], second["reused"]) == (False, True)
    assert first["generation_id"] == second["generation_id"]


def test_twelve_files_at_concurrency_four_keep_four_jobs_in_flight(
    cli, slow_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    files = recordings(tmp_path / "in", 12)
    (tmp_path / "out").mkdir()
    result = cli("run", *map(str, files), "--concurrency", "4", "--output-dir", "out")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"rec{n:02d}.txt" for n in range(12)]
    peak, created, finished = _in_flight(slow_emulator.requests())
    assert len(created) == len(finished) == 12
    assert peak == 4
    # the fifth job is created only after one of the first four was seen finished
    order = sorted(created, key=created.__getitem__)
    assert created[order[4]] >= min(finished[j] for j in order[:4])
    assert "12 done, 0 failed, 0 skipped of 12" in result.stderr


def test_concurrency_one_is_serial(cli, slow_emulator: EmulatorHandle, tmp_path: Path) -> None:
    files = recordings(tmp_path, 3)
    assert cli("run", *map(str, files), "--concurrency", "1").exit_code == 0
    assert _in_flight(slow_emulator.requests())[0] == 1


def test_every_batch_line_keeps_the_job_id_on_screen(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    files = recordings(tmp_path, 3)
    result = cli("run", *map(str, files))
    assert result.exit_code == 0
    for create in emulator.creates():
        assert f"job {create['generation_id']} created for" in result.stderr


def test_from_file_with_comments_blank_lines_and_stdin(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    files = recordings(tmp_path, 3)
    listing = tmp_path / "list.txt"
    listing.write_text(f"# today's recordings\n{files[0]}\n\n   {files[1]}  \n# done\n")
    result = cli("run", "--from-file", str(listing), str(files[2]), "--audio-prep", "off")  # sha256: the files' own
    assert result.exit_code == 0, result.stderr
    assert sorted(c["sha256"] for c in emulator.creates()) == sorted(sha256_of(f) for f in files)
    piped = cli("submit", "--from-file", "-", "--resubmit", input=f"{files[0]}\n{files[1]}\n")
    assert piped.exit_code == 0, piped.stderr
    assert len(piped.stdout.split()) == 2


def test_recursive_takes_media_files_only(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    write_wav(tmp_path / "calls" / "monday.wav", 1.0)
    write_wav(tmp_path / "calls" / "deep" / "tuesday.WAV", 1.2)
    (tmp_path / "calls" / "notes.txt").write_text("not audio")
    (tmp_path / "calls" / "deep" / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    result = cli("run", "calls", "--recursive", "--output-dir", ".")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.txt")) == ["monday.txt", "tuesday.txt"]
    assert len(emulator.creates()) == 2


def test_same_stems_get_distinct_outputs_and_nothing_is_overwritten(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    a = write_wav(tmp_path / "monday" / "call.wav", 1.0)
    b = write_wav(tmp_path / "tuesday" / "call.wav", 1.3)
    result = cli("run", str(a), str(b))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("call*.txt")) == ["call-2.txt", "call.txt"]
    again = cli("run", str(a), str(b))  # the same jobs, the same files: done, not a clash
    assert again.exit_code == 0 and "2 done, 0 failed" in again.stderr, again.stderr
    (tmp_path / "call.txt").write_text("edited by hand")
    edited = cli("run", str(a), str(b))
    assert edited.exit_code == 2 and "differs" in edited.stderr and "--force" in edited.stderr
    assert (tmp_path / "call.txt").read_text() == "edited by hand"
    assert cli("run", str(a), str(b), "--force").exit_code == 0
    assert len(emulator.creates()) == 2  # the forced re-run reused both jobs


def test_skip_existing_skips_sources_whose_output_exists(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    files = recordings(tmp_path / "in", 3)
    (tmp_path / "rec01.txt").write_text("kept")
    result = cli("run", *map(str, files), "--skip-existing", "--audio-prep", "off")  # sha256: the files' own
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "rec01.txt").read_text() == "kept"
    assert sorted(c["sha256"] for c in emulator.creates()) == sorted(sha256_of(f) for f in (files[0], files[2]))
    assert "skipped" in result.stderr and "2 done, 0 failed, 1 skipped of 3" in result.stderr
    single = cli("run", str(files[1]), "-o", "rec01.txt", "--skip-existing")
    assert single.exit_code == 0 and "skipped" in single.stderr
    assert (tmp_path / "rec01.txt").read_text() == "kept"


def test_one_failure_never_stops_the_others_and_sets_the_exit_code(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    files = recordings(tmp_path / "in", 3)
    emulator.next_job(fail="Audio could not be decoded")
    result = cli("run", *map(str, files), "--concurrency", "1")
    assert result.exit_code == 6, result.stderr
    assert "2 done, 1 failed" in result.stderr
    assert "in/rec00.wav: job" in result.stderr and "Audio could not be decoded (exit 6)" in result.stderr
    assert len(list(tmp_path.glob("rec*.txt"))) == 2


def test_failures_of_different_kinds_exit_1_and_each_is_named(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    files = recordings(tmp_path / "in", 3)
    emulator.fault("create", {"status": 400, "body": {"message": "Body validation error! audio: bad"}})
    emulator.next_job(fail="Audio could not be decoded")  # the next job that gets created: the second file's
    result = cli("run", *map(str, files), "--concurrency", "1")
    assert result.exit_code == 1, result.stderr
    summary = result.stderr.split("of 3 in")[1]
    assert "failed: " + str(files[0]) + ": the server rejected" in summary and "(exit 4)" in summary
    assert "failed: " + str(files[1]) + ": job" in summary and "(exit 6)" in summary
    assert (tmp_path / "rec02.txt").exists()


def test_submit_batch_prints_every_id_and_one_error(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    files = recordings(tmp_path, 3)
    emulator.fault("create", {"status": 400, "body": {"message": "nope"}})
    result = cli("submit", *map(str, files))
    assert result.exit_code == 4
    assert len(result.stdout.split()) == 2
    assert result.stderr.count("rec00.wav: ") == 1


def test_jobs_filters_removes_and_prunes(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    files = recordings(tmp_path, 3)
    emulator.next_job(fail="broken")
    assert cli("run", str(files[0])).exit_code == 6
    assert cli("run", str(files[1])).exit_code == 0
    assert cli("submit", str(files[2])).exit_code == 0
    rows = _jobs(cli)
    assert [Path(r["source"]).name for r in rows] == ["rec02.wav", "rec01.wav", "rec00.wav"]
    assert {r["status"] for r in rows} == {"failed", "completed", "queued"}
    assert [r["status"] for r in _jobs(cli, "--status", "failed")] == ["failed"]
    assert len(_jobs(cli, "--limit", "2")) == 2
    asked = cli("jobs", "rm", rows[0]["generation_id"])  # no terminal to ask: refused, nothing removed
    assert asked.exit_code == 2 and "--yes" in asked.stderr and len(_jobs(cli)) == 3
    listed = cli("jobs", "rm", rows[0]["generation_id"], "--dry-run")
    assert listed.exit_code == 0 and rows[0]["generation_id"] in listed.stdout and len(_jobs(cli)) == 3
    assert cli("jobs", "rm", rows[0]["generation_id"], "--yes").exit_code == 0
    assert len(_jobs(cli)) == 2
    unknown = cli("jobs", "rm", "no-such-job", "--yes")
    assert unknown.exit_code == 2 and "no-such-job" in unknown.stderr
    assert cli("jobs", "prune", "--older-than", "30d").exit_code == 0
    assert len(_jobs(cli)) == 2  # nothing that old
    db = sqlite3.connect(Path(os.environ["STT_DATA_DIR"]) / "ledger.sqlite3")
    db.execute("UPDATE jobs SET created_at = created_at - 31 * 86400 WHERE status = 'failed'")
    db.commit()
    db.close()
    refused = cli("jobs", "prune", "--older-than", "30d")
    assert refused.exit_code == 2 and "1 job(s) older than 30d" in refused.stderr and len(_jobs(cli)) == 2
    every = cli("jobs", "prune", "--older-than", "0d", "--dry-run")  # what 0d would take: all, listed only
    assert every.exit_code == 0 and len(every.stdout.splitlines()) == 3 and len(_jobs(cli)) == 2
    pruned = cli("jobs", "prune", "--older-than", "30d", "--yes")
    assert pruned.exit_code == 0 and "removed 1 job(s)" in pruned.stderr
    assert [r["status"] for r in _jobs(cli)] == ["completed"]
    assert cli("jobs", "prune", "--older-than", "soon").exit_code == 2
    assert cli("jobs", "--status", "done").exit_code == 2


def test_jobs_rows_carry_what_the_issue_lists(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk), "--diarize", "-f", "srt", "-o", "talk.srt").exit_code == 0
    [row] = _jobs(cli)
    assert row["status"] == "completed"
    assert row["source"] == str(talk.resolve())
    assert row["source_sha256"] == sha256_of(talk) and row["source_size"] == talk.stat().st_size
    assert row["model"] == "#g1_whisper-large" and row["options"] == {"diarize": True}
    assert row["outputs"] == [str(Path("talk.srt").resolve())]
    assert row["host"] == emulator.base_url.split("//")[1].split("/")[0]
    assert row["audio_seconds"] == pytest.approx(18.3, abs=0.2)


def test_fetch_works_from_the_ledger_after_the_emulator_is_gone(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, talk: Path
) -> None:
    server = start_emulator()
    handle = EmulatorHandle(server)
    monkeypatch.setenv("AIML_API_BASE", handle.base_url)
    monkeypatch.setenv("AIML_API_KEY", "k-0123456789abcdef")
    job_id = cli("submit", str(talk)).stdout.strip()
    assert cli("fetch", job_id, "-o", "talk.txt").exit_code == 0
    server.stop()  # every job it knew is forgotten, and nothing listens any more
    for fmt in ("srt", "vtt", "json"):
        again = cli("fetch", job_id, "-f", fmt)
        assert again.exit_code == 0, again.stderr
        assert "Welcome" in again.stdout
    newest = cli("fetch", "-f", "text")
    assert newest.exit_code == 0 and newest.stdout == SAMPLE_TEXT + "\n"
    assert cli("fetch", job_id, "--refresh").exit_code == 5  # asked the service, which is gone


def test_a_result_expired_on_the_server_is_still_served_from_the_ledger(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    assert cli("run", str(talk)).exit_code == 0
    job_id = emulator.creates()[0]["generation_id"]
    emulator.control("expire", {"generation_id": job_id})
    assert cli("fetch", job_id, "-f", "srt").exit_code == 0
    refreshed = cli("fetch", job_id, "--refresh")  # the service says 404: the kept result is served, with a word
    assert refreshed.exit_code == 0 and refreshed.stdout == SAMPLE_TEXT + "\n"
    assert "not found (HTTP 404)" in refreshed.stderr and "the ledger kept" in refreshed.stderr
    [row] = [json.loads(line) for line in cli("jobs", "--json").stdout.splitlines()]
    assert row["status"] == "gone"


def test_a_corrupt_ledger_says_how_to_move_it_aside(cli, emulator: EmulatorHandle, talk: Path) -> None:
    path = _ledger_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    for args in (("jobs",), ("run", str(talk)), ("fetch",)):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert str(path) in result.stderr and f"mv {path} {path}.bak" in result.stderr
        assert "Traceback" not in result.stderr
    assert emulator.requests() == []  # nothing sent, so nothing is paid for and then lost
    assert path.read_bytes() == b"this is not a database" * 100  # and the file is left as it was


def test_a_locked_ledger_waits_then_says_so_and_loses_no_row(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("run", str(talk)).exit_code == 0
    monkeypatch.setattr("stt_cli.core.ledger.BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(_ledger_file(), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("jobs", "rm", emulator.creates()[0]["generation_id"], "--yes")
        assert result.exit_code == 2
        assert "locked" in result.stderr and str(_ledger_file()) in result.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(_jobs(cli)) == 1


def test_a_ledger_that_fails_after_the_job_exists_only_warns(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stt_cli.core.ledger import Ledger
    from stt_cli.errors import UsageError

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise UsageError("the job ledger is full", "free some space")

    monkeypatch.setattr(Ledger, "record_created", refuse)
    result = cli("run", str(talk))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    job_id = emulator.creates()[0]["generation_id"]
    assert f"job {job_id} is fine, but the ledger could not record it" in result.stderr


def test_a_job_reused_for_another_copy_of_the_audio_keeps_that_copy_s_file_name(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    first = write_wav(tmp_path / "a.wav", 0.7)
    copy = tmp_path / "elsewhere" / "a.wav"
    copy.parent.mkdir()
    copy.write_bytes(first.read_bytes())
    assert cli("run", str(first), "-o", str(tmp_path / "a.srt"), "-f", "srt").exit_code == 0
    out = tmp_path / "out"
    for _ in range(3):
        again = cli("run", str(copy), "-f", "srt", "--output-dir", str(out))
        assert again.exit_code == 0, again.stderr
    assert [p.name for p in out.iterdir()] == ["a.srt"] and "already holds this result" in again.stderr
    skipped = cli("run", str(copy), "-f", "srt", "--output-dir", str(out), "--skip-existing")
    assert "skipped" in skipped.stderr and len(emulator.creates()) == 1


def test_a_batch_cut_short_by_its_timeout_says_still_pending_not_failed(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    from conftest import write_wav

    emulator.next_job(processing_time=60)  # the first job created stays queued; the other finishes at once
    sources = [str(write_wav(tmp_path / "in" / f"p{n}.wav", 1.0 + n / 10)) for n in range(2)]
    result = cli("run", *sources, "--output-dir", "out", "--timeout", "1", "--concurrency", "1")
    assert result.exit_code == 7
    assert "1 done, 0 failed, 1 still pending, 0 skipped of 2" in result.stderr
    [pending] = [line for line in result.stderr.splitlines() if line.startswith("pending ")]
    assert pending.count("stt fetch") == 1 and "--output-dir out" in pending  # the resume command once, not twice
