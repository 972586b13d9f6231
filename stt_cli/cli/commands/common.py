"""What the commands share: resolving the connection, opening the ledger, choosing the job, writing results."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from stt_cli.cli import output
from stt_cli.core.credentials import mask
from stt_cli.core.ledger import Ledger, keep_in_ledger
from stt_cli.core.settings import host_of, require_key, resolve_base_url, validate_base_url
from stt_cli.errors import SttError, UsageError, path_word

if TYPE_CHECKING:
    from stt_cli.api.client import ApiClient
    from stt_cli.core.plan import ConnectionOptions, OutputOptions, WaitOptions


class Session(NamedTuple):
    client: ApiClient
    ledger: Ledger
    host: str


def resolve_connection(conn: ConnectionOptions) -> tuple[str, str]:
    """The base URL and key, checked before anything is read or sent."""
    resolved = resolve_base_url(conn.base_url)
    base_url = validate_base_url(resolved)
    key = require_key(conn.api_key)
    output.debug(f"base URL {base_url} (from {resolved.source}); key {mask(key.value)} (from {key.source})")
    return base_url, key.value


@contextmanager
def session(base_url: str, key: str) -> Iterator[Session]:
    from stt_cli.api.client import ApiClient
    from stt_cli.cli.main import started
    from stt_cli.core.files import sweep_temp_files
    from stt_cli.core.sources import spool_dir

    ledger = Ledger()
    client = ApiClient(base_url, key, log=output.debug if output.verbosity() >= output.VERBOSE else None)
    sweep_temp_files(spool_dir())  # stdin spools of killed runs (a missing directory costs one failed listdir)
    started()
    try:
        yield Session(client, ledger, host_of(base_url))
    finally:
        client.close()
        ledger.close()


def resolve_job_id(job_id: str | None, ledger: Ledger, host: str) -> str:
    """The id given (checked: it goes into a URL and a file name), or the newest job of the ledger."""
    from stt_cli.api.client import quote_id

    if job_id:
        job_id = job_id.strip()
        quote_id(job_id)
        return job_id
    latest = ledger.latest(host)
    if latest is None:
        raise UsageError(f"no job recorded for {host} on this machine yet", "pass a job id, or submit one first")
    return latest.id


def write_result(sess: Session, job_id: str, target: Path | None, text: str, *, force: bool) -> bool:
    """The rendered result to stdout or its file; True when the file already held exactly this text.

    An existing file is replaced only with --force; without it, a file that already holds this very text
    (a re-run of the same job) counts as written, and one that differs is refused.
    """
    from stt_cli.core.files import is_special, write_failure, write_output
    from stt_cli.errors import command_line

    if target is None:
        output.data(text)
        return False
    data = text.encode("utf-8")
    if not force and target.exists() and not is_special(target):
        try:
            same = target.read_bytes() == data
        except OSError:
            same = False
        if same:
            return True
        raise UsageError(
            f"the output file {target} already exists and differs from the result of job {job_id}",
            "pass --force to replace it, or write elsewhere: "
            + command_line("stt", "fetch", "-o", path_word(f"{target}.new"), job_id),
        )
    try:
        write_output(target, data)
    except OSError as exc:
        again = command_line("stt", "fetch", "-o", path_word(target), job_id)
        raise write_failure(exc, target, f"free some space or pick another path, then: {again}") from None
    if not is_special(target):
        keep_in_ledger(job_id, sess.ledger.update, job_id, sess.host, output=str(target.resolve()))
    return False


def wait_visibly(
    sess: Session,
    job_id: str,
    waiting: WaitOptions,
    view: Any,
    *,
    no_wait: bool = False,
    fresh: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Wait for a job, the view showing it (a spinner on a terminal, or a batch row), returning its payload."""
    from stt_cli.core.waiting import wait

    with view.waiting(job_id) as on_status:
        return wait(
            sess.client,
            sess.ledger,
            job_id,
            timeout=waiting.timeout,
            poll_interval=waiting.poll_interval,
            no_wait=no_wait,
            on_status=on_status,
            sleep=sleep,
            fresh=fresh,
        )


def render_payload(payload: dict[str, Any], out: OutputOptions, job_id: str) -> str:
    from stt_cli.errors import command_line
    from stt_cli.formats.render import render
    from stt_cli.formats.transcript import UnknownShape

    try:
        text, warnings = render(payload, out.format, out.subtitles)
    except SttError as exc:
        kept = (
            command_line("stt", "fetch", "-f", "json", job_id)
            if isinstance(exc, UnknownShape)
            else command_line("stt", "fetch", "-f", "text", job_id)
        )
        hint = f"{exc.hint}; " if exc.hint else ""
        raise type(exc)(exc.message, f"{hint}the result is kept: {kept}") from None
    for warning in warnings:
        output.warn(warning)
    return text
