"""The manual page, stt(1), made from the help itself: each command's `--help` as a user reads it at 80
columns, with the environment from the settings table and the exit codes from the error tree.

`stt --man` prints it; scripts/generate.py writes the same text to man/stt.1, which the tests keep fresh.
Nothing in it depends on the machine (no date, no paths but the documented defaults), so it never drifts
by itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stt_cli import __version__
from stt_cli.cli.completion.spec import command_tree
from stt_cli.core.settings import settings_table
from stt_cli.errors import ExitCode

# What each exit code means, in a line (the README's exit code table says the same at length).
EXIT_MEANINGS = {
    ExitCode.OK: "success",
    ExitCode.UNEXPECTED: "unexpected error, a bug (STT_DEBUG=1 shows the traceback)",
    ExitCode.USAGE: "usage or bad input: a bad option or source, an existing output, a file that cannot be written",
    ExitCode.AUTH: "authentication: no key, or the key refused (401) or denied (403)",
    ExitCode.REJECTED: "the service rejected the request (another 4xx: 400 with its message, 404 no such job)",
    ExitCode.SERVER: "server or network failure after retries, or an answer stt refuses",
    ExitCode.JOB_FAILED: "the job failed on the server",
    ExitCode.PENDING: "still pending: --timeout reached, or fetch --no-wait",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C or SIGTERM); the job id and stt fetch ID are printed",
}

FILES = (
    ("~/.config/stt-cli/config.toml", "the defaults set with stt config (STT_CONFIG_DIR moves it)"),
    ("~/.config/stt-cli/credentials.json", "the keys stored by stt auth login, each for its host, mode 0600"),
    ("~/.local/share/stt-cli/ledger.sqlite3", "the job ledger: ids, sources and kept results (STT_DATA_DIR)"),
    ("~/.cache/stt-cli/", "stdin spools and audio being prepared, removed after each upload (STT_CACHE_DIR)"),
)

OTHER_ENVIRONMENT = (
    ("AIML_API_KEY, AIMLAPI_API_KEY", "the API key; wins over the stored key, and --api-key over both"),
    ("HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY", "proxies, never used for a loopback base URL"),
    ("SSL_CERT_FILE, SSL_CERT_DIR", "the CA bundle for a private CA"),
    ("NO_COLOR", "no colour"),
    ("FORCE_COLOR", "colour even when stderr is not a terminal"),
    ("CI", "no spinners, progress bars or live tables, and no colour unless FORCE_COLOR"),
    ("STT_DEBUG=1", "print the traceback of an unexpected error"),
)


def _roff(text: str) -> str:
    """Plain text made safe for roff: backslashes and hyphens escaped, no line read as a request."""
    lines = []
    for line in text.replace("\\", "\\e").replace("-", "\\-").splitlines():
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def _helps(app: Any, commands: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every command's path and its help text as an 80-column terminal shows it (click leaves 2 columns: 78),
    root first, in the order `stt --help` lists them."""

    tree = command_tree(app, commands, terminal_width=78, max_content_width=80, color=False)
    return [(ctx.command_path, command.get_help(ctx)) for ctx, command in tree]


def _table(rows: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> list[str]:
    out = []
    for term, meaning in rows:
        out += [".TP", f"\\fB{_roff(term)}\\fR", _roff(meaning)]
    return out


def render(app: Any, commands: Mapping[str, Any]) -> str:
    """The whole page, in roff (man(7) macros), of the root Typer `app` and its command table."""

    helps = _helps(app, commands)
    lines = [
        f'.TH STT 1 "" "stt-cli {__version__}" "User Commands"',
        ".\\\" Generated from stt's help by scripts/generate.py (stt --man prints the same); do not edit.",
        ".SH NAME",
        "stt \\- transcribe audio with the AI/ML API speech\\-to\\-text service",
        ".SH SYNOPSIS",
        ".B stt",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        "Each command below is shown with its own help, as \\fBstt\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR prints it.",
        "Data goes to stdout only; progress, notes and errors go to stderr.",
    ]
    for path, text in helps:
        lines += [".SS " + _roff(path), ".nf", _roff(text.rstrip("\n")), ".fi"]
    lines += [".SH ENVIRONMENT", "A flag wins over the environment, which wins over the config file."]
    settings = [(", ".join(s.env), f"{s.help} (config key {s.key})") for s in settings_table().values()]
    lines += _table(settings + list(OTHER_ENVIRONMENT))
    lines += [".SH FILES", "On Linux, in the XDG user directories (their variables are honoured):"]
    lines += _table(FILES)
    lines += [".SH EXIT STATUS", "With several sources: 0 when all succeeded, else the failures' shared code, or 1."]
    lines += _table([(str(int(code)), meaning) for code, meaning in EXIT_MEANINGS.items()])
    lines += [
        ".SH SEE ALSO",
        "\\fBstt completion install\\fR for Tab completion; \\fBstt help\\fR TOPIC, and the docs/ folder of"
        " stt\\-cli, for formats, models and the emulator.",
    ]
    return "\n".join(lines) + "\n"
