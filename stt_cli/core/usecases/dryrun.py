"""The dry run of `stt run` and `stt submit` (--dry-run): what would be sent of each source, and for how many
seconds of audio, measured through the batch driver, priced by the service's model list when stt has a copy
(`stt models --refresh` fetches it; the dry run only reads it); nothing is sent, no key is needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stt_cli.core.batch import Batch, Item, OneByOne, Tracked, exit_code
from stt_cli.core.media.ffmpeg import stop_all
from stt_cli.core.media.policy import wants_channels
from stt_cli.core.media.upload import start_run
from stt_cli.core.preview import preview
from stt_cli.core.pricelist import quote
from stt_cli.core.reporter import Preview
from stt_cli.errors import ExitCode, Interrupted

if TYPE_CHECKING:
    from stt_cli.core.media.ffmpeg import Conversion
    from stt_cli.core.options import Request, SourceOptions
    from stt_cli.core.reporter import Reporter
    from stt_cli.core.sources import Source


def dry_run(
    sources: list[Source], request: Request, limits: SourceOptions, reporter: Reporter, base_url: str | None = None
) -> int:
    """Each source looked at and, where it would be prepared, prepared and measured (--concurrency at once);
    the table or JSON lines at the end, in the order given, with the price a second of the service at
    `base_url` (None: not known). A source that cannot be looked at is reported and the others go on; the exit
    code is the failures' shared one."""
    previews: list[Preview | None] = [None] * len(sources)
    active: set[Conversion] = set()  # the conversions being made: Ctrl-C stops their ffmpeg, removes their files
    multichannel = wants_channels(request.options)

    def work(index: int, item: Tracked) -> int:
        previews[index] = preview(sources[index], limits.audio_prep, multichannel, active)
        return 0

    def stop() -> None:
        stop_all()  # the probes too
        for conversion in list(active):
            conversion.close()

    def stopped(tracked: list[Tracked]) -> Interrupted:
        return Interrupted("interrupted during the dry run; nothing was sent")

    start_run()
    items = [Item(source.label) for source in sources]
    batch = Batch(reporter, len(sources), limits.concurrency if sources[0].kind != "stdin" else 1)
    errors = []
    if len(sources) == 1:
        try:
            batch.one(items[0], work)
        except (KeyboardInterrupt, Interrupted):
            raise stopped([]) from None
    else:
        reporter.note(f"a dry run: measuring what would be sent of {len(sources)} sources; nothing is sent")
        view = OneByOne(reporter, [item.label for item in items])
        errors = [error for _, error in batch.many(items, work, view=view, on_cancel=stop, stopped=stopped).failures]
    price = quote(request.model, base_url) if base_url is not None else None
    reporter.previewed([item for item in previews if item is not None], price)
    return exit_code(errors) if errors else ExitCode.OK
