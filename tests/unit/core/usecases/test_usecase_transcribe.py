"""The run and submit use cases on fakes: the request sent, the wait, the files written, jobs reused."""

from __future__ import annotations

from pathlib import Path

from fakes import FakeConnector, FakeReporter, FakeService, Sleeps

from stt_cli.core.options import OutputOptions, Request, SourceOptions, WaitOptions
from stt_cli.core.usecases.transcribe import run, submit
from stt_cli.errors import ExitCode
from stt_cli.formats.subtitle_options import SubtitleOptions

WAIT = WaitOptions(poll_interval=8.0, timeout=3600.0)
LIMITS = SourceOptions(None, None, False, 4, False, False)
URL = "https://example.com/talk.mp3"


def _run(service: FakeService, sources: list[str], reporter: FakeReporter, **out: object) -> int:
    request = Request("#g1_whisper-large", {"diarize": True})
    options = OutputOptions(
        out.get("formats", ("text",)), out.get("output"), out.get("output_dir"), False, SubtitleOptions()
    )  # type: ignore[arg-type]
    sleeps = Sleeps()
    return run(sources, request, options, WAIT, LIMITS, connect=FakeConnector(service), reporter=reporter, sleep=sleeps)


def test_run_sends_the_request_waits_and_prints_the_transcript() -> None:
    service, reporter = FakeService(), FakeReporter()
    assert _run(service, [URL], reporter) == ExitCode.OK
    [create] = service.creates
    assert (create["kind"], create["model"], create["url"], create["diarize"]) == (
        "url",
        "#g1_whisper-large",
        URL,
        True,
    )
    assert reporter.stdout == ["hello there\n"]
    [item] = reporter.items
    assert item.kinds()[:3] == ["sent", "created", "waiting"] and item.kinds()[-1] == "done"


def test_a_second_run_of_the_same_work_reuses_the_job_and_asks_nothing() -> None:
    service = FakeService()
    assert _run(service, [URL], FakeReporter()) == ExitCode.OK
    polls = len(service.polls)
    again = FakeReporter()
    assert _run(service, [URL], again) == ExitCode.OK
    assert len(service.creates) == 1 and len(service.polls) == polls  # the ledger's result, reused
    assert again.stdout == ["hello there\n"] and again.items[0].kinds()[0] == "reused"


def test_a_batch_writes_a_file_a_source_and_reports_each_failure(tmp_path: Path) -> None:
    service, reporter = FakeService(), FakeReporter(records=True)
    service.next_statuses = ["error"]  # every job fails on the server
    code = _run(service, [URL, "https://example.com/b.mp3"], reporter, output_dir=tmp_path / "out")
    assert code == ExitCode.JOB_FAILED
    assert reporter.summary is not None and len(reporter.summary.failures) == 2
    assert [r["status"] for r in reporter.outcomes] == ["failed", "failed"]
    assert all(r["generation_id"] for r in reporter.outcomes)  # each failure keeps its job id


def test_submit_reports_each_job_as_soon_as_it_exists_and_waits_for_nothing() -> None:
    service, reporter = FakeService(), FakeReporter()
    request = Request("nova-3", {})
    code = submit(
        [URL, "https://example.com/b.mp3"], request, LIMITS, connect=FakeConnector(service), reporter=reporter
    )
    assert code == ExitCode.OK
    assert [job.generation_id for job in reporter.submitted_jobs] == ["job-0001", "job-0002"]
    assert [job.source for job in reporter.submitted_jobs] == [URL, "https://example.com/b.mp3"]
    assert service.polls == []
