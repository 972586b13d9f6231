"""`stt run` end to end against a real emulator on loopback: sources, formats, outputs, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE_TEXT, EmulatorHandle

from stt_cli.core.media.ffmpeg import find_tools
from stt_cli.emulator.results import sample

PINNED_SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "provider-schemas"


def test_run_prints_the_transcript_and_the_job_id(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    [create] = emulator.creates()
    assert create["generation_id"] in result.stderr
    assert f"stt fetch {create['generation_id']}" in result.stderr
    if find_tools() is None:  # sent as it is
        assert create["sha256"] == sample()["sha256"] and create["filename"] == "talk.wav"
    else:  # as FLAC with its samples (tests/e2e/test_audio_prep.py decodes them)
        assert create["filename"] == "talk.flac" and create["size"] < talk.stat().st_size


def test_run_from_stdin_uploads_the_exact_bytes(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", "-", "--audio-prep", "off", input=talk.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    [create] = emulator.creates()
    assert create["size"] == talk.stat().st_size


def test_a_url_s_password_goes_to_the_service_and_nowhere_else(cli, emulator: EmulatorHandle) -> None:
    url = "https://reader:s3cretPW@media.example.com/talk.mp3"
    result = cli("run", url, "-v")
    assert result.exit_code == 0, result.stderr
    [create] = emulator.creates()
    assert create["source"] == url  # the service needs the whole URL to fetch the audio
    assert "s3cretPW" not in result.stderr and "reader:****@media.example.com" in result.stderr
    listed = cli("jobs", "--json").stdout
    assert "s3cretPW" not in listed and "reader:****@media.example.com/talk.mp3" in listed
    refused = cli("run", "ftp://reader:s3cretPW@media.example.com/talk.mp3")
    assert refused.exit_code == 2 and "s3cretPW" not in refused.stderr


def test_run_url_source_is_sent_as_json_not_downloaded(cli, emulator: EmulatorHandle) -> None:
    result = cli("run", "https://media.example.com/talk.mp3", "-f", "srt", "-o", "talk.srt")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    [create] = emulator.creates()
    assert create["source"] == "https://media.example.com/talk.mp3"
    text = Path("talk.srt").read_text(encoding="utf-8")
    assert text.startswith("1\n00:00:00,000 --> ")
    assert "placeholder transcript" in text


def test_json_is_the_payload_verbatim_in_utf8(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "-f", "json", "--tag", "naïve-ünïcode")
    assert result.exit_code == 0, result.stderr
    assert "naïve-ünïcode".encode() in result.stdout_bytes  # not \u-escaped
    payload = json.loads(result.stdout)
    assert payload["metadata"]["tags"] == ["naïve-ünïcode"]
    assert payload["results"]["channels"][0]["alternatives"][0]["transcript"] == SAMPLE_TEXT
    [poll] = [p for p in emulator.polls()][-1:]
    assert poll["generation_id"] == payload["metadata"]["request_id"]


def test_srt_and_vtt_from_word_timings(cli, emulator: EmulatorHandle, talk: Path) -> None:
    srt = cli("run", str(talk), "-f", "srt", "--diarize")
    assert srt.exit_code == 0, srt.stderr
    assert srt.stdout.startswith("1\n00:00:00,300 --> 00:00:")
    assert "Speaker 0: Welcome" in srt.stdout and "Speaker 1: Thanks." in srt.stdout
    vtt = cli("run", str(talk), "-f", "vtt", "--diarize")
    assert vtt.exit_code == 0, vtt.stderr
    assert vtt.stdout.startswith("WEBVTT\n\n00:00:00.300 --> ")
    assert "<v Speaker 1>Thanks." in vtt.stdout


def test_text_with_diarization_gives_speaker_turns(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "--diarize")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Speaker 0: Welcome to the speech to text command line tool."
    assert lines[1].startswith("Speaker 1: Thanks.")
    assert len(lines) == 4


def test_existing_output_is_refused_before_any_upload(cli, emulator: EmulatorHandle, talk: Path) -> None:
    Path("out.txt").write_text("precious", encoding="utf-8")
    result = cli("run", str(talk), "-o", "out.txt")
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert Path("out.txt").read_text(encoding="utf-8") == "precious"
    assert emulator.requests() == []
    forced = cli("run", str(talk), "-o", "out.txt", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert Path("out.txt").read_text(encoding="utf-8") == SAMPLE_TEXT + "\n"


def test_output_dash_means_stdout(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "-o", "-")
    assert result.exit_code == 0
    assert result.stdout == SAMPLE_TEXT + "\n"
    assert not Path("-").exists()


def test_several_sources_go_to_the_output_dir(cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    other = tmp_path / "sub" / "talk.wav"
    other.parent.mkdir()
    other.write_bytes(talk.read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    result = cli("run", str(talk), str(other), "--output-dir", str(out), "-f", "vtt")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["talk-2.vtt", "talk.vtt"]
    assert result.stdout == ""


def test_o_with_several_sources_is_a_usage_error(cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    other = tmp_path / "b.wav"
    other.write_bytes(talk.read_bytes())
    result = cli("run", str(talk), str(other), "-o", "x.txt")
    assert result.exit_code == 2
    assert "--output-dir" in result.stderr
    assert emulator.requests() == []


def test_a_source_listed_twice_is_transcribed_once(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("submit", str(talk), str(talk))
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.split()) == 1
    assert len(emulator.creates()) == 1


def test_text_only_model_cannot_make_subtitles_and_says_so_before_upload(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    result = cli("run", str(talk), "--model", "openai/gpt-4o-transcribe", "-f", "srt")
    assert result.exit_code == 2
    assert "no word timings" in result.stderr or "without word timings" in result.stderr
    assert emulator.requests() == []
    text = cli("run", str(talk), "--model", "openai/gpt-4o-transcribe")
    assert text.exit_code == 0, text.stderr
    assert text.stdout == SAMPLE_TEXT + "\n"


def test_assemblyai_results_render_with_millisecond_times(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "--model", "aai/universal", "-f", "srt")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("1\n00:00:00,300 --> ")


def test_an_unchecked_model_is_passed_through_and_the_servers_400_shown(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    result = cli("run", str(talk), "--model-unchecked", "whisper-huge-9000")
    assert result.exit_code == 4
    assert "HTTP 400" in result.stderr and "whisper-huge-9000" in result.stderr
    assert len(emulator.creates()) == 1
    assert "Traceback" not in result.stderr


def test_job_failure_exits_6_with_the_servers_message(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(fail="Audio could not be decoded")
    result = cli("run", str(talk))
    assert result.exit_code == 6
    assert "Audio could not be decoded" in result.stderr
    assert result.stdout == ""


def test_timeout_exits_7_with_the_resume_command(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(processing_time=60)
    result = cli("run", str(talk), "--timeout", "0.6")
    assert result.exit_code == 7
    [create] = emulator.creates()
    assert f"stt fetch {create['generation_id']}" in result.stderr
    assert result.stdout == ""


def test_envelope_b_with_short_ids(cli, emulator_b: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    [create] = emulator_b.creates()
    assert len(create["generation_id"]) == 21  # the newer short id, not a UUID: the id's shape is never validated
    emulator_b.next_job(fail="upstream exploded")
    failed = cli("run", str(talk), "--resubmit")
    assert failed.exit_code == 6
    assert "upstream exploded" in failed.stderr


def test_other_audio_gets_a_labelled_placeholder_spanning_its_length(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    import wave

    path = tmp_path / "silence.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(b"\0\0\0\0" * 8000 * 12)
    first = cli("run", str(path), "-f", "json", "--multi-channel")
    second = cli("run", str(path), "-f", "json", "--multi-channel")
    assert first.exit_code == second.exit_code == 0
    payload = json.loads(first.stdout)
    assert payload["metadata"]["duration"] == 12.0
    assert len(payload["results"]["channels"]) == 2
    words = payload["results"]["channels"][0]["alternatives"][0]["words"]
    assert words[0]["start"] == 0.0 and 10.0 < words[-1]["end"] <= 12.0
    assert (
        "placeholder transcript from the stt emulator"
        in payload["results"]["channels"][0]["alternatives"][0]["transcript"]
    )
    again = json.loads(second.stdout)
    for doc in (payload, again):  # deterministic apart from the job's own id and time
        doc["metadata"].pop("request_id")
        doc["metadata"].pop("created")
    assert payload == again


def test_speaker_names_and_channel_selection(cli, emulator: EmulatorHandle, talk: Path) -> None:
    named = cli("run", str(talk), "--diarize", "--speaker-names", "0=Ada,1=Grace")
    assert named.exit_code == 0, named.stderr
    assert named.stdout.splitlines()[0].startswith("Ada: Welcome")
    assert named.stdout.splitlines()[1].startswith("Grace: Thanks.")
    job_id = emulator.creates()[-1]["generation_id"]
    vtt = cli("fetch", job_id, "-f", "vtt", "--speaker-names", "1=Grace")
    assert "<v Speaker 0>Welcome" in vtt.stdout and "<v Grace>Thanks." in vtt.stdout
    picked = cli("fetch", job_id, "--channel", "0")
    assert picked.exit_code == 0
    missing = cli("fetch", job_id, "--channel", "3")
    assert missing.exit_code == 2
    assert "channel(s) 0" in missing.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--speaker-names", "Ada"], "ID=NAME"),
        (["--speaker-names", "0=Ada,=Bob"], "ID=NAME"),
        (["--min-cue-duration", "8"], "--min-cue-duration is longer than --max-cue-duration"),
        (["--max-cps", "0"], "--max-cps"),
        (["--channel", "-1"], "--channel"),
    ],
)
def test_bad_subtitle_options_are_refused_before_upload(
    cli, emulator: EmulatorHandle, talk: Path, args: list[str], needle: str
) -> None:
    result = cli("run", str(talk), "-f", "srt", *args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert emulator.requests() == []


def test_a_missing_output_dir_is_made_and_said_once(cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    target = tmp_path / "subs" / "2026" / "dec"
    result = cli("run", str(talk), "-f", "srt", "--output-dir", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("created the output directory") == 1
    assert (target / "talk.srt").read_text(encoding="utf-8").startswith("1\n")
    again = cli("run", str(talk), "-f", "srt", "--output-dir", str(target))
    assert again.exit_code == 0 and "created the output directory" not in again.stderr
    job = cli("jobs", "--json").stdout.splitlines()[0]
    fetched = cli("fetch", json.loads(job)["generation_id"], "-f", "vtt", "--output-dir", str(tmp_path / "vtt"))
    assert fetched.exit_code == 0 and "created the output directory" in fetched.stderr
    assert len(list((tmp_path / "vtt").glob("*.vtt"))) == 1


def test_an_output_dir_that_is_a_file_or_cannot_be_made_stops_before_any_upload(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    for where in (blocker, blocker / "below"):
        result = cli("run", str(talk), "--output-dir", str(where))
        assert result.exit_code == 2, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error:")
    assert emulator.creates() == []


def test_what_was_asked_for_is_shown_after_the_transcript(cli, emulator: EmulatorHandle, talk: Path) -> None:
    asked = cli("run", str(talk), "-m", "nova-3", "--summarize", "--topics", "--sentiment", "--search", "speech")
    assert asked.exit_code == 0, asked.stderr
    titles = [line for line in asked.stdout.splitlines() if line and not line.startswith(" ")][1:]
    assert titles == ["Summary", "Topics", "Sentiment", "Search hits"]
    assert '  "speech" [00:00:01] speech' in asked.stdout and "  overall: positive (0.41)" in asked.stdout
    plain = cli("run", str(talk), "-m", "nova-3")
    assert plain.stdout.strip() == SAMPLE_TEXT
    language = cli("run", str(talk), "-m", "nova-3", "--detect-language")
    assert "detected language of job" in language.stderr and ": en (0.99)" in language.stderr


def test_assemblyai_s_analysis_blocks_come_back_in_its_schema_and_are_shown(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    """Summary and chapters each in a job of its own: AssemblyAI makes one or the other (api/combinations.py)."""
    import jsonschema

    pair = PINNED_SCHEMAS / "fetch.AssemblyAI__universal-pair.json"  # the provider's, pinned in tests/data
    document = json.loads(pair.read_text(encoding="utf-8"))
    result = document["responses"]["201"]["content"]["application/json"]["schema"]["properties"]["result"]
    flags = ["--diarize", "--topics", "--sentiment", "--detect-entities", "--detect-language"]
    for extra, first in ((["--summarize"], "Summary"), (["--param", "auto_chapters=true"], "Chapters")):
        shown = cli("run", str(talk), "-m", "aai/universal", *flags, *extra)
        assert shown.exit_code == 0, shown.stderr
        titles = [line for line in shown.stdout.splitlines() if line and not line.startswith((" ", "Speaker"))]
        assert titles == [first, "Topics", "Sentiment", "Entities"], shown.stdout
        assert "detected language of job" in shown.stderr and ": en_us (0.99)" in shown.stderr
        payload = json.loads(cli("fetch", "-f", "json").stdout)
        jsonschema.validate(payload, {**result["anyOf"][1], "components": document.get("components", {})})


@pytest.mark.parametrize("timeout", ["5m", "1h30m", "300", "300s", "0"])
def test_timeout_takes_the_duration_syntax(cli, emulator: EmulatorHandle, talk: Path, timeout: str) -> None:
    result = cli("run", str(talk), "--timeout", timeout, "--poll-interval", "2s")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--timeout", "5x"], "--timeout '5x' is not a duration"),
        (["--timeout", "30m1h"], "largest first"),
        (["--poll-interval", "0.01"], "--poll-interval '0.01' is shorter than 0.05s"),
        (["--poll-interval", "soon"], "--poll-interval 'soon' is not a duration"),
    ],
)
def test_a_bad_duration_is_exit_2_before_the_upload(
    cli, emulator: EmulatorHandle, talk: Path, flags: list[str], needle: str
) -> None:
    result = cli("run", str(talk), *flags)
    assert result.exit_code == 2
    assert needle in result.stderr and "1h30m" in result.stderr  # the examples of the syntax
    assert len(result.stderr.strip().splitlines()) == 1
    assert emulator.requests() == []


def test_config_durations_share_the_syntax(cli, emulator: EmulatorHandle, talk: Path) -> None:
    stored = cli("config", "set", "timeout", "1h30m")
    assert stored.exit_code == 0, stored.stderr
    assert cli("config", "get", "timeout").stdout == "5400\n"
    from stt_cli.core.config import config_file

    assert 'timeout = "1h30m"' in config_file().read_text(encoding="utf-8")  # kept as typed
    assert cli("run", str(talk)).exit_code == 0
    refused = cli("config", "set", "poll_interval", "fast")
    assert refused.exit_code == 2 and "is not a duration" in refused.stderr
    bad_env = cli("run", str(talk), env={"STT_TIMEOUT": "10q"})
    assert bad_env.exit_code == 2 and "$STT_TIMEOUT" in bad_env.stderr
