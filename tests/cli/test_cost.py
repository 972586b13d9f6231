"""What each job cost, traced end to end at the wire: X-Client-Request-Id on every create (the same on each retry
and on the re-run that resends a create cut off), the emulator's x-inference-id and cost headers read into the
ledger, and shown by a batch's summary, the --json records, `stt jobs` and `stt jobs --total`."""

from __future__ import annotations

import json
import math
import re
import sqlite3
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle, big_file, recordings, write_wav
from hostile import Conn, HostileServer, Request, sample_result

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _jobs(cli: Any, *args: str) -> list[dict[str, Any]]:
    result = cli("jobs", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _billed(seconds: float, price: str = "0.0001") -> tuple[int, float]:
    """What the emulator charges: whole seconds, rounded up, at its price; 2,000,000 credits a dollar."""
    usd = Decimal(price) * math.ceil(Decimal(str(seconds)))
    return int(usd * 2_000_000), float(usd)


# --- The request id ----------------------------------------------------------------------------------------
def test_every_create_carries_a_client_request_id_the_ledger_keeps(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.fault("create", {"status": 503}, {"status": 429})
    result = cli("submit", str(talk))
    assert result.exit_code == 0, result.stderr
    creates = emulator.creates()
    assert [c["outcome"] for c in creates] == ["fault", "fault", "created"]
    ids = {c["client_request_id"] for c in creates}
    assert len(ids) == 1  # the retries of one create carry the same X-Client-Request-Id...
    [sent] = ids
    assert UUID.fullmatch(sent) and sent == creates[0]["idempotency_key"]  # ...and the same Idempotency-Key
    [job] = _jobs(cli)
    assert job["client_request_id"] == sent and job["generation_id"] == result.stdout.strip()
    again = cli("submit", str(talk), "--resubmit")  # another logical create: another id
    assert emulator.creates()[-1]["client_request_id"] not in (None, sent)
    assert again.exit_code == 0


def test_a_create_cut_off_is_resent_with_the_same_client_request_id(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    big = big_file(tmp_path / "notes.bin", 9)
    emulator.fault("create", {"action": "close"})
    assert cli("submit", str(big)).exit_code == 5
    again = cli("submit", str(big))
    assert again.exit_code == 0, again.stderr
    first, second = emulator.creates()
    assert first["client_request_id"] == second["client_request_id"] == first["idempotency_key"]
    assert _jobs(cli)[0]["client_request_id"] == first["client_request_id"]


def test_the_emulator_echoes_a_valid_client_request_id_and_names_the_inference(emulator: EmulatorHandle) -> None:
    def create(request_id: str) -> tuple[dict[str, Any], Any]:
        request = urllib.request.Request(
            emulator.base_url + "/stt/create",
            method="POST",
            data=json.dumps({"model": "#g1_whisper-large", "url": "https://x/a.wav"}).encode(),
            headers={"Authorization": "Bearer k", "Content-Type": "application/json",
                     "X-Client-Request-Id": request_id},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read()), response.headers

    body, headers = create("order-8f21c4")
    assert headers["x-client-request-id"] == "order-8f21c4"
    assert headers["x-inference-id"] == body["generation_id"]
    assert headers["x-aimlapi-credits-used"] == "6000" and headers["x-aimlapi-usd-spent"] == "0.003000000"  # 30 s
    _, dropped = create("not valid!")  # outside the alphabet: silently dropped, the request still runs
    assert dropped["x-client-request-id"] is None and dropped["x-inference-id"]
    with urllib.request.urlopen(
        urllib.request.Request(
            emulator.base_url + "/stt/" + body["generation_id"], headers={"Authorization": "Bearer k"}
        ),
        timeout=5,
    ) as polled:
        assert polled.headers["x-inference-id"] == body["generation_id"]
        assert polled.headers["x-aimlapi-usd-spent"] == "0.003000000"  # the job's one charge, repeated


# --- The cost, per job and per run --------------------------------------------------------------------------
def test_a_batch_of_20_prints_its_total_cost_and_each_job_keeps_its_own(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    files = [write_wav(tmp_path / "in" / f"{n:02d}.wav", 0.5 + n / 10, tone=n) for n in range(20)]
    result = cli("run", *map(str, files), "--output-dir", str(tmp_path / "out"), "--json")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    durations = {c["generation_id"]: c["duration"] for c in emulator.creates()}
    expected = {job: _billed(seconds) for job, seconds in durations.items()}
    assert len(records) == 20 and {r["generation_id"] for r in records} == set(expected)
    for r in records:  # each run record carries its job's cost as the emulator said it
        assert (r["credits"], r["usd"]) == pytest.approx(expected[r["generation_id"]])
    credits = sum(c for c, _ in expected.values())
    usd = sum(Decimal(str(u)) for _, u in expected.values())
    summary = [line for line in result.stderr.splitlines() if line.startswith("20 jobs,")]
    assert summary == [f"20 jobs, {round(sum(durations.values()))} s of audio, {credits:,} credits, ${usd}"]
    jobs = _jobs(cli)
    assert len(jobs) == 20
    for job in jobs:
        assert (job["credits"], job["usd"]) == pytest.approx(expected[job["generation_id"]])
        assert job["inference_id"] == job["generation_id"]
    table = cli("jobs", "-n", "3").stdout.splitlines()
    assert table[0].split()[-1] == "COST" and all(row.split()[-1].startswith("$0.0") for row in table[1:])
    total = cli("jobs", "--since", "7d", "--total")
    host = emulator.base_url.split("/")[2]
    assert total.exit_code == 0 and total.stdout.startswith(f"{host} in the last 7d: 20 jobs, ")
    assert f"{credits:,} credits, ${usd}" in total.stdout
    [as_json] = [json.loads(line) for line in cli("jobs", "--total", "--json").stdout.splitlines()]
    assert (as_json["jobs"], as_json["credits"], as_json["usd"]) == (20, credits, pytest.approx(float(usd)))
    assert cli("jobs", "--since", "7d", "--total", "--refresh").exit_code == 2


def test_a_batch_s_total_counts_what_the_service_charged_for_a_job_that_failed(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    files = [write_wav(tmp_path / f"{n}.wav", 1.5 + n, tone=n) for n in range(3)]
    emulator.next_job(fail="Audio could not be decoded")
    result = cli("run", *map(str, files), "--output-dir", str(tmp_path / "out"))
    assert result.exit_code != 0
    charged = {c["generation_id"]: _billed(c["duration"]) for c in emulator.creates()}
    assert len(charged) == 3
    credits = sum(c for c, _ in charged.values())
    usd = sum(Decimal(str(u)) for _, u in charged.values())
    assert "3 jobs, " in result.stderr and f"{credits:,} credits, ${usd}" in result.stderr
    total = cli("jobs", "--total")
    assert "3 jobs, " in total.stdout and f"{credits:,} credits, ${usd}" in total.stdout  # the same run, the same sum


@pytest.mark.parametrize("charge_on", ["create", "completed"])
def test_the_cost_on_the_create_or_only_on_the_completed_poll_is_the_same_cost(
    cli, emulator: EmulatorHandle, talk: Path, charge_on: str
) -> None:
    emulator.next_job(charge_on=charge_on)
    result = cli("run", str(talk), "--json", "-o", "t.txt")
    assert result.exit_code == 0, result.stderr
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    [create] = emulator.creates()
    assert (record["credits"], record["usd"]) == pytest.approx(_billed(create["duration"]))
    assert _jobs(cli)[0]["usd"] == record["usd"]


def test_a_job_the_service_said_nothing_of_shows_no_cost(cli, hostile: HostileServer, talk: Path) -> None:
    result = cli("run", str(talk), "--json", "-o", "t.txt")
    assert result.exit_code == 0, result.stderr
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["credits"] is None and record["usd"] is None
    assert "COST" not in cli("jobs").stdout  # no column where no job has a cost
    assert "credits" not in cli("jobs", "--total").stdout


def test_jobs_since_lists_only_the_recent_ones(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("submit", str(talk)).exit_code == 0
    ledger = Path(__import__("os").environ["STT_DATA_DIR"]) / "ledger.sqlite3"
    db = sqlite3.connect(ledger)
    db.execute("UPDATE jobs SET created_at = created_at - 10 * 86400")
    db.commit()
    db.close()
    assert cli("submit", "https://example.com/x.mp3").exit_code == 0
    assert [j["source"] for j in _jobs(cli, "--since", "7d")] == ["https://example.com/x.mp3"]
    assert len(_jobs(cli)) == 2
    assert cli("jobs", "--since", "soon").exit_code == 2


# --- Figures that are no charge ----------------------------------------------------------------------------
BAD_FIGURES = ["1e309", "-5", "NaN", "9" * 10_000]


@pytest.mark.parametrize("figure", BAD_FIGURES, ids=["1e309", "-5", "NaN", "10KB"])
def test_a_hostile_cost_header_changes_nothing_but_a_verbose_note(
    cli, hostile: HostileServer, talk: Path, figure: str
) -> None:
    def create(request: Request, conn: Conn) -> None:
        conn.answer({"generation_id": "job-1"}, headers={"x-aimlapi-usd-spent": figure, "x-inference-id": "job-1"})

    def poll(request: Request, conn: Conn) -> None:
        conn.answer({"status": "completed", "result": sample_result()},
                    headers={"x-aimlapi-usd-spent": figure, "x-aimlapi-credits-used": figure})  # fmt: skip

    hostile.on_create, hostile.on_poll = create, poll
    quiet = cli("run", str(talk), "--json", "-o", "a.txt")
    assert quiet.exit_code == 0, quiet.stderr
    assert "x-aimlapi" not in quiet.stderr  # without -v, not a word
    [record] = [json.loads(line) for line in quiet.stdout.splitlines()]
    assert record["credits"] is None and record["usd"] is None
    assert Path("a.txt").read_text() == "hello world\n"
    [job] = _jobs(cli)
    assert (job["credits"], job["usd"], job["inference_id"]) == (None, None, "job-1")
    verbose = cli("-v", "run", str(talk), "--resubmit", "-o", "b.txt")
    assert verbose.exit_code == 0 and Path("b.txt").read_text() == "hello world\n"
    notes = [line for line in verbose.stderr.splitlines() if "ignored x-aimlapi" in line]
    assert notes and all(len(line) < 300 for line in notes)  # said, bounded
    assert "x-aimlapi-usd-spent" in verbose.stderr and "Traceback" not in verbose.stderr


def test_an_inference_id_other_than_the_jobs_is_noted_and_the_job_keeps_its_id(
    cli, hostile: HostileServer, talk: Path
) -> None:
    hostile.on_create = lambda request, conn: conn.answer(
        {"generation_id": "job-1"}, headers={"x-inference-id": "other-2", "x-aimlapi-credits-used": "40"}
    )
    result = cli("-v", "submit", str(talk))
    assert result.exit_code == 0 and result.stdout.strip() == "job-1"
    assert "names inference id other-2" in result.stderr
    [job] = _jobs(cli)
    assert (job["generation_id"], job["inference_id"], job["credits"]) == ("job-1", "other-2", 40)


def test_a_reused_job_is_counted_once_and_said_to_be_billed_before(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    a, b = recordings(tmp_path / "in", 2)
    (tmp_path / "in" / "copy.wav").write_bytes(a.read_bytes())  # the same audio: one job
    first = cli("run", str(a), str(tmp_path / "in" / "copy.wav"), "--output-dir", str(tmp_path / "one"))
    assert first.exit_code == 0, first.stderr
    assert re.search(r"^1 job, .* credits, \$", first.stderr, re.MULTILINE), first.stderr
    again = cli("run", str(a), str(b), "--output-dir", str(tmp_path / "two"))
    assert again.exit_code == 0, again.stderr
    assert "2 jobs, " in again.stderr and "; 1 reused from earlier runs, billed then" in again.stderr
