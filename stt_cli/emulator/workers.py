"""The local engine's worker pool: uploads decoded in worker processes, never on the threads that answer.

At most `size` uploads decode at once (one worker process each, started when first needed, loaded once
and kept for the next upload, ended after IDLE_SECONDS without one); the others wait in a bounded queue.
A thread of the server's process talks to each worker (emulator/engines/worker.py) over pipes and tells
the job what happens through the task's callbacks, so a job's state changes under the server's lock for an
instant and never while audio decodes. A worker silent for STALL_SECONDS, or one that dies, is ended and
its job fails with a message saying so; the next upload gets a fresh worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from stt_cli.emulator.decoding import remove
from stt_cli.emulator.engines import HeardWord

IDLE_SECONDS = 300.0  # a worker with nothing to do this long ends (its model's memory goes back)
READY_SECONDS = 60.0  # to start and load the model
STALL_SECONDS = 60.0  # without a line from a working worker (it says how far it got every 2 s)
MAX_WAITING = 256  # uploads queued for a worker; more are refused until some are done
MAX_LINE = 64 * 1024 * 1024  # bytes of one answer: the words of hours of audio fit
# -P: the folder the emulator was started in is not searched first (a checkout of another stt there must
# not be the one the worker runs).
WORKER = [sys.executable, "-P", "-m", "stt_cli.emulator.engines.worker"]

Channels = tuple[tuple[HeardWord, ...], ...]


def default_size() -> int:
    """One worker a core this process may use, at most 4 (each holds about 120 MB)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


@dataclass
class Task:
    """An upload to decode: its copy on disk (removed once done when `owned`), the channels wanted (0: the
    mix), the longest audio taken, and what to tell the job."""

    path: str
    channels: int
    max_seconds: float
    started: Callable[[], None]
    finished: Callable[[Channels | None, str | None], None]  # the words, or the failure's message
    owned: bool = True
    cancelled: threading.Event = field(default_factory=threading.Event)


class WorkerLost(Exception):
    """The worker died, stalled or said something it should not: the job fails with this message."""


class Worker:
    """One worker process and the pipes to it."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None
        self._pending = b""

    def ensure(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        self.stop()
        self.process = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0
        )
        self._pending = b""
        first = self._line(READY_SECONDS)
        if "ready" not in first:
            raise WorkerLost("The local engine did not start")

    def run(self, task: Task) -> Channels:
        assert self.process is not None and self.process.stdin is not None
        request = {"path": task.path, "channels": task.channels, "max_seconds": task.max_seconds}
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
        except OSError:
            raise WorkerLost("The local engine stopped before it could take the audio") from None
        while True:
            answer = self._line(STALL_SECONDS)
            if "progress" in answer:
                continue
            if "failed" in answer:
                raise _Failed(str(answer["failed"]))
            if "words" in answer:
                return _channels(answer["words"])
            raise WorkerLost("The local engine gave an answer the emulator does not read")

    def _line(self, timeout: float) -> dict[str, Any]:
        """The worker's next line, waiting at most `timeout` s for it; WorkerLost when none comes (or when the
        pool, closing, ended the worker meanwhile)."""
        process = self.process
        if process is None or process.stdout is None:
            raise WorkerLost("The local engine was stopped")
        stdout: IO[bytes] = process.stdout
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            try:
                ready = select.select([stdout], [], [], max(0.0, left))[0] if left > 0 else []
                if not ready:
                    self.stop()
                    raise WorkerLost(f"The local engine stopped answering (nothing for {timeout:g} s) and was ended")
                chunk = os.read(stdout.fileno(), 1024 * 1024)
            except (OSError, ValueError):  # its pipe closed meanwhile by the pool's close()
                chunk = b""
            if not chunk:
                code = process.wait()
                self.process = None
                raise WorkerLost(f"The local engine ended while decoding (exit code {code})")
            self._pending += chunk
            if len(self._pending) > MAX_LINE:
                self.stop()
                raise WorkerLost("The local engine's answer was too long")
        line, _, self._pending = self._pending.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self.stop()
            raise WorkerLost("The local engine gave an answer the emulator does not read")
        return message

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            process.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            process.wait(timeout=10)
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()


class _Failed(Exception):
    """The worker could not decode this audio (its message says why); the worker itself is fine."""


def _channels(raw: Any) -> Channels:
    if not isinstance(raw, list):
        raise WorkerLost("The local engine gave an answer the emulator does not read")
    try:
        return tuple(
            tuple(HeardWord(str(w), float(s), float(e), float(c), bool(last)) for w, s, e, c, last in channel)
            for channel in raw
        )
    except (TypeError, ValueError):
        raise WorkerLost("The local engine gave an answer the emulator does not read") from None


class Pool:
    """`size` workers and the queue of uploads waiting for one (see the module's docstring)."""

    def __init__(self, size: int, command: list[str] | None = None) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.size = size
        self.command = command or WORKER
        self._queue: queue.Queue[Task | None] = queue.Queue(MAX_WAITING)
        self._workers: list[Worker] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self.busy = 0  # uploads decoding now

    def submit(self, task: Task) -> bool:
        """Queue an upload; False when the queue is full or the pool closed (the task is then not run)."""
        with self._lock:
            if self._closed:
                return False
            if not self._threads:
                for n in range(self.size):
                    worker = Worker(self.command)
                    thread = threading.Thread(target=self._serve, args=(worker,), name=f"engine-{n}", daemon=True)
                    self._workers.append(worker)
                    self._threads.append(thread)
                    thread.start()
        try:
            self._queue.put_nowait(task)
        except queue.Full:
            return False
        return True

    def _serve(self, worker: Worker) -> None:
        while True:
            try:
                task = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                worker.stop()  # idle: its memory goes back; the next upload starts another
                continue
            if task is None:
                worker.stop()
                return
            if task.cancelled.is_set():
                self._done(task)
                continue
            self._run(worker, task)

    def _run(self, worker: Worker, task: Task) -> None:
        with self._lock:
            self.busy += 1
        words: Channels | None = None
        failure: str | None = None
        try:
            worker.ensure()
            task.started()
            words = worker.run(task)
        except _Failed as exc:
            failure = str(exc)
        except WorkerLost as exc:
            worker.stop()
            failure = str(exc)
        except OSError as exc:
            worker.stop()
            failure = f"The local engine could not be started: {exc.strerror or exc}"
        finally:
            with self._lock:
                self.busy -= 1
            self._done(task)
        if not task.cancelled.is_set():
            task.finished(words, failure)

    @staticmethod
    def _done(task: Task) -> None:
        if task.owned:
            remove(task.path)

    def close(self) -> None:
        """Stop taking uploads, forget those waiting (their copies removed), end the workers."""
        with self._lock:
            self._closed = True
        while True:
            try:
                task = self._queue.get_nowait()
            except queue.Empty:
                break
            if task is not None:
                task.cancelled.set()
                self._done(task)
        for worker in self._workers:
            worker.stop()
        for _ in self._threads:
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
