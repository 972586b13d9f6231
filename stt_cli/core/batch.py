"""Many sources at once, free of UI: expanding the sources, reusing jobs already paid for, a pool of workers."""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from stt_cli.core.jobs import Source, parse_source
from stt_cli.errors import Interrupted, SttError, UsageError

if TYPE_CHECKING:
    from stt_cli.core.ledger import Ledger, OutputRecord

CANCEL_GRACE = 2.0  # s a cancelled batch waits, in all, for its workers to record what they were doing

# What a recursive walk picks up: the audio and video files the service is likely to take.
MEDIA_EXTENSIONS = frozenset(
    {
        ".wav", ".wave", ".mp3", ".m4a", ".mp4", ".aac", ".flac", ".ogg", ".oga", ".opus", ".webm", ".mka",
        ".mkv", ".mov", ".avi", ".wma", ".wmv", ".amr", ".aiff", ".aif", ".caf", ".3gp", ".mpga", ".mpeg",
        ".mpg", ".m4v", ".ts", ".mts", ".spx",
    }
)  # fmt: skip


def read_list(path: str) -> list[str]:
    """Sources from a list file (one a line; blank lines and # comments skipped), `-` for stdin."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
        text = text.removeprefix("\ufeff")  # a byte-order mark is no part of the first source
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the list {path}: {exc}", "give a text file with one source a line") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def expand(raw: Iterable[str], recursive: bool) -> list[Source]:
    """Paths, URLs and `-` as Sources; directories walked for media files when recursive; duplicates once."""
    sources: dict[str, Source] = {}
    for item in raw:
        if recursive and _is_directory(item):
            found = sorted(
                p for p in Path(item).expanduser().rglob("*") if p.suffix.lower() in MEDIA_EXTENSIONS and p.is_file()
            )
            if not found:
                raise UsageError(f"{item} holds no audio or video files", "point at the folder with the recordings")
            for file in found:
                sources.setdefault(str(file.resolve()), parse_source(str(file)))
            continue
        source = parse_source(item)
        key = str(source.path.resolve()) if source.path is not None else source.raw
        sources.setdefault(key, source)  # a source listed twice (stdin included) is transcribed once
    return list(sources.values())


def _is_directory(item: str) -> bool:
    return item != "-" and "://" not in item and "\x00" not in item and Path(item).expanduser().is_dir()


def recorded_source(source: Source) -> str:
    """The source as the ledger records it (jobs and output files): resolved path, URL, or "stdin"."""
    return str(source.path.resolve()) if source.path is not None else source.label


class Target(NamedTuple):
    """Where one result goes (None: stdout), and what is there already."""

    path: Path | None
    skip: str | None = None  # why this source is skipped (--skip-existing), or None
    ours: bool = False  # it exists, and the ledger says stt wrote it from the job this run would reuse


def plan_targets(
    sources: list[Source],
    extension: str,
    *,
    output: str | None,
    output_dir: Path | None,
    force: bool,
    skip_existing: bool,
    ledger: Ledger,
    reusable: Callable[[Source], str | None],
) -> list[Target]:
    """Where each result goes, checked before anything is uploaded.

    One result goes to stdout unless -o or --output-dir says otherwise; several go to --output-dir (default:
    here) as <stem>.<ext>. A name the ledger recorded for a source is that source's again, so names stay the
    same from run to run; a name recorded for another source is never taken. An existing file is refused
    without --force, unless it holds the result of the very job this run would reuse (a re-run finds it done)
    or --skip-existing skips its source. `reusable(source)` is the id of that job, if any.
    """
    from stt_cli.core.files import check_output_options, check_output_path, is_special, is_stdout, safe_name

    if len(sources) > 1 and output is not None and not is_stdout(output):
        raise UsageError(f"-o names one file but {len(sources)} sources were given", "use --output-dir DIR instead")
    if len(sources) > 1 and output is not None:
        raise UsageError("-o - (stdout) takes a single source", "use --output-dir DIR for several")
    check_output_options(output, output_dir)

    def decide(source: Source, path: Path, record: OutputRecord | None) -> Target:
        mine = record is not None and record.source == recorded_source(source)
        exists = path.exists() and not is_special(path)
        skip = f"{path} exists" if skip_existing and exists and (mine or record is None) else None
        ours = exists and mine and record is not None and reusable(source) == record.job_id
        check_output_path(path, force=force or skip is not None, ours=ours)
        return Target(path, skip, ours)

    if len(sources) == 1 and output_dir is None:
        if output is None or is_stdout(output):
            return [Target(None)]
        path = Path(output).expanduser()
        resolved = str(path.resolve()) if path.exists() else None
        return [decide(sources[0], path, ledger.output(resolved) if resolved else None)]
    directory = output_dir or Path(".")
    owned = ledger.outputs_in(str(directory.resolve()))
    keys = [recorded_source(s) for s in sources]
    names: list[str | None] = [None] * len(sources)
    taken: set[str] = set()
    suffix = f".{extension}"
    mine: dict[str, list[str]] = {}
    for owned_path, record in sorted(owned.items()):
        if owned_path.endswith(suffix):
            mine.setdefault(record.source, []).append(Path(owned_path).name)
    for index, key in enumerate(keys):  # first, every source keeps the name it had
        name = next((n for n in mine.get(key, []) if n not in taken), None)
        if name is not None:
            names[index] = name
            taken.add(name)
    owners = {Path(owned_path).name: record.source for owned_path, record in owned.items()}
    # New names in the order of the sources' paths, not of the arguments: two runs given the same sources in
    # another order (or two at once) agree on which one is name.txt and which name-2.txt.
    for index in sorted(range(len(sources)), key=lambda i: keys[i]):
        source = sources[index]
        if names[index] is not None:
            continue
        stem = safe_name(source.stem)
        name, n = f"{stem}{suffix}", 1
        while name in taken or owners.get(name, keys[index]) != keys[index]:
            n += 1
            name = f"{stem}-{n}{suffix}"
        names[index] = name
        taken.add(name)
    resolved_dir = directory.resolve()
    return [
        decide(source, directory / name, owned.get(str(resolved_dir / name)))
        for source, name in zip(sources, names, strict=True)
        if name is not None
    ]


@dataclass
class Outcome:
    source: Source
    error: SttError | None = None
    skipped: bool = False
    value: Any = None


@dataclass
class Pool:
    """Runs one task per source on `concurrency` daemon threads; Ctrl-C sets `cancel` and returns at once."""

    concurrency: int
    cancel: threading.Event = field(default_factory=threading.Event)

    def run(
        self, sources: list[Source], task: Callable[[int, Source], Any], on_cancel: Callable[[], None] | None = None
    ) -> list[Outcome]:
        outcomes = [Outcome(s) for s in sources]
        todo: queue.Queue[int] = queue.Queue()
        for index in range(len(sources)):
            todo.put(index)

        def worker() -> None:
            while not self.cancel.is_set():
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcomes[index].value = task(index, sources[index])
                except SttError as exc:  # one failure never stops the others
                    outcomes[index].error = exc
                except BaseException as exc:
                    outcomes[index].error = SttError(f"unexpected {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, self.concurrency))]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.1)
        except KeyboardInterrupt:
            self.cancel.set()
            if on_cancel is not None:
                on_cancel()  # requests in flight end now, so each worker records what became of its create
            deadline = time.monotonic() + CANCEL_GRACE
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            raise Interrupted("interrupted") from None
        return outcomes

    def sleep(self, seconds: float) -> None:
        """A sleep that ends early, and raises, when the batch is cancelled."""
        if self.cancel.wait(seconds):
            raise Interrupted("cancelled")

    def check(self) -> None:
        if self.cancel.is_set():
            raise Interrupted("cancelled")
