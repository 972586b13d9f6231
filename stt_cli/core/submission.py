"""Getting the job for a source: the ledger's, one another stt is creating, or a new one (each create billed once)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from stt_cli.api.wire import OptionValue, form_fields
from stt_cli.core.settings import host_of
from stt_cli.core.sources import Prepared, content_type_for
from stt_cli.errors import (
    CHECK_BASE_URL,
    Interrupted,
    ServerError,
    SttError,
    local_minute,
)

if TYPE_CHECKING:
    from stt_cli.api.client import ApiClient, Created
    from stt_cli.core.ledger import JobRecord, Ledger
    from stt_cli.core.media import Once
    from stt_cli.core.reporter import ItemReporter


class Obtained(NamedTuple):
    """The job for a source: reused from the ledger (its record), or created now."""

    generation_id: str
    record: JobRecord | None = None

    @property
    def reused(self) -> bool:
        return self.record is not None


CLAIM_POLL = 0.2  # s between looks at the ledger while another stt creates the same job


def obtain(
    client: ApiClient,
    ledger: Ledger,
    prepared: Prepared,
    model: str,
    options: dict[str, OptionValue],
    hooks: ItemReporter,
    *,
    resubmit: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    once: Once | None = None,
) -> Obtained:
    """The job for this work: the ledger's, or the one another stt is creating right now, or a new one.

    The claim is written to the ledger before the upload starts, so a create that is interrupted or killed
    after its body went out is found by the next run, which sends the same Idempotency-Key again.
    """
    from stt_cli.core.ledger import Busy, Reuse, Work
    from stt_cli.errors import OutcomeUnknown

    host = host_of(client.base_url)
    work = Work(prepared.recorded, prepared.identity, model, dict(options), prepared.size, prepared.sha256)
    label = prepared.source.label
    waited = False
    while True:
        decision = ledger.claim(host, work, resubmit=resubmit)
        if isinstance(decision, Reuse):
            return Obtained(decision.record.id, decision.record)
        if not isinstance(decision, Busy):
            break
        if not waited:
            who = (
                "this batch" if decision.owner == ledger.owner else f"another stt (pid {decision.owner.split('-')[0]})"
            )
            hooks.note(f"{who} is creating the job for the same audio as {label}; waiting to use it")
            waited = True
        sleep(CLAIM_POLL)
    key = decision.idempotency_key
    if decision.resumed is not None:
        when = local_minute(decision.resumed.started_at)
        hooks.note(
            f"an earlier create of {label} ({when}) may have reached the service; sending it again with the same "
            f"Idempotency-Key {key}, so the service can answer with that job (--resubmit starts afresh)"
        )
    sent_whole = False

    def on_sent() -> None:
        nonlocal sent_whole
        sent_whole = True
        hooks.sent()

    what = f"{label} (sha256 {prepared.sha256})" if prepared.sha256 else label
    rerun = (
        f"run the same command again: it sends the same Idempotency-Key ({key}), so a service that honours it "
        "bills once; --resubmit starts afresh"
    )
    try:
        if prepared.path is None:
            created = client.create_from_url({"model": model, "url": prepared.source.raw, **options}, key, on_sent)
        else:
            created = _upload(client, prepared, model, options, key, hooks, on_sent, once)
    except OutcomeUnknown as exc:
        ledger.mark_unknown(key)
        raise OutcomeUnknown(
            f"{what}: {exc.message}; the ledger keeps this create", rerun, exc.idempotency_key
        ) from None
    except KeyboardInterrupt:
        if sent_whole or decision.resumed is not None:
            ledger.mark_unknown(key)
            raise Interrupted(
                f"interrupted after {what} was sent; the job may exist on the service (Idempotency-Key {key})", rerun
            ) from None
        ledger.release(key)
        raise Interrupted(f"interrupted while sending {label}; no job was created") from None
    except BaseException as exc:
        answered = getattr(exc, "server_answered", False)  # a 4xx or 5xx: the service made no job
        if decision.resumed is not None or (sent_whole and not answered):
            ledger.mark_unknown(key)  # an earlier try, or this one, may have made the job: keep the key
        else:
            ledger.release(key)
        raise
    if created.as_is and created.sha256 is not None and created.sha256 != prepared.sha256:  # changed since hashed
        hooks.note(f"{label} changed while it was read; the job is recorded for the bytes that were sent")
        work = work._replace(identity=f"sha256:{created.sha256}", sha256=created.sha256)
    try:
        other = ledger.record_created(key, created.generation_id, host, work)
    except SttError as exc:  # the job exists whatever the ledger says
        hooks.note(f"job {created.generation_id} is fine, but the ledger could not record it: {exc.message}")
        other = None
    if other is not None:
        raise ServerError(
            f"the service answered with job {created.generation_id} for {label}, an id it gave before for "
            f"{other}; stt keeps the first and did not use this one",
            f"{CHECK_BASE_URL}: this does not answer like the service",
        )
    return Obtained(created.generation_id)


def _upload(
    client: ApiClient,
    prepared: Prepared,
    model: str,
    options: dict[str, OptionValue],
    key: str,
    hooks: ItemReporter,
    on_sent: Callable[[], None],
    once: Once | None,
) -> Created:
    """The create of a local file under its --audio-prep: what preparation makes of it, else the file itself."""
    from stt_cli.api.client import UploadFile
    from stt_cli.core.media import Unreadable, sending, stopping, wants_channels

    assert prepared.path is not None
    fields = form_fields({"model": model, **options})
    field = upload_field(model)
    multichannel = wants_channels(options)
    with sending(prepared.path, prepared.upload_name, prepared.audio_prep, multichannel, hooks.note, once) as sent:
        upload = UploadFile(sent.path, sent.filename, sent.content_type, field, sent.live)
        total = None if sent.live is not None else sent.path.stat().st_size
        try:
            with hooks.uploading(total) as progress:
                created = client.create_from_file(upload, fields, key, progress, on_sent)
        except Unreadable as exc:  # ffmpeg gave up while the body was going out: it never ended, no job exists
            if stopping():  # it was stopped: the batch is cancelled
                raise Interrupted(f"interrupted while sending {prepared.source.label}; no job was created") from None
            hooks.note(f"{exc} ({prepared.source.label}); sending it as it is")
        else:
            if sent.plan is not None and sent.made is not None:
                how = "made while it was sent" if sent.live is not None else f"prepared in {sent.made.seconds:.1f} s"
                client.debug(
                    f"audio: {prepared.source.label}: {sent.plan.why}; sent {created.size or 0:,} of "
                    f"{prepared.size or 0:,} bytes, {how}"
                )
                if _changed(prepared):
                    hooks.note(f"{prepared.source.label} changed while it was prepared; the job is recorded for "
                               "the bytes hashed before")  # fmt: skip
            return created._replace(as_is=sent.plan is None or not sent.plan.changes)
    upload = UploadFile(prepared.path, prepared.upload_name, content_type_for(prepared.upload_name), field)
    with hooks.uploading(None) as progress:
        return client.create_from_file(upload, fields, key, progress, on_sent)


def _changed(prepared: Prepared) -> bool:
    """The source's size or time differ from when it was hashed (a recording still being written)."""
    assert prepared.path is not None
    try:
        info = prepared.path.stat()
    except OSError:
        return True
    return info.st_size != prepared.size or (prepared.mtime_ns is not None and info.st_mtime_ns != prepared.mtime_ns)


def upload_field(model_id: str) -> str:
    """The form field of the audio for this model (the catalogue's choice: `file` for gpt-4o, else `audio`)."""
    from stt_cli.api.catalogue import DEFAULT_UPLOAD_FIELD, model

    entry = model(model_id)
    return entry.upload_field if entry is not None else DEFAULT_UPLOAD_FIELD
