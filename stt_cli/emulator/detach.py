"""`stt emulator --detach`: the same emulator as a background process, in its own session, started and checked.

The child is `stt emulator` with the same options (minus --detach); its stdin is /dev/null and its stdout
and stderr go to a log file (in stt's cache folder, which the cli passes), so nothing it writes later
reaches the user's terminal.
The parent reads the log until the child says where it listens, then asks that address who it is
(/_emulator/info, with the --api-key if one was given) and returns once the answer comes from its own child; a
child that exits first has its error reported as the parent's own.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from stt_cli.emulator import control, proof
from stt_cli.emulator.folders import UnsafeFolder, private_folder
from stt_cli.errors import ExitCode, ServerError, SttError, UsageError, local_failure

START_SECONDS = 20.0  # an interpreter's start on a loaded CI machine, and the bind
LOG_BYTES = 64 * 1024  # of the start-up messages read
LISTENING = "stt emulator listening on "


@dataclass
class Started:
    pid: int
    base_url: str
    port: int
    details: list[str]  # the child's start-up lines between its listening line and its export line
    log: Path


class ChildFailed(SttError):
    """The detached emulator exited before it listened: its own error, with its own exit code."""

    def __init__(self, message: str, hint: str | None, code: int) -> None:
        super().__init__(message, hint)
        try:
            self.exit_code = ExitCode(code)
        except ValueError:  # killed by a signal (negative), or a code stt does not use
            self.exit_code = ExitCode.UNEXPECTED


def _log_name(host: str, port: int) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", host) + f"-{port}.log"


def _read(path: Path) -> str:
    try:
        with path.open("rb") as file:
            return file.read(LOG_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def _failure(text: str, code: int, log: Path) -> ChildFailed:
    """The child's own `error: ...` line (its message and hint as it wrote them), else what is known."""
    errors = [line.removeprefix("error: ") for line in text.splitlines() if line.startswith("error: ")]
    if errors:
        return ChildFailed(errors[-1], None, code)
    return ChildFailed(f"the emulator exited with code {code} before it listened", f"its messages: {log}", code)


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    """Our own child, by its Popen handle: terminated, then killed if it lingers."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=3)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=3)


def detach(options: list[str], host: str, folder: Path, api_key: str | None = None) -> Started:
    """Start `stt emulator OPTIONS` in the background, its log in `folder` (made 0700 when missing, and
    refused when another user could read or swap the log, which names the --api-key; the cli passes <stt's
    cache folder>/emulator, where the child keeps its secret too); once it serves, where and as which pid.
    `api_key`: the --api-key among the options, which the child wants to be asked who it is."""
    try:
        private_folder(folder)
        fd, name = tempfile.mkstemp(prefix="starting-", suffix=".log", dir=folder)  # 0600
    except UnsafeFolder as exc:
        raise UsageError(
            f"the emulator's log folder is not private: {exc}", "set STT_CACHE_DIR to a folder of your own"
        ) from None
    except OSError as exc:
        raise local_failure(
            exc, f"write the emulator's log in {folder}", "set STT_CACHE_DIR to a writable folder"
        ) from None
    log = Path(name)
    with os.fdopen(fd, "wb") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "stt_cli", "emulator", *options],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            start_new_session=True,  # no terminal's Ctrl-C or hang-up reaches it
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        started = _wait(child, log, folder, api_key)
    except BaseException:
        _stop_child(child)
        raise
    named = folder / _log_name(host, started.port)
    with contextlib.suppress(OSError):
        os.replace(log, named)  # the child keeps writing to the same file under its new name
        started.log = named
    return started


def _wait(child: subprocess.Popen[bytes], log: Path, folder: Path, api_key: str | None) -> Started:
    deadline = time.monotonic() + START_SECONDS
    while True:
        text = _read(log)
        code = child.poll()
        if code is not None:
            failure = _failure(text, code, log)
            if failure.hint is None:
                log.unlink(missing_ok=True)
            raise failure
        started = _serving(child.pid, text, log, folder, api_key)
        if started is not None:
            return started
        if time.monotonic() > deadline:
            raise ServerError(f"the emulator did not start within {START_SECONDS:g} s", f"its messages: {log}")
        time.sleep(0.05)


def _serving(pid: int, text: str, log: Path, folder: Path, api_key: str | None) -> Started | None:
    """The child's start, once it said where it listens and what answers there is itself."""
    lines = text.splitlines()
    at = next((i for i, line in enumerate(lines) if line.startswith(LISTENING)), None)
    if at is None:
        return None
    url = lines[at].split()[-1]
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        return None
    try:
        running = control.probe(parts.hostname, parts.port, api_key, proof.existing(folder))
    except (control.NotListening, control.NotAnEmulator, control.KeyRequired):
        return None
    if running.pid != pid:
        return None
    details = []
    for line in lines[at + 1 :]:
        if line.lstrip().startswith("export "):
            break
        details.append(line)
    return Started(pid=pid, base_url=url, port=parts.port, details=details, log=log)
