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
        from stt_cli import __version__

        sys.stdout.write(f"stt {__version__}\n")
        return
    if sys.argv[1:] == ["__complete", "ids"]:  # the shells' completion scripts ask this on Tab: keep it instant
        from stt_cli.cli.completion.ids import job_ids

        sys.stdout.write(job_ids())
        return
    gc.disable()
    from stt_cli.cli.app import main as run

    run()
