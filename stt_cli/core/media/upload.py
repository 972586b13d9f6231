"""What the upload sends of a local file: the decision steps, taken in one place for a run and for --dry-run, then
the file itself or its conversion (made in stt's cache dir, removed after the create).

The steps stop at the first that knows: the mode, the file's size and first bytes (no process started for a
small file, one that is no media, or compressed audio under `lossless`); ffmpeg and ffprobe on PATH; what
ffprobe says, read by the policy. Their outcome is a Decision (data), which `sending` acts on and
`core/preview.py` reports.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from stt_cli.core.config import spool_dir
from stt_cli.core.media.ffmpeg import ENABLE_HINT, Conversion, Tools, Unreadable, find_tools, new_run, stopping
from stt_cli.core.media.policy import OFF, Plan, at_a_glance, decide
from stt_cli.core.media.probe import forget, probe
from stt_cli.core.media.sniff import HEAD_BYTES, sniff
from stt_cli.errors import Interrupted, UsageError

# The suffixes of compressed audio, which preparation sends as it is anyway: for them a missing ffmpeg is not
# worth a note (for a video, PCM or a name that says nothing, such as stdin's, it is).
AS_IS_ANYWAY = frozenset({".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".amr", ".wma", ".spx", ".mpga"})
NO_FFMPEG = f"ffmpeg not found: files are sent as they are; {ENABLE_HINT} (or {{opt:audio_prep}} off)"


def content_type_for(name: str) -> str:
    """The Content-Type declared for a file sent as it is, from its name."""
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


class Decision(NamedTuple):
    """What the decision steps made of one local file, as data: always a plan (the file as it is, and why, when
    nothing is to be made), the tools that will make it, and what a run is told."""

    plan: Plan
    tools: Tools | None = None  # set when the plan makes something
    note: str = ""  # for the run's notes: why a file goes as it is against the mode's promise
    once: bool = False  # the note is said once per run, whatever the number of files (ffmpeg is missing)


def start_run() -> None:
    """A run (or a dry run) starts: nothing is being stopped, and nothing an earlier run probed is trusted."""
    new_run()
    forget()


def first_look(path: Path, mode: str) -> Plan | None:
    """The plan known without starting a process (the mode, the file's size and first bytes), or None when
    ffprobe must look. A file that cannot be read here is left to the steps after, which say why."""
    if mode == "off":
        return Plan("as-is", OFF, None)
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(HEAD_BYTES)
    except OSError:
        return None
    return at_a_glance(mode, size, sniff(head))


def choose(path: Path, filename: str, mode: str, multichannel: bool) -> Decision:
    """The decision steps for a local file, in order; `sending` acts on the Decision, --dry-run reports it."""
    glance = first_look(path, mode)
    if glance is not None:
        return Decision(glance)
    tools = find_tools()
    if tools is None:
        said = "" if Path(filename).suffix.lower() in AS_IS_ANYWAY else NO_FFMPEG
        return Decision(Plan("as-is", f"as it is: ffmpeg not found ({ENABLE_HINT})", None), None, said, once=True)
    try:
        media = probe(path, tools)
    except Unreadable as exc:
        if stopping():  # the probe was stopped: the batch is cancelled
            raise Interrupted(f"interrupted while probing {filename}; no job was created") from None
        return Decision(
            Plan("as-is", f"as it is: ffprobe cannot read it ({exc})", None),
            note=f"ffprobe cannot read {filename} ({exc}); sending it as it is",
        )
    return Decision(decide(media, mode, path.stat().st_size, multichannel), tools)


def compact_audio(path: Path, mode: str) -> bool:
    """Whether this file under this mode is sent as compact audio (16 kHz FLAC), which a job made of the
    file's own samples does not stand for: the ledger keeps the two apart, and only those."""
    if mode != "compact":
        return False
    try:
        return choose(path, path.name, mode, False).plan.compact
    except OSError:
        return False


def not_smaller(plan: Plan) -> Plan:
    return plan._replace(action="as-is", why=plan.why + "; no smaller than the file, so the file is sent")


def _instead(plan: Plan, why: str) -> Plan:
    """The file as it is, because making the plan's audio failed (`why`); the length ffprobe gave is kept."""
    return plan._replace(action="as-is", why=f"as it is: {why}")


class Once:
    """Notes given once per run, whatever the number of sources (a batch of 2,000 says it once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._said: set[str] = set()

    def say(self, topic: str, note: Callable[[str], None], message: str) -> None:
        with self._lock:
            if topic in self._said:
                return
            self._said.add(topic)
        note(message)


class Sent(NamedTuple):
    """What goes up for a local source: the file (or its live making), its name and type, and the plan that
    says what it is and why (the file as it is included)."""

    path: Path
    filename: str
    content_type: str
    plan: Plan
    made: Conversion | None = None  # None: the file itself goes

    @property
    def live(self) -> Conversion | None:
        """The conversion to send as it is made (FLAC), or None: the file at `path` is whole."""
        return self.made if self.made is not None and self.plan.streams else None


@contextlib.contextmanager
def sending(
    path: Path, filename: str, mode: str, multichannel: bool, note: Callable[[str], None], once: Once | None = None
) -> Iterator[Sent]:
    """The upload of a local file under --audio-prep: converted in stt's cache dir, removed after the create.

    A source the tools cannot read is sent as it is, with a note; without ffmpeg, once per run (`once`), how
    to enable preparation.
    """

    decision = choose(path, filename, mode, multichannel)
    if decision.note and decision.once:
        (once or Once()).say(decision.note, note, decision.note)
    elif decision.note:
        note(decision.note)
    plan = decision.plan
    as_is = Sent(path, filename, content_type_for(filename), plan)
    if not plan.changes or decision.tools is None:
        yield as_is
        return
    try:
        conversion = Conversion(path, plan, decision.tools, spool_dir()).open()
    except UsageError as exc:  # no room or no rights in the cache dir: the file goes as it is
        note(f"{exc.message}; sending {filename} as it is")
        yield as_is._replace(plan=_instead(plan, exc.message))
        return
    with contextlib.closing(conversion):
        if not plan.streams:
            try:
                conversion.complete()
            except Unreadable as exc:
                if stopping():
                    raise Interrupted(f"interrupted while preparing {filename}; no job was created") from None
                note(f"{exc} ({filename}); sending it as it is")
                yield as_is._replace(plan=_instead(plan, str(exc)))
                return
            if conversion.size >= path.stat().st_size:  # nothing gained: the file itself goes
                yield as_is._replace(plan=not_smaller(plan))
                return
        assert conversion.path is not None
        yield Sent(conversion.path, f"{Path(filename).stem or 'audio'}{plan.ext}", plan.content_type, plan, conversion)
