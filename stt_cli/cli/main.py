"""The console script's entry: `stt --version` answers before anything heavy is imported.

The cyclic garbage collector is paused while the program starts (imports allocate many objects and
would trigger a dozen collections for nothing: about 8 ms of a 110 ms `stt status`); it is resumed by
`resume_collector()` once the command's HTTP client exists, or by long-running commands when they begin.
"""

from __future__ import annotations

import gc
import sys


def resume_collector() -> None:
    """Resume the garbage collector: start-up is over."""
    gc.enable()


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from stt_cli import __version__  # start-up: --version loads nothing else

        sys.stdout.write(f"stt {__version__}\n")
        return
    if sys.argv[1:] == ["__complete", "ids"]:  # the shells' completion scripts ask this on Tab: keep it instant
        from stt_cli.cli.completion.ids import job_ids  # start-up: a Tab press loads no CLI

        sys.stdout.write(job_ids())
        return
    gc.disable()
    from stt_cli.cli.app import launch  # start-up: the two fast paths above load no CLI

    try:
        launch()
    except SystemExit as done:
        _leave(done.code)
        raise


def _leave(code: object) -> None:
    """Exit at once when worker threads are still running (a cancelled batch after its grace): letting the
    interpreter finalize under threads that are still in ffprobe's wait or in SQLite can crash it (a
    segfault instead of exit 130). Their children are stopped first; what they leave, the next run sweeps."""
    import contextlib  # on the way out only: --version and Tab completion never get here
    import os  # (the same)
    import threading  # (the same)

    pool = sys.modules.get("stt_cli.core.pool")  # no pool loaded: no batch ran, no worker can be left
    if pool is None or not any(t.name.startswith(pool.WORKER) and t.is_alive() for t in threading.enumerate()):
        return
    media = sys.modules.get("stt_cli.core.media")
    if media is not None:
        media.stop_all()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # None when it was closed
            stream.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))
