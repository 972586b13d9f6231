"""`stt fetch`: waiting or not, results kept in the ledger, files written and never overwritten."""

from __future__ import annotations

from pathlib import Path

from conftest import SAMPLE_TEXT, EmulatorHandle


def test_fetch_no_wait_on_a_pending_job_exits_7(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(processing_time=60)
    job_id = cli("submit", str(talk)).stdout.strip()
    result = cli("fetch", job_id, "--no-wait")
    assert result.exit_code == 7
    assert result.stdout == ""
    assert f"stt fetch {job_id}" in result.stderr
    assert len(emulator.polls()) == 1


def test_fetch_waits_for_a_pending_job(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(processing_time=1.0)
    job_id = cli("submit", str(talk)).stdout.strip()
    result = cli("fetch", job_id)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    assert len(emulator.polls()) >= 2


def test_completed_results_are_served_from_the_ledger(cli, emulator: EmulatorHandle, talk: Path) -> None:
    job_id = cli("submit", str(talk)).stdout.strip()
    assert cli("fetch", job_id).exit_code == 0
    polls = len(emulator.polls())
    emulator.control("expire", {"generation_id": job_id})  # the service forgot it; the ledger did not
    again = cli("fetch", job_id, "-f", "srt")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith("1\n00:00:00,300")
    assert len(emulator.polls()) == polls
    again_text = cli("fetch", job_id).stdout
    refreshed = cli("fetch", job_id, "--refresh")  # asked the service, which said 404: the kept result is served
    assert refreshed.exit_code == 0 and refreshed.stdout == again_text
    assert "not found (HTTP 404)" in refreshed.stderr and "the ledger kept" in refreshed.stderr


def test_fetch_of_an_unknown_job_is_a_404(cli, emulator: EmulatorHandle) -> None:
    result = cli("fetch", "no-such-job")
    assert result.exit_code == 4
    assert "not found" in result.stderr


def test_fetch_writes_a_file_and_refuses_to_overwrite(cli, emulator: EmulatorHandle, talk: Path) -> None:
    job_id = cli("submit", str(talk)).stdout.strip()
    assert cli("fetch", job_id, "-f", "vtt", "-o", "talk.vtt").exit_code == 0
    assert Path("talk.vtt").read_text(encoding="utf-8").startswith("WEBVTT\n")
    again = cli("fetch", job_id, "-f", "vtt", "-o", "talk.vtt")  # the same job's same result: nothing to do
    assert again.exit_code == 0 and "already holds this result" in again.stderr
    narrower = cli("fetch", job_id, "-f", "vtt", "-o", "talk.vtt", "--max-line-width", "20")
    assert narrower.exit_code == 2
    assert "already exists and differs" in narrower.stderr and "--force" in narrower.stderr
    Path("other.vtt").write_text("mine")
    foreign = cli("fetch", job_id, "-f", "vtt", "-o", "other.vtt")  # a file stt did not write: refused at once
    assert foreign.exit_code == 2 and "already exists" in foreign.stderr
    assert Path("other.vtt").read_text() == "mine"


def test_broken_word_timings_render_with_a_warning(cli, emulator: EmulatorHandle) -> None:
    words = [
        {"word": "b.", "start": 2.0, "end": 2.5},
        {"word": "a", "start": 1.0, "end": 1.4},
        {"word": "c", "start": None, "end": 3.0},
        {"word": "d", "start": -1.0, "end": 0.5},
    ]
    payload = {"results": {"channels": [{"alternatives": [{"transcript": "a b. c d", "words": words}]}]}}
    emulator.fault("poll", {"status": 200, "body": {"status": "completed", "result": payload}})
    result = cli("fetch", "any-id", "-f", "srt")
    assert result.exit_code == 0, result.stderr
    assert "out of order" in result.stderr and "negative" in result.stderr and "missing" in result.stderr
    assert result.stdout.startswith("1\n00:00:00,000 --> ")


def _submitted(cli, emulator: EmulatorHandle, tmp_path: Path, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    from conftest import write_wav

    files = [str(write_wav(tmp_path / f"in{n}.wav", 0.5 + n / 10)) for n in range(count)]
    done = cli("submit", *files)
    assert done.exit_code == 0, done.stderr
    return done.stdout.split()


def test_fetch_takes_several_ids_like_a_batch(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    ids = _submitted(cli, emulator, tmp_path, 3)
    out = tmp_path / "out"
    result = cli("fetch", *ids, "-f", "srt,text", "--output-dir", str(out), "--concurrency", "2")
    assert result.exit_code == 0, result.stderr
    # named after each job's source, as run names them
    assert sorted(p.name for p in out.iterdir()) == sorted(f"in{n}.{ext}" for n in range(3) for ext in ("srt", "txt"))
    assert "3 done (6 files), 0 failed, 0 skipped of 3" in result.stderr
    assert "created for" not in result.stderr  # fetch creates no job


def test_fetch_reads_ids_from_stdin_and_reports_each_failure(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    ids = _submitted(cli, emulator, tmp_path, 2)
    listing = "# ids to fetch\n" + "\n".join([*ids, "", "nosuch-job", ids[0]]) + "\n"
    result = cli("fetch", "-", "--output-dir", str(tmp_path / "out"), input=listing)
    assert result.exit_code == 4, result.stderr  # the one failure's exit code: the job is not found
    assert "2 done, 1 failed, 0 skipped of 3" in result.stderr and "failed: nosuch-job:" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["in0.txt", "in1.txt"]


def test_several_ids_go_to_files_in_the_current_directory_and_never_to_one_output(
    cli, emulator: EmulatorHandle, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    ids = _submitted(cli, emulator, tmp_path, 2)
    for args in (["-o", str(tmp_path / "one.txt")], ["-o", "-"]):
        refused = cli("fetch", *ids, *args)
        assert refused.exit_code == 2 and "takes a single job but 2 ids were given" in refused.stderr
    assert cli("fetch", "-", input="\n# nothing\n").exit_code == 2
    monkeypatch.chdir(tmp_path)
    here = cli("fetch", *ids)
    assert here.exit_code == 0, here.stderr
    assert all((tmp_path / f"in{n}.txt").exists() for n in range(2)) and here.stdout == ""


def test_fetch_output_dir_names_files_after_the_source_as_run_does(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    from conftest import write_wav

    job = cli("submit", str(talk)).stdout.strip()
    other = cli("submit", str(talk), "-m", "nova-3").stdout.strip()  # the same source, another job
    done = cli("fetch", job, other, "-f", "srt", "--output-dir", "subs")
    assert done.exit_code == 0, done.stderr
    assert sorted(p.name for p in Path("subs").iterdir()) == ["talk-2.srt", "talk.srt"]
    again = cli("fetch", job, other, "-f", "srt", "--output-dir", "subs")  # the same names again: done already
    assert again.exit_code == 0 and again.stderr.count("already") == 2
    ran = cli("run", str(write_wav(tmp_path / "b.wav", 1.0)), "-f", "vtt", "--output-dir", "both")
    assert ran.exit_code == 0
    [newest] = [line.split()[1] for line in ran.stderr.splitlines() if line.startswith("job ")][:1]
    fetched = cli("fetch", newest, "-f", "vtt", "--output-dir", "both")  # the file run wrote is this job's
    assert fetched.exit_code == 0 and "already holds this result" in fetched.stderr
    assert sorted(p.name for p in Path("both").iterdir()) == ["b.vtt"]


def test_a_job_from_elsewhere_is_named_after_its_id(cli, emulator: EmulatorHandle, talk: Path) -> None:
    job = cli("submit", str(talk)).stdout.strip()
    assert cli("jobs", "rm", job, "--yes").exit_code == 0  # the ledger no longer knows its source
    done = cli("fetch", job, "--output-dir", "out")
    assert done.exit_code == 0, done.stderr
    assert [p.name for p in Path("out").iterdir()] == [f"{job}.txt"]


def test_a_kept_result_is_fetched_with_no_key_and_no_request(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    job = cli("submit", str(talk)).stdout.strip()
    assert cli("fetch", job).exit_code == 0
    asked = len(emulator.requests())
    monkeypatch.delenv("AIML_API_KEY")
    kept = cli("fetch", job, "-f", "srt")
    assert kept.exit_code == 0, kept.stderr
    assert kept.stdout.startswith("1\n00:00:00,300")
    assert len(emulator.requests()) == asked
    refreshed = cli("fetch", job, "--refresh")  # asking the service needs the key: said before anything is done
    assert refreshed.exit_code == 3 and "no API key found" in refreshed.stderr
    assert len(emulator.requests()) == asked


def test_several_kept_results_are_fetched_with_no_key(
    cli, emulator: EmulatorHandle, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    ids = _submitted(cli, emulator, tmp_path, 2)
    assert cli("fetch", *ids, "--output-dir", "first").exit_code == 0
    asked = len(emulator.requests())
    monkeypatch.delenv("AIML_API_KEY")
    kept = cli("fetch", *ids, "-f", "srt", "--output-dir", "again")
    assert kept.exit_code == 0, kept.stderr
    assert sorted(p.name for p in Path("again").iterdir()) == ["in0.srt", "in1.srt"]
    assert len(emulator.requests()) == asked
