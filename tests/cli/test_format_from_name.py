"""The format from the file name, for run and fetch: `-o talk.srt` writes SRT; a typed -f that disagrees with the
extension, or an extension no format has, is exit 2 before anything is uploaded or asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLE_TEXT, EmulatorHandle


@pytest.mark.parametrize(
    ("name", "starts"),
    [
        ("talk.srt", "1\n00:00:00,300 --> "),
        ("talk.vtt", "WEBVTT\n"),
        ("talk.json", "{"),
        ("talk.txt", SAMPLE_TEXT),
        ("talk.md", "# "),
        ("TALK.SRT", "1\n00:00:00,300 --> "),  # any case
        ("transcript", SAMPLE_TEXT),  # no extension: the default format
        (".srt", "1\n00:00:00,300 --> "),  # a name that is all extension is that format
    ],
)
def test_run_writes_the_format_the_file_name_says(
    cli, emulator: EmulatorHandle, talk: Path, name: str, starts: str
) -> None:
    result = cli("run", str(talk), "-o", name)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert Path(name).read_text(encoding="utf-8").startswith(starts)


def test_tsv_from_the_extension(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk), "-o", "words.tsv").exit_code == 0
    header = Path("words.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t")[:2] == ["start", "end"]


def test_a_typed_format_that_disagrees_with_the_extension_is_refused_before_the_upload(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    result = cli("run", str(talk), "-f", "srt", "-o", "talk.vtt")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "-f srt" in line and "talk.vtt" in line and "vtt" in line
    assert "talk.srt" in line  # the name that would fit, as the fix
    assert len(line.splitlines()) == 1
    assert emulator.requests() == [] and not Path("talk.vtt").exists()


def test_an_unknown_extension_without_a_format_lists_the_known_ones(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "-o", "talk.doc")
    assert result.exit_code == 2
    for extension in (".txt", ".json", ".srt", ".vtt", ".tsv", ".md"):
        assert extension in result.stderr
    assert "-f" in result.stderr
    assert emulator.requests() == [] and not Path("talk.doc").exists()


def test_an_unknown_extension_with_a_typed_format_is_that_format(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk), "-f", "srt", "-o", "subs.log").exit_code == 0
    assert Path("subs.log").read_text(encoding="utf-8").startswith("1\n00:00:00,300")


def test_a_matching_typed_format_is_fine(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk), "-f", "vtt", "-o", "talk.vtt").exit_code == 0
    assert Path("talk.vtt").read_text(encoding="utf-8").startswith("WEBVTT")


def test_the_file_name_wins_over_a_configured_format(cli, emulator: EmulatorHandle, talk: Path) -> None:
    """A format from the config file or the environment is a default: the name typed now says more."""
    assert cli("config", "set", "format", "json").exit_code == 0
    assert cli("run", str(talk), "-o", "talk.srt").exit_code == 0
    assert Path("talk.srt").read_text(encoding="utf-8").startswith("1\n")
    assert cli("run", str(talk), "-o", "plain.txt", env={"STT_FORMAT": "vtt"}).exit_code == 0
    assert Path("plain.txt").read_text(encoding="utf-8").startswith(SAMPLE_TEXT)
    assert cli("run", str(talk)).stdout.lstrip().startswith("{")  # no -o: the configured format


def test_several_formats_take_o_as_a_stem(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk), "-f", "srt,vtt", "-o", "talk.srt").exit_code == 0
    assert Path("talk.srt").read_text(encoding="utf-8").startswith("1\n")
    assert Path("talk.vtt").read_text(encoding="utf-8").startswith("WEBVTT")


def test_fetch_follows_the_same_rule(cli, emulator: EmulatorHandle, talk: Path) -> None:
    job_id = cli("submit", str(talk)).stdout.strip()
    asked = len(emulator.requests())
    assert cli("fetch", job_id, "-o", "talk.vtt").exit_code == 0
    assert Path("talk.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    before = len(emulator.requests())
    assert before > asked
    refused = cli("fetch", job_id, "-f", "json", "-o", "talk.srt")
    assert refused.exit_code == 2 and "-f json" in refused.stderr
    unknown = cli("fetch", job_id, "-o", "talk.docx")
    assert unknown.exit_code == 2 and ".docx" in unknown.stderr
    assert len(emulator.requests()) == before  # neither asked the service
    assert not Path("talk.srt").exists() and not Path("talk.docx").exists()


def test_a_format_may_be_named_by_its_extension(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk), "-f", "txt").stdout == SAMPLE_TEXT + "\n"
    assert cli("run", str(talk), "-f", "txt", "-o", "t.txt").exit_code == 0
