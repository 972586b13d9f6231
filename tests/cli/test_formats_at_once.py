"""`stt run` and `stt fetch` with several formats at once (-f srt,vtt,text,json or -f all): one upload, one file
a format, written like a single one."""

from __future__ import annotations

import json
from pathlib import Path

import srt
import webvtt
from conftest import SAMPLE_TEXT, EmulatorHandle, write_wav


def _job_ids(cli) -> list[str]:  # type: ignore[no-untyped-def]
    return [json.loads(line)["generation_id"] for line in cli("jobs", "--json").stdout.splitlines()]


def test_one_upload_writes_every_format_asked_for(cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    stem = tmp_path / "talk"
    result = cli("run", str(talk), "--diarize", "-f", "srt,vtt,text,json", "-o", str(stem))
    assert result.exit_code == 0, result.stderr
    assert len(emulator.creates()) == 1
    assert len(list(srt.parse((tmp_path / "talk.srt").read_text(encoding="utf-8")))) >= 2
    assert webvtt.from_string((tmp_path / "talk.vtt").read_text(encoding="utf-8"), strict=True).captions
    assert "Welcome to the speech" in (tmp_path / "talk.txt").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "talk.json").read_text(encoding="utf-8"))["results"]
    assert result.stdout == ""
    assert [line for line in result.stderr.splitlines() if line.startswith("wrote ")] == [
        f"wrote {tmp_path / name}" for name in ("talk.srt", "talk.vtt", "talk.txt", "talk.json")
    ]


def test_all_is_every_format_and_a_stem_keeps_one_extension(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    result = cli("run", str(talk), "-f", "all", "-o", str(tmp_path / "talk.srt"))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("talk.*") if p.suffix != ".wav") == [
        "talk.json",
        "talk.md",
        "talk.srt",
        "talk.tsv",
        "talk.txt",
        "talk.vtt",
    ]
    again = cli("run", str(talk), "-f", "all", "-o", str(tmp_path / "talk"))
    assert again.exit_code == 0 and again.stderr.count("already holds this result") == 6
    assert len(emulator.creates()) == 1


def test_several_formats_to_stdout_or_an_unknown_one_are_refused_before_any_upload(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    for args, message in (
        (["-f", "srt,vtt"], "2 formats go to files, not to stdout"),
        (["-f", "all", "-o", "-"], "6 formats go to files, not to stdout"),
        (["-f", "srt,docx"], "'docx' is not one of text, json, srt, vtt"),
        (["-f", ","], "names no format"),
    ):
        result = cli("run", str(talk), *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert emulator.creates() == []


def test_a_batch_writes_each_format_of_each_source_and_counts_the_files(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    first, second = write_wav(tmp_path / "a.wav", 0.6), write_wav(tmp_path / "b.wav", 0.8)
    out = tmp_path / "out"
    result = cli("run", str(first), str(second), "-f", "srt,vtt", "--output-dir", str(out))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.srt", "a.vtt", "b.srt", "b.vtt"]
    assert "2 done (4 files), 0 failed, 0 skipped of 2" in result.stderr
    (out / "b.vtt").unlink()
    (out / "a.srt").write_text("edited by hand\n", encoding="utf-8")
    again = cli("run", str(first), str(second), "-f", "srt,vtt", "--output-dir", str(out), "--skip-existing")
    # b is not skipped (one of its files is missing) and its vtt comes back; a is skipped, its edit kept
    assert again.exit_code == 0, again.stderr
    assert (out / "b.vtt").exists() and (out / "a.srt").read_text(encoding="utf-8") == "edited by hand\n"
    assert "1 done (2 files), 0 failed, 1 skipped of 2" in again.stderr
    assert len(emulator.creates()) == 2


def test_a_file_that_exists_and_differs_is_refused_even_when_others_are_missing(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    (tmp_path / "talk.srt").write_text("someone else's subtitles\n", encoding="utf-8")
    result = cli("run", str(talk), "-f", "srt,vtt", "-o", str(tmp_path / "talk"), "--skip-existing")
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert emulator.creates() == [] and not (tmp_path / "talk.vtt").exists()


def test_the_format_setting_takes_a_list_and_fetch_writes_it_too(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STT_FORMAT", "srt,text")
    result = cli("run", str(talk), "-o", str(tmp_path / "talk"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "talk.srt").exists() and SAMPLE_TEXT[:20] in (tmp_path / "talk.txt").read_text(encoding="utf-8")
    monkeypatch.delenv("STT_FORMAT")
    assert cli("config", "set", "format", "vtt,json").exit_code == 0
    assert cli("config", "get", "format").stdout == "vtt,json\n"
    assert cli("config", "set", "format", "vtt,docx").exit_code == 2
    [job] = _job_ids(cli)
    fetched = cli("fetch", job, "--output-dir", str(tmp_path / "fetched"))
    assert fetched.exit_code == 0, fetched.stderr
    assert sorted(p.suffix for p in (tmp_path / "fetched").iterdir()) == [".json", ".vtt"]


def test_tsv_is_one_row_a_word_under_a_header(cli, emulator: EmulatorHandle, talk: Path) -> None:
    import csv
    import io

    result = cli("run", str(talk), "--diarize", "-f", "tsv", "--speaker-names", "0=Ada")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout), delimiter="\t"))
    assert rows[0] == ["start", "end", "speaker", "channel", "confidence", "word"]
    words = rows[1:]
    assert " ".join(row[5] for row in words) == SAMPLE_TEXT
    assert all(float(row[0]) <= float(row[1]) for row in words) and {row[2] for row in words} == {"Ada", "1"}
    assert all(0 <= float(row[4]) <= 1 for row in words) and {row[3] for row in words} == {"0"}
    text_only = cli("run", str(talk), "-m", "openai/gpt-4o-transcribe", "-f", "tsv")
    assert text_only.exit_code == 2 and "needs them" in text_only.stderr


def test_text_timestamps_mark_each_turn_or_pause(cli, emulator: EmulatorHandle, talk: Path) -> None:
    import re

    turns = cli("run", str(talk), "--diarize", "--timestamps").stdout.splitlines()
    assert turns[0] == "[00:00:00] Speaker 0: Welcome to the speech to text command line tool."
    assert all(re.match(r"\[\d\d:\d\d:\d\d\] Speaker \d: ", line) for line in turns) and len(turns) == 4
    plain = cli("run", str(talk), "--timestamps").stdout
    assert plain.startswith("[00:00:00] Welcome") and plain.replace("[00:00:00] ", "", 1).strip() == SAMPLE_TEXT
    marked = cli("run", str(talk), "-m", "openai/gpt-4o-transcribe", "--timestamps")
    assert marked.exit_code == 0 and "no time marks" in marked.stderr and "[00:" not in marked.stdout


def test_md_is_a_report_with_facts_blocks_and_marked_turns(cli, emulator: EmulatorHandle, talk: Path) -> None:
    args = ("run", str(talk), "-m", "nova-3", "--diarize", "--summarize", "--topics", "--detect-language", "-f", "md")
    report = cli(*args).stdout.splitlines()
    assert report[0] == f"# Transcript of {talk}".replace("_", "\\_")
    assert "- **Duration:** 0:00:18" in report and "- **Language:** en (0.99)" in report
    headings = [line for line in report if line.startswith("## ")]
    assert headings == ["## Summary", "## Topics", "## Transcript"]
    assert "\\[00:00:00\\] Speaker 0: Welcome to the speech to text command line tool." in report


def test_a_stem_for_several_formats_is_never_a_directory_or_a_device(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    for stem in (f"{folder}/", str(folder), "/dev/null", "/dev/stderr"):
        result = cli("run", str(talk), "-f", "srt,vtt", "-o", stem)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, (stem, result.stderr)
    assert list(folder.iterdir()) == [] and not Path("/dev/null.srt").exists()
    upper = cli("run", str(talk), "-f", "srt,vtt", "-o", str(tmp_path / "s.VTT"))
    assert upper.exit_code == 0 and sorted(p.name for p in tmp_path.glob("s.*")) == ["s.srt", "s.vtt"]
    assert len(emulator.creates()) == 1


def test_a_json_run_s_usage_errors_are_json_and_ledger_results_count_as_reused(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    bogus = cli("run", str(talk), "--json", "--no-such-flag")
    assert bogus.exit_code == 2 and json.loads(bogus.stderr)["error"]["code"] == 2
    long_list = cli("run", str(talk), "-f", "x" * 10_000, "--json")
    assert long_list.exit_code == 2 and len(long_list.stderr) < 400
    job = cli("submit", str(talk)).stdout.strip()
    first = cli("fetch", job, "--json", "--output-dir", str(tmp_path / "a"))
    second = cli("fetch", job, "--json", "--output-dir", str(tmp_path / "b"))
    assert json.loads(first.stdout)["reused"] is False and json.loads(second.stdout)["reused"] is True
