"""`stt __complete ids`, asked by the completion scripts on Tab: answered before Typer is imported."""

from __future__ import annotations

from stt_cli.api.wire import is_valid_id, sanitize
from stt_cli.core.ledger import recent_jobs


def job_ids(limit: int = 50) -> str:
    """`stt __complete ids`: the newest job ids of the ledger as `id<TAB>source, status` lines; never fails.

    Only ids that pass the same check as an id from the wire are offered: a completion script inserts them
    into the user's command line, so an id must never hold anything a shell reads as syntax.
    """

    lines = []
    for job in recent_jobs(limit):
        if is_valid_id(job.id):
            name = job.source.rsplit("/", 1)[-1]
            lines.append(f"{job.id}\t{sanitize(f'{name}, {job.status}', 80)}")
    return "".join(line + "\n" for line in lines)
