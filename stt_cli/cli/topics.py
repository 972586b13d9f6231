"""`stt help TOPIC`: the pages behind the README, in the terminal. Where a table exists in the code (settings,
formats, exit codes, models), the page is made from it, so it cannot drift; the rest is short prose."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from stt_cli.api.catalogue import DEFAULT_MODEL, families
from stt_cli.cli.manpage import EXIT_MEANINGS, FILES, OTHER_ENVIRONMENT
from stt_cli.cli.spelling import spell
from stt_cli.core.settings import settings_table
from stt_cli.formats.registry import FORMATS

WIDTH = 78


def _rows(rows: list[tuple[str, str]], gap: int = 2) -> str:
    """Two columns, the second wrapped under itself."""

    left = min(max(len(term) for term, _ in rows), 34)
    lines = []
    for term, meaning in rows:
        wrapped = textwrap.wrap(meaning, WIDTH - left - gap - 2) or [""]
        if len(term) > left:
            lines.append(f"  {term}")
            lines += [f"  {'':{left}}{' ' * gap}{part}" for part in wrapped]
        else:
            lines.append(f"  {term:{left}}{' ' * gap}{wrapped[0]}")
            lines += [f"  {'':{left}}{' ' * gap}{part}" for part in wrapped[1:]]
    return "\n".join(lines)


def environment() -> str:

    settings = [(", ".join(s.env), f"{s.help} (config key {s.key})") for s in settings_table().values()]
    return (
        "Environment: a flag wins over the environment, which wins over the config file\n"
        "(stt config set KEY VALUE), which wins over the default.\n\n"
        + _rows(settings + list(OTHER_ENVIRONMENT))
        + "\n\nFiles (on Linux, in the XDG user directories; their variables are honoured):\n\n"
        + _rows(list(FILES))
        + "\n\nDurations (--timeout, --poll-interval, --older-than and their keys) are written\n"
        "90, 90s, 5m, 1h30m or 2d."
    )


def exit_codes() -> str:

    return (
        "Exit codes: the same for every command. With several sources or ids, 0 when all\n"
        "succeeded, else the failures' shared code, or 1 when they differ.\n\n"
        + _rows([(str(int(code)), meaning) for code, meaning in EXIT_MEANINGS.items()])
        + "\n\nIn a script: stt run a.wav -o a.txt || case $? in 7) echo 'still running';; esac"
    )


def formats() -> str:

    rows = [(f"{name} (.{spec.extension})", spell(spec.summary)) for name, spec in FORMATS.items()]
    timed = ", ".join(name for name, spec in FORMATS.items() if spec.needs_timings)
    text_only = " and ".join(f.name for f in families() if not f.word_timings)
    rule = (
        "With -o NAME.EXT and no -f, the extension picks the format (-o talk.srt writes SRT); a -f that disagrees "
        "with the extension is refused before anything is sent. Several formats take -o as a stem (-o talk -f "
        f"srt,vtt writes talk.srt, talk.vtt) or go to --output-dir. {timed} need word timings, which the "
        f"{text_only} models do not give. Subtitle knobs: --max-line-width, --max-lines, --max-cue-duration, "
        "--min-cue-duration, --max-cps, --speaker-names 0=Ann,1=Bo, --channel N."
    )
    return (
        "Output formats: -f FORMAT, a comma list (-f srt,vtt) or -f all.\n\n"
        + _rows(rows)
        + "\n\n"
        + textwrap.fill(rule, WIDTH, break_on_hyphens=False)
    )


def models() -> str:

    rows = []
    for family in families():
        carries = ", ".join(family.carries) or "text only"
        rows.append((family.name, f"{', '.join(family.models)} ({carries})"))
    return (
        f"Models: -m MODEL (default {DEFAULT_MODEL}). `stt models` lists every id\n"
        "and what each one gives; `stt models MODEL` shows the request fields that model\n"
        "takes.\n\n"
        + _rows(rows)
        + "\n\nQuote an id that starts with # in a shell (-m '#g1_nova-2-general'): unquoted,\n"
        "the shell reads the rest of the line as a comment. The friendly flags\n"
        "(--diarize, --language, ...) are the same for every model; stt sends the chosen\n"
        "model's own field names, and refuses a flag that model cannot take before\n"
        "anything is uploaded. --param KEY=VALUE sends any other field, typed as the\n"
        "model's schema says (JSON where the field takes it); --param-json KEY=JSON\n"
        "sends that JSON as it is."
    )


def emulator() -> str:
    return """The emulator: a local stand-in of the service, for trying stt without an
account, for tests and for CI pipelines. It follows the provider's published
documents.

  stt emulator --port 8750 --detach        start it in the background
  export AIML_API_BASE=http://127.0.0.1:8750/v1 AIML_API_KEY=anything
  stt emulator --write-sample talk.wav     its sample recording
  stt run talk.wav                         the sample's real words
  stt emulator --stop --port 8750          stop it

The sample recording gets its known words. Other audio gets pocketsphinx's
words where stt's local extra is installed (pip install "stt-cli[local]"):
offline, rough, US English only; else a labelled placeholder, as long as the
audio. Either comes in the chosen model's result shape, and stt says which on
stderr (--engine picks: auto, pocketsphinx, placeholder). It answers on
loopback only, checks the Host and Origin of every request (no web page can
drive it), answers no other user of the machine (on Linux), and can inject
faults for tests: `stt emulator --help` lists its options."""


def security() -> str:
    return """Security: what stt guarantees.

  The key      never printed (at most its last 4 characters), masked in any
               server message that echoes it; stored by `stt auth login` in a
               0600 file in a 0700 directory; refused if others can read it;
               sent only to the host it was stored for (auth login --base-url).
  The wire     plain http:// only to loopback addresses; no redirects followed,
               so the key never reaches another host; every answer bounded in
               size, depth and time, and job ids checked before they touch a
               URL, a file name or a shell.
  The screen   escape sequences, control and bidi characters removed from
               everything printed; -f json escapes them.
  Your files   outputs written atomically, never overwritten without --force
               (checked before anything is uploaded); temp files private and
               swept; Ctrl-C leaves no partial file; another user's link in a
               shared folder such as /tmp is never followed.
  Billing      a create is retried only where no job can exist yet, always with
               the same Idempotency-Key; re-runs reuse the ledger's jobs for the
               same audio, model and options.
  The emulator loopback only; requests from web pages (an Origin, fetch
               metadata, a preflight, or a Host that is not the loopback
               address: DNS rebinding) refused, and on Linux connections from
               other users' processes; its controls take only JSON, and its
               --api-key when it has one; --detach and --stop use a port only
               once it shows it is your own emulator; its request log is
               bounded; what it writes is private (0600/0700)."""


TOPICS: dict[str, tuple[str, Callable[[], str]]] = {
    "environment": ("Environment variables, config keys, files, durations", environment),
    "exit-codes": ("What each exit code means", exit_codes),
    "formats": ("Output formats, and the format from the file name", formats),
    "models": ("Model families and ids, quoting # in a shell", models),
    "emulator": ("The local stand-in of the service", emulator),
    "security": ("What stt guarantees about keys, the wire, files and billing", security),
}
