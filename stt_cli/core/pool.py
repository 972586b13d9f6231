"""A pool of worker threads for a batch: one failure never stops the others, Ctrl-C cancels them all."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from stt_cli.errors import Interrupted, SttError

T = TypeVar("T")  # what a batch is made of: sources (run) or job ids (fetch)

WORKER = "stt-worker"  # the name of a batch's threads: one still alive at exit is a cancelled batch's
CANCEL_GRACE = 2.0  # s a cancelled batch waits, in all, for its workers to record what they were doing


@dataclass
class Outcome(Generic[T]):
    item: T
    error: SttError | None = None


@dataclass
class Pool:
    """Runs one task per item on `concurrency` daemon threads; Ctrl-C sets `cancel` and returns at once."""

    concurrency: int
    cancel: threading.Event = field(default_factory=threading.Event)

    def run(
        self, items: list[T], task: Callable[[int, T], Any], on_cancel: Callable[[], None] | None = None
    ) -> list[Outcome[T]]:
        outcomes = [Outcome(item) for item in items]
        todo: queue.Queue[int] = queue.Queue()
        for index in range(len(items)):
            todo.put(index)

        def worker() -> None:
            while not self.cancel.is_set():
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    task(index, items[index])
                except SttError as exc:  # one failure never stops the others
                    outcomes[index].error = exc
                except BaseException as exc:
                    outcomes[index].error = SttError(f"unexpected {type(exc).__name__}: {exc}")

        count = max(1, self.concurrency)
        threads = [threading.Thread(target=worker, daemon=True, name=f"{WORKER}-{n}") for n in range(count)]
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
