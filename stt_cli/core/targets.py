"""Where each result goes, decided and checked before anything is uploaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from stt_cli.core.config import user_path
from stt_cli.core.files import check_output_options, check_output_path, is_special, is_stdout, safe_name
from stt_cli.core.sources import Source, recorded_source
from stt_cli.errors import Fix, UsageError
from stt_cli.formats.registry import per_format

if TYPE_CHECKING:
    from stt_cli.core.ledger import Ledger, OutputRecord
    from stt_cli.core.options import OutputOptions


class Named(NamedTuple):
    """What a result's file is named after: its source as the ledger records it (resolved path, URL, "stdin"),
    and the stem a new file name starts from."""

    key: str
    stem: str


def named_after(source: Source) -> Named:
    return Named(recorded_source(source), source.stem)


def named_after_record(recorded: str) -> Named:
    """A job's source as the ledger recorded it, named as run names that source's files."""

    if recorded == "stdin":
        return Named(recorded, "stdin")
    if recorded.lower().startswith(("http://", "https://")):
        return Named(recorded, Path(urlsplit(recorded).path).stem or "transcript")
    return Named(recorded, Path(recorded).stem or "transcript")


class Target(NamedTuple):
    """Where one result goes (None: stdout), and what is there already."""

    path: Path | None
    skip: str | None = None  # why this source is skipped (--skip-existing), or None
    ours: bool = False  # it exists, and the ledger says stt wrote it from the job this run would reuse


def plan_targets(
    sources: list[Named],
    extension: str,
    *,
    output: str | None,
    output_dir: Path | None,
    force: bool,
    skip_existing: bool,
    ledger: Ledger,
    reusable: Callable[[int], str | None],
) -> list[Target]:
    """Where each result goes, checked before anything is uploaded.

    One result goes to stdout unless -o or --output-dir says otherwise; several go to --output-dir (default:
    here) as <stem>.<ext>. A name the ledger recorded for a source is that source's again, so names stay the
    same from run to run; a name recorded for another source is never taken. An existing file is refused
    without --force, unless it holds the result of the very job this run would reuse (a re-run finds it done)
    or --skip-existing skips its source. `reusable(index)` is the id of that job, if any.
    """

    if len(sources) > 1 and output is not None and not is_stdout(output):
        raise UsageError(
            f"one output file was named for {len(sources)} sources", fix=Fix.OUTPUT_DIR, count=len(sources)
        )
    if len(sources) > 1 and output is not None:
        raise UsageError("stdout takes a single source", fix=Fix.OUTPUT_DIR, count=len(sources), stdout=True)
    check_output_options(output, output_dir)

    def decide(index: int, path: Path, record: OutputRecord | None) -> Target:
        mine = record is not None and record.source == sources[index].key
        exists = path.exists() and not is_special(path)
        skip = f"{path} exists" if skip_existing and exists and (mine or record is None) else None
        ours = exists and mine and record is not None and reusable(index) == record.job_id
        check_output_path(path, force=force or skip is not None, ours=ours)
        return Target(path, skip, ours)

    if len(sources) == 1 and output_dir is None:
        if output is None or is_stdout(output):
            return [Target(None)]
        path = user_path(output)
        resolved = str(path.resolve()) if path.exists() else None
        return [decide(0, path, ledger.output(resolved) if resolved else None)]
    directory = output_dir or Path(".")
    owned = ledger.outputs_in(str(directory.resolve()))
    keys = [named.key for named in sources]
    names: list[str | None] = [None] * len(sources)
    taken: set[str] = set()
    suffix = f".{extension}"
    mine: dict[str, list[str]] = {}
    job_of: dict[str, str] = {}
    for owned_path, record in sorted(owned.items()):
        if owned_path.endswith(suffix):
            mine.setdefault(record.source, []).append(Path(owned_path).name)
            job_of[Path(owned_path).name] = record.job_id
    for index, key in enumerate(keys):  # first, every source keeps the name it had
        free = [n for n in mine.get(key, []) if n not in taken]
        if len(free) > 1:  # one source, several jobs (fetch of two models' jobs): each job its own file
            job = reusable(index)
            free.sort(key=lambda n: job_of[n] != job)
        name = free[0] if free else None
        if name is not None:
            names[index] = name
            taken.add(name)
    owners = {Path(owned_path).name: record.source for owned_path, record in owned.items()}
    # New names in the order of the sources' paths, not of the arguments: two runs given the same sources in
    # another order (or two at once) agree on which one is name.txt and which name-2.txt.
    for index in sorted(range(len(sources)), key=lambda i: keys[i]):
        if names[index] is not None:
            continue
        stem = safe_name(sources[index].stem)
        name, n = f"{stem}{suffix}", 1
        while name in taken or owners.get(name, keys[index]) != keys[index]:
            n += 1
            name = f"{stem}-{n}{suffix}"
        names[index] = name
        taken.add(name)
    resolved_dir = directory.resolve()
    return [
        decide(index, directory / name, owned.get(str(resolved_dir / name)))
        for index, name in enumerate(names)
        if name is not None
    ]


def fetch_target(ledger: Ledger, job: str, out: OutputOptions, fmt: str) -> Path | None:
    """Where fetch writes one job's result without --output-dir, checked before anything is asked: -o PATH, or
    stdout (with --output-dir, plan_targets names the files after each job's source, as run does)."""

    check_output_options(out.output, out.output_dir)
    assert out.output_dir is None
    if out.output is None or is_stdout(out.output):
        return None
    else:
        path = user_path(per_format(out.output, fmt, out.formats))
    written = ledger.output(str(path.resolve())) if path.exists() else None
    check_output_path(path, force=out.force, ours=written is not None and written.job_id == job)
    return path
