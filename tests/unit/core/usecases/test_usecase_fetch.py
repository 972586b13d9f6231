"""The fetch use case on fakes: results kept in the ledger, waits, jobs the service forgot, several ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import HOST, FakeConnector, FakeReporter, FakeService, Sleeps, transcript

from stt_cli.core.ledger import Ledger
from stt_cli.core.options import OutputOptions, WaitOptions
from stt_cli.core.usecases.fetch import fetch
from stt_cli.errors import ExitCode, JobFailed, StillPending
from stt_cli.formats.subtitle_options import SubtitleOptions

WAIT = WaitOptions(poll_interval=8.0, timeout=3600.0)


def _out(*formats: str, output: str | None = None, output_dir: Path | None = None) -> OutputOptions:
    return OutputOptions(formats or ("text",), output, output_dir, False, SubtitleOptions())


def _fetch(service: FakeService, ids: list[str], out: OutputOptions, reporter: FakeReporter, **options: object) -> int:
    params = {"no_wait": False, "refresh": False, "concurrency": 2, **options}
    return fetch(ids, out, WAIT, connect=FakeConnector(service), reporter=reporter, sleep=Sleeps(), **params)  # type: ignore[arg-type]


def _recorded(job_id: str, source: str = "/audio/talk.wav", result: dict | None = None) -> None:  # type: ignore[type-arg]
    with Ledger() as ledger:
        ledger.add(job_id, HOST, source, "#g1_whisper-large", {}, None, None, "processing")
        if result is not None:
            ledger.update(job_id, HOST, status="completed", result=result)


def test_a_kept_result_is_written_without_asking_the_service() -> None:
    service, reporter = FakeService(), FakeReporter()
    _recorded("job-1", result=transcript("kept words"))
    assert _fetch(service, ["job-1"], _out(), reporter) == ExitCode.OK
    assert reporter.stdout == ["kept words\n"]
    assert service.polls == []  # nothing was asked


def test_a_pending_job_is_polled_until_it_completes_and_the_ledger_keeps_it() -> None:
    service, reporter = FakeService(), FakeReporter()
    service.add("job-2", ["queued", "processing", "completed"], transcript("late words"))
    _recorded("job-2")
    assert _fetch(service, ["job-2"], _out("srt", output="talk.srt"), reporter) == ExitCode.OK
    assert service.polls == ["job-2"] * 3
    assert Path("talk.srt").read_text(encoding="utf-8").startswith("1\n00:00:00,000 --> ")
    [item] = reporter.items
    assert item.kinds() == ["fetching", "waiting", "status", "status", "status", "done"]
    with Ledger() as ledger:
        kept = ledger.get("job-2", HOST)
    assert kept is not None and kept.status == "completed" and kept.result == transcript("late words")


def test_no_wait_and_a_failed_job_raise_their_errors() -> None:
    service = FakeService()
    service.add("job-3", ["processing"])
    service.add("job-4", ["error"])
    with pytest.raises(StillPending) as pending:
        _fetch(service, ["job-3"], _out(), FakeReporter(), no_wait=True)
    assert pending.value.facts == {"job_id": "job-3", "later": True}
    with pytest.raises(JobFailed):
        _fetch(service, ["job-4"], _out(), FakeReporter())


def test_a_job_the_service_forgot_is_served_from_the_ledger_with_a_warning() -> None:
    service, reporter = FakeService(), FakeReporter()
    _recorded("job-5", result=transcript("still here"))
    assert _fetch(service, ["job-5"], _out(), reporter, refresh=True) == ExitCode.OK
    assert reporter.stdout == ["still here\n"]
    assert any("the ledger kept" in warning for warning in reporter.warnings)


def test_several_ids_are_a_batch_named_after_their_sources(tmp_path: Path) -> None:
    service, reporter = FakeService(), FakeReporter(records=True)
    _recorded("job-6", "/audio/one.wav", transcript("one"))
    _recorded("job-7", "/audio/two.wav", transcript("two"))
    code = _fetch(service, ["job-6", "job-7", "nosuch"], _out(output_dir=tmp_path / "out"), reporter)
    assert code == ExitCode.REJECTED  # the one failure's code: the service does not know nosuch
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["one.txt", "two.txt"]
    assert reporter.summary is not None and (reporter.summary.done, len(reporter.summary.failures)) == (2, 1)
    assert sorted(r["status"] for r in reporter.outcomes) == ["completed", "completed", "failed"]
