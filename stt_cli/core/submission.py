"""Getting the job for a source: the ledger's, one another stt is creating, or a new one (each create billed once).

The ledger matches work by the sha256 of the source's bytes. A file is hashed before its upload where the ledger
needs the hash first: it is small (hashing first costs next to nothing), it is converted (the upload hashes what
it sends, not the source), or the ledger holds a job or a create of its size (a job may be reused or a create
resumed, which must be known before anything is sent). Else the file is read once: hashed as it goes up, and its
claim written before the body's last byte, when the hash is known. A claim that finds the work known (a job, or
another stt creating it right now) stops the body short of its last byte, so the service makes no job, and the
work goes on as if the hash had come first: each job is still created once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from stt_cli.api.catalogue import DEFAULT_UPLOAD_FIELD, model
from stt_cli.api.client import UploadFile
from stt_cli.api.wire import OptionValue, form_fields
from stt_cli.core.ledger import Busy, Claimed, JobRecord, Ledger, Reuse, Work
from stt_cli.core.media.ffmpeg import Unreadable, stopping
from stt_cli.core.media.policy import wants_channels
from stt_cli.core.media.upload import content_type_for, first_look, sending
from stt_cli.core.settings import host_of
from stt_cli.core.sources import Identities, Prepared, hashed
from stt_cli.errors import (
    Fix,
    Interrupted,
    OutcomeUnknown,
    ServerError,
    SttError,
    UsageError,
    local_minute,
)

if TYPE_CHECKING:
    from stt_cli.api.client import ApiClient, Created
    from stt_cli.core.media.policy import Plan
    from stt_cli.core.media.upload import Once
    from stt_cli.core.reporter import ItemReporter

# A file under this size is hashed before it is sent: sha256 reads 8 MiB in about 10 ms (800 MB/s on the 2-core
# machine of the benchmarks), and a create stopped before its last byte, which hashing as it is sent may need,
# would cost a whole upload.
HASH_FIRST_BELOW = 8 * 1024 * 1024


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
    identities: Identities | None = None,
) -> Obtained:
    """The job for this work: the ledger's, or the one another stt is creating right now, or a new one (a file
    hashed through this run's `identities`, so a file planning hashed already is not read again).

    The claim is written to the ledger before the upload's last byte goes out, so a create that is interrupted
    or killed after its body went out is found by the next run, which sends the same Idempotency-Key again.
    """
    host = host_of(client.base_url)
    decision: Reuse | Busy | Claimed | None = None
    if (glance := _hashed_as_sent(ledger, host, prepared, resubmit)) is not None:
        outcome = _create_unhashed(client, ledger, host, prepared, model, options, hooks, resubmit, glance)
        if isinstance(outcome, Obtained):
            return outcome
        prepared, decision = outcome  # stopped before its last byte: the hash and the ledger's answer in hand
    else:
        prepared = hashed(prepared, identities)
    work = _work(prepared, model, options)
    decision = _claim(ledger, host, work, decision, prepared.source.label, hooks, resubmit, sleep)
    if isinstance(decision, Reuse):
        return Obtained(decision.record.id, decision.record)
    key = decision.idempotency_key
    if decision.resumed is not None:
        when = local_minute(decision.resumed.started_at)
        hooks.note(
            f"an earlier create of {prepared.source.label} ({when}) may have reached the service; sending it again "
            f"with the same Idempotency-Key {key}, so the service can answer with that job "
            "({opt:resubmit} starts afresh)"
        )
    created = _create(client, ledger, prepared, model, options, hooks, key, decision.resumed is not None, once)
    if created.as_is and created.sha256 is not None and created.sha256 != prepared.sha256:  # changed since hashed
        hooks.note(f"{prepared.source.label} changed while it was read; the job is recorded for the bytes that were "
                   "sent")  # fmt: skip
        work = work._replace(identity=f"sha256:{created.sha256}", sha256=created.sha256)
    elif not created.as_is and _changed(prepared):
        # What was sent was made from the file while it changed: neither the hash taken before nor one taken now
        # says what the job heard, so the job is kept under a name no later run can match.
        hooks.note(f"{prepared.source.label} changed while it was prepared; its job is not reused by a later run")
        work = work._replace(identity=f"changed:{key}", sha256=None)
    return _settle(ledger, host, key, created, work, prepared.source.label, hooks)


def _work(prepared: Prepared, model: str, options: dict[str, OptionValue]) -> Work:
    assert prepared.identity is not None
    return Work(prepared.recorded, prepared.identity, model, dict(options), prepared.size, prepared.sha256)


def _claim(
    ledger: Ledger,
    host: str,
    work: Work,
    decision: Reuse | Busy | Claimed | None,
    label: str,
    hooks: ItemReporter,
    resubmit: bool,
    sleep: Callable[[float], None],
) -> Reuse | Claimed:
    """The ledger's job for this work, or a claim to create it, waiting while another stt (or another worker
    of this batch) creates it; `decision` is the ledger's answer already in hand, if any."""
    waited = False
    while True:
        if decision is None:
            decision = ledger.claim(host, work, resubmit=resubmit)
        if not isinstance(decision, Busy):
            return decision
        if not waited:
            owner = decision.owner
            who = "this batch" if owner == ledger.owner else f"another stt (pid {owner.split('-')[0]})"
            hooks.note(f"{who} is creating the job for the same audio as {label}; waiting to use it")
            waited = True
        sleep(CLAIM_POLL)
        decision = None


def _hashed_as_sent(ledger: Ledger, host: str, prepared: Prepared, resubmit: bool) -> Plan | None:
    """The plan that sends this file as it is, when it is hashed as it is sent rather than first (see the
    module's docstring); else None."""
    if prepared.path is None or prepared.identity is not None or (prepared.size or 0) < HASH_FIRST_BELOW:
        return None  # a URL, stdin (hashed as it was spooled), a file hashed already, or a small one
    glance = first_look(prepared.path, prepared.audio_prep)
    if glance is None:
        return None  # it may be converted: the bytes sent would not be the source's
    return glance if resubmit or not ledger.knows_size(host, prepared.size or 0) else None


class _Withdrawn(Exception):
    """The create of a file hashed as it was sent stopped before its last byte: the ledger knows the work."""


class _Gate:
    """The claim of a file hashed as it is sent, made when its sha256 is known and its last byte not yet sent.

    Claimed under the Idempotency-Key the upload carries: the body goes on. Anything else (a job for the same
    audio, another stt creating it, an earlier create to resume under its own key): the body stops, and the
    ledger's answer is kept for the caller. A retry of the same request claims nothing again.
    """

    def __init__(
        self, ledger: Ledger, host: str, prepared: Prepared, model: str, options: dict[str, OptionValue], key: str,
        resubmit: bool, plan: Plan,
    ) -> None:  # fmt: skip
        self.ledger, self.host, self.key, self.resubmit = ledger, host, key, resubmit
        self.plan = plan  # the first look's: the file goes as it is
        self.model, self.options = model, options
        self.prepared = prepared
        self.claimed: str | None = None  # the sha256 claimed
        self.decision: Reuse | Busy | Claimed | None = None

    def __call__(self, sha256: str) -> None:
        if self.claimed is not None:  # a retry of the request: the same bytes, or a file being rewritten
            if sha256 != self.claimed:
                raise UsageError(f"{self.prepared.source.raw} changed while it was being uploaded",
                                 "upload it again once it is complete")  # fmt: skip
            return
        # Sent as it is, so never compact audio: the identity is the bytes' own.
        self.prepared = self.prepared._replace(identity=f"sha256:{sha256}", sha256=sha256)
        decision = self.ledger.claim(self.host, self.work, resubmit=self.resubmit, idempotency_key=self.key)
        if isinstance(decision, Claimed) and decision.resumed is None and decision.idempotency_key == self.key:
            self.claimed = sha256
            return
        self.decision = decision
        raise _Withdrawn

    @property
    def work(self) -> Work:
        return _work(self.prepared, self.model, self.options)


def _create_unhashed(
    client: ApiClient,
    ledger: Ledger,
    host: str,
    prepared: Prepared,
    model: str,
    options: dict[str, OptionValue],
    hooks: ItemReporter,
    resubmit: bool,
    plan: Plan,
) -> Obtained | tuple[Prepared, Reuse | Busy | Claimed]:
    """A file sent as it is and hashed as it goes, its claim made before its last byte: the job, or (stopped
    short) the hashed source and the ledger's answer, for the caller to go on with."""
    key = str(uuid.uuid4())
    gate = _Gate(ledger, host, prepared, model, options, key, resubmit, plan)
    try:
        created = _create(client, ledger, prepared, model, options, hooks, key, False, None, gate)
    except _Withdrawn:
        assert gate.decision is not None
        return gate.prepared, gate.decision
    return _settle(ledger, host, key, created, gate.work, prepared.source.label, hooks)


def _create(
    client: ApiClient,
    ledger: Ledger,
    prepared: Prepared,
    model: str,
    options: dict[str, OptionValue],
    hooks: ItemReporter,
    key: str,
    resumed: bool,
    once: Once | None,
    gate: _Gate | None = None,
) -> Created:
    """The create request, its claim kept or dropped by how far it got: released when no job can exist (the
    body never went out whole, or the server said no), kept as unknown when one may."""

    label = prepared.source.label
    sent_whole = False

    def on_sent() -> None:
        nonlocal sent_whole
        sent_whole = True
        hooks.sent()

    def what() -> str:  # the sha256 of a file hashed as it is sent is known once its claim is written
        sha256 = gate.prepared.sha256 if gate is not None else prepared.sha256
        return f"{label} (sha256 {sha256})" if sha256 else label

    rerun = (
        f"run the same command again: it sends the same Idempotency-Key ({key}), so a service that honours it "
        "bills once; {opt:resubmit} starts afresh"
    )
    try:
        if prepared.path is None:
            return client.create_from_url({"model": model, "url": prepared.source.raw, **options}, key, on_sent)
        return _upload(client, prepared, model, options, key, hooks, on_sent, once, gate)
    except OutcomeUnknown as exc:
        ledger.mark_unknown(key)
        raise OutcomeUnknown(
            f"{what()}: {exc.message}; the ledger keeps this create", rerun, exc.idempotency_key
        ) from None
    except KeyboardInterrupt:
        if sent_whole or resumed:
            ledger.mark_unknown(key)
            raise Interrupted(
                f"interrupted after {what()} was sent; the job may exist on the service (Idempotency-Key {key})", rerun
            ) from None
        ledger.release(key)
        raise Interrupted(f"interrupted while sending {label}; no job was created") from None
    except BaseException as exc:
        answered = getattr(exc, "server_answered", False)  # a 4xx or 5xx: the service made no job
        if resumed or (sent_whole and not answered):
            ledger.mark_unknown(key)  # an earlier try, or this one, may have made the job: keep the key
        else:
            ledger.release(key)
        raise


def _settle(ledger: Ledger, host: str, key: str, created: Created, work: Work, label: str,
            hooks: ItemReporter) -> Obtained:  # fmt: skip
    """The new job recorded in the ledger and its claim dropped; an id the ledger holds for other work refused."""
    try:
        other = ledger.record_created(key, created.generation_id, host, work, created.charge)
    except SttError as exc:  # the job exists whatever the ledger says
        hooks.note(f"job {created.generation_id} is fine, but the ledger could not record it: {exc.message}")
        other = None
    if other is not None:
        raise ServerError(
            f"the service answered with job {created.generation_id} for {label}, an id it gave before for "
            f"{other}; stt keeps the first and did not use this one",
            fix=Fix.NOT_THE_SERVICE,
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
    gate: _Gate | None = None,
) -> Created:
    """The create of a local file under its --audio-prep: what preparation makes of it, else the file itself.
    With a `gate`, the file goes as it is (its first look said nothing would be made), hashed as it is sent."""

    assert prepared.path is not None
    fields = form_fields({"model": model, **options})
    field = upload_field(model)
    as_is = UploadFile(prepared.path, prepared.upload_name, content_type_for(prepared.upload_name), field)
    if gate is not None:
        with hooks.uploading(prepared.size) as progress:
            created = client.create_from_file(as_is, fields, key, progress, on_sent, on_hashed=gate)
        client.debug(f"audio: {prepared.source.label}: {gate.plan.why}; hashed as it was sent")
        return created
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
            if sent.made is None:
                client.debug(f"audio: {prepared.source.label}: {sent.plan.why}")
            else:
                how = "made while it was sent" if sent.live is not None else f"prepared in {sent.made.seconds:.1f} s"
                client.debug(
                    f"audio: {prepared.source.label}: {sent.plan.why}; sent {created.size or 0:,} of "
                    f"{prepared.size or 0:,} bytes, {how}"
                )
            return created._replace(as_is=sent.made is None)
    with hooks.uploading(None) as progress:
        return client.create_from_file(as_is, fields, key, progress, on_sent)


def _changed(prepared: Prepared) -> bool:
    """The source is no longer the file that was hashed: another inode, size, modification or change time (a
    recording still being written, or a file rewritten and put back while it was prepared)."""
    from stt_cli.core.files import unchanged_key  # lazy for start-up: stt run --help

    assert prepared.path is not None
    try:
        return prepared.stamp is None or unchanged_key(prepared.path) != prepared.stamp
    except OSError:
        return True


def upload_field(model_id: str) -> str:
    """The form field of the audio for this model (the catalogue's choice: `file` for gpt-4o, else `audio`)."""

    entry = model(model_id)
    return entry.upload_field if entry is not None else DEFAULT_UPLOAD_FIELD
