"""A worker process of the emulator's local engine (`python -m stt_cli.emulator.engines.worker`): it loads the
recogniser once, then decodes one upload at a time, as the pool (emulator/workers.py) asks on its stdin.

The protocol is one JSON object a line. The worker says {"ready": VERSION} once its model is loaded; for
each request {"path", "channels", "max_seconds"} (channels: 0 for the mix, N for each of the first N) it
says {"progress": SECONDS} now and then, and ends with {"words": [[[word, start, end, confidence, last],
...] per channel]} or {"failed": MESSAGE}. A process apart keeps the recogniser's C code (which holds the
interpreter's lock while it decodes) away from the server's threads, uses another core, and can be ended
when it stalls or fails without taking the emulator with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

from stt_cli.emulator.decoding import BYTES_PER_SECOND, DecodeFailed, pcm
from stt_cli.emulator.engines import POCKETSPHINX, version
from stt_cli.emulator.engines.pocketsphinx import Recogniser

MEMORY_CAP = 1024 * 1024 * 1024  # bytes of address space: the model and a 30 s stretch fit many times over
NICENESS = 10  # decoding yields the processor to the server's answers (a status answer waits on no decode)
PROGRESS_EVERY = 2.0  # s between progress lines at most (the pool ends a worker silent for much longer)


def main(requests: IO[str] = sys.stdin, answers: IO[str] = sys.stdout) -> int:
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, resource.getrlimit(resource.RLIMIT_AS)[1]))
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    recogniser = Recogniser()

    def say(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    say({"ready": version(POCKETSPHINX)})
    for line in requests:
        request = json.loads(line)
        try:
            say({"words": transcribe(recogniser, request, say)})
        except DecodeFailed as exc:
            say({"failed": str(exc)})
        except MemoryError:
            say({"failed": "The local engine ran out of memory on this audio"})
    return 0


def transcribe(
    recogniser: Recogniser, request: dict[str, Any], say: Callable[[dict[str, Any]], None]
) -> list[list[list[Any]]]:
    """The words of each channel asked for (or of the mix), as the final answer carries them."""
    path = str(request["path"])
    count = int(request.get("channels", 0))
    max_seconds = float(request["max_seconds"])
    said = time.monotonic()

    def told(chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The stream, saying how far it got now and then (long quiet stretches decode nothing)."""
        nonlocal said
        total = 0
        for chunk in chunks:
            total += len(chunk)
            if time.monotonic() - said >= PROGRESS_EVERY:
                said = time.monotonic()
                say({"progress": round(total / BYTES_PER_SECOND, 1)})
            yield chunk

    channels = []
    for channel in [None] if count <= 0 else list(range(count)):
        words = recogniser.words(told(pcm(path, channel, max_seconds)))
        channels.append([[w.word, w.start, w.end, w.confidence, w.last_in_segment] for w in words])
    return channels


if __name__ == "__main__":
    sys.exit(main())
