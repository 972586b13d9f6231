"""What the commands share: resolving the connection, opening the ledger, choosing the job, writing results."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from stt_cli import output
from stt_cli.config import host_of, resolve_base_url, validate_base_url
from stt_cli.credentials import mask, require_key
from stt_cli.errors import UsageError
from stt_cli.ledger import Ledger

if TYPE_CHECKING:
    from stt_cli.client import ApiClient
    from stt_cli.options import ConnectionOptions, WaitOptions
    from stt_cli.options.output import OutputOptions


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
    from stt_cli.client import ApiClient
    from stt_cli.entry import started

    ledger = Ledger()
    client = ApiClient(base_url, key, log=output.debug if output.verbosity() >= output.VERBOSE else None)
    started()
    try:
        yield Session(client, ledger, host_of(base_url))
    finally:
        client.close()
        ledger.close()


def resolve_job_id(job_id: str | None, ledger: Ledger, host: str) -> str:
    if job_id:
        return job_id.strip()
    latest = ledger.latest(host)
    if latest is None:
        raise UsageError(f"no job recorded for {host} on this machine yet", "pass a job id, or submit one first")
    return latest.id


def output_targets(out: OutputOptions, stems: list[str], *, skip_existing: bool = False) -> list[Path | None]:
    """Where each result goes (None: stdout), checked before anything is uploaded.

    One result goes to stdout unless -o or --output-dir says otherwise; several go to --output-dir (default:
    here) as <stem>.<ext>, made unique. An existing file is refused without --force.
    """
    from stt_cli.formats.render import EXTENSIONS
    from stt_cli.fsutil import check_output_path

    if len(stems) > 1 and out.output not in (None, "-"):
        raise UsageError(f"-o names one file but {len(stems)} sources were given", "use --output-dir DIR instead")
    if len(stems) > 1 and out.output == "-":
        raise UsageError("-o - (stdout) takes a single source", "use --output-dir DIR for several")
    if out.output is not None and out.output_dir is not None:
        raise UsageError("-o and --output-dir cannot be used together", "pick one")
    if len(stems) == 1 and out.output_dir is None:
        if out.output is None or out.output == "-":
            return [None]
        path = Path(out.output).expanduser()
        check_output_path(path, force=out.force or (skip_existing and path.exists()))
        return [path]
    directory = out.output_dir or Path(".")
    if not directory.is_dir():
        raise UsageError(f"the output directory {directory} does not exist", f"create it first: mkdir -p {directory}")
    targets: list[Path | None] = []
    taken: set[str] = set()
    for stem in stems:
        name = f"{stem}.{EXTENSIONS[out.format]}"
        n = 1
        while name in taken:
            n += 1
            name = f"{stem}-{n}.{EXTENSIONS[out.format]}"
        taken.add(name)
        path = directory / name
        check_output_path(path, force=out.force or (skip_existing and path.exists()))
        targets.append(path)
    return targets


def deliver(text: str, target: Path | None) -> None:
    if target is None:
        output.data(text)
    else:
        output.write_file(target, text)
        output.info(f"wrote {target}")


def wait_visibly(sess: Session, job_id: str, waiting: WaitOptions, *, no_wait: bool = False) -> dict[str, Any]:
    """Wait for a job with the spinner on stderr (on a terminal), returning its payload."""
    from stt_cli.jobs import wait

    with output.Waiter(job_id) as waiter:
        return wait(
            sess.client,
            sess.ledger,
            job_id,
            timeout=waiting.timeout,
            poll_interval=waiting.poll_interval,
            no_wait=no_wait,
            on_status=lambda state: waiter.update(state.status.shown),
        )


def render_payload(payload: dict[str, Any], out: OutputOptions, job_id: str) -> str:
    from stt_cli.formats.render import render

    try:
        text, warnings = render(payload, out.format, out.subtitles)
    except UsageError as exc:
        raise UsageError(exc.message, f"{exc.hint}; the result is kept: stt fetch {job_id} -f text") from None
    for warning in warnings:
        output.warn(warning)
    return text
