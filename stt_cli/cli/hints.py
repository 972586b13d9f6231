"""The one table that words a failure for the person reading it: the next step in stt's own commands and flags,
and where the setting at fault came from.

The layers below the terminal say what failed and point at a `Fix` (stt_cli/errors.py), with the facts it needs;
they name no command and no flag (tests/unit/test_hints.py holds them to it). Renaming a command or a flag is a
change here and in the options, nowhere else.

A command to resume a job repeats the output options typed on the command line (-f, -o, --output-dir, the
subtitle knobs, --base-url, --json): pasted as printed, it writes the files the interrupted command would have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stt_cli.cli.spelling import option_flag, spell
from stt_cli.errors import Fix, Origin, SttError, UsageError, command_line, path_word

if TYPE_CHECKING:
    from stt_cli.api.combinations import Clash

if TYPE_CHECKING:
    from stt_cli.core.pricelist import Quote

KEY_PAGE = "https://aimlapi.com/app/keys"  # where the provider issues keys
SERVICE_BASE_URL = "https://api.aimlapi.com/v1"

# The options a resume command repeats, as typed on this invocation: (option name, its words). Set by
# cli/build.py when a command starts (one invocation at a time: tests run many in one process).
_carried: list[tuple[str, list[str]]] = []
_key_typed = False
_unchecked_model: tuple[str, str] | None = None  # (id, where it came from) of a model sent as it is


def carry(options: list[tuple[str, list[str]]], key_typed: bool = False) -> None:
    """The options a resume command repeats (name, words), and whether the key was given with --api-key; a
    new invocation starts here, so no unchecked model is known yet."""
    global _carried, _key_typed, _unchecked_model
    _carried = list(options)
    _key_typed = key_typed
    _unchecked_model = None


def unchecked_model(model: str, where: str) -> None:
    """This invocation sends a model id stt does not know, as it is: a rejection names it and where it came from."""
    global _unchecked_model
    _unchecked_model = (model, where)


def unchecked_fields(model: str, keys: list[str]) -> str:
    """The note of a run that sends raw fields to a model stt's list lacks."""
    return (
        f"{model} is not in stt's model list: its fields ({', '.join(keys)}) are sent unchecked, their names "
        "as given and their types guessed from the text (JSON where it reads as JSON)"
    )


# --- Raw fields and the combinations a model's documents rule out ------------------------------------------
def bad_json(key: str, raw: str, reason: str) -> UsageError:
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    return UsageError(
        f"--param-json {key}: {shown!r} is not valid JSON ({reason})",
        'quote it for the shell, e.g. --param-json \'custom_spelling=[{"from": "ai", "to": "AI"}]\'; '
        "plain text goes with --param",
    )


def param_twice(key: str) -> UsageError:
    return UsageError(
        f"{key} was given with both --param and --param-json",
        "give it with one of them; repeated there, it becomes a list",
    )


def _option_of(field: str, setters: dict[str, str | None]) -> str:
    """The option that set a field, as the command line spells it: --summarize, or --param auto_chapters."""
    key = setters.get(field)
    return option_flag(key) if key else f"--param {field}"


def _flag_for(model: str, field: str) -> str:
    """The option that sets a field of a model: its flag, or --param FIELD where no flag does."""
    from stt_cli.api.catalogue import model as catalogue_model  # lazy for start-up: read when a rule applies
    from stt_cli.api.dialects import FLAGS, field_of  # lazy for start-up: read when a rule applies

    entry = catalogue_model(model)
    key = next((f.key for f in FLAGS if entry is not None and field_of(entry, f) == field), None)
    return option_flag(key) if key else f"--param {field}=..."


def clash_error(clash: Clash, setters: dict[str, str | None]) -> UsageError:
    """A combination the model's documents rule out, refused before anything is sent: both options, the reason,
    the fix."""
    named = [_option_of(field, setters) for field in clash.fields]
    if clash.kind == "only":
        takers = ", ".join(f"-m {m}" for m in clash.instead)
        return UsageError(
            f"{named[0]} is not available with -m {clash.model}: {clash.why}",
            f"use it with {takers}, or leave {named[0]} out",
        )
    if clash.kind == "together":
        given = [_option_of(field, setters) for field in clash.fields if field in setters]
        missing = [_flag_for(clash.model, f) for f in clash.fields if f not in setters]
        return UsageError(
            f"{' and '.join(given)} needs {' and '.join(missing)} with -m {clash.model}: {clash.why}",
            f"give {' and '.join(missing)} too, or leave {' and '.join(given)} out",
        )
    return UsageError(
        f"{' and '.join(named)} cannot be used together with -m {clash.model}: {clash.why}",
        "leave one of them out",
    )


def clash_warning(clash: Clash, setters: dict[str, str | None]) -> str:
    """A deprecated field the model still takes: what to use instead, where its documents say."""
    named = _option_of(clash.fields[0], setters)
    instead = f"; use {_flag_for(clash.model, clash.instead[0])} instead" if clash.instead else ""
    return f"{named} is deprecated for {clash.model} ({clash.why}): it works for now, but may stop{instead}"


def _rejected(error: SttError) -> str:
    advice = "check the model id (stt models) and the options it takes (stt run --help)"
    if _unchecked_model is None:
        return advice
    model, where = _unchecked_model
    return (
        f"the model {model!r} was sent unchecked ({where}) and may be no model of the service: check it, or "
        f"pick one of `stt models`; {advice}"
    )


def id_command(command: str, job_id: str, *words: str) -> str:
    """A command on one job, to copy: an id that starts with "-" goes after "--", the options before it."""
    if job_id.startswith("-"):
        return command_line(*command.split(), *words, "--", job_id)
    return command_line(*command.split(), job_id, *words)


def fetch_command(job_id: str, *override: tuple[str, list[str]]) -> str:
    """`stt fetch ID` with this invocation's output options, some of them replaced (-f json, -o PATH.new)."""
    replaced = {name for name, _ in override}
    if "output" in replaced:
        replaced.add("output_dir")
    words: list[str] = []
    for _name, typed in [*(c for c in _carried if c[0] not in replaced), *override]:
        words += typed
    command = id_command("stt fetch", job_id, *words)
    return command + (" (with your --api-key)" if _key_typed else "")


def source_words(origin: Origin) -> str:
    """Where a setting came from, as a reader wants it: --base-url, $AIML_API_KEY, the key file PATH."""
    source = origin.source
    if source.startswith(("config file ", "key file ")):
        kind, _, path = source.partition(" file ")
        return f"the {kind} file {path}"
    return {"default": "the default", "flag": f"--{origin.key.replace('_', '-')}"}.get(source, source)


# --- Each fix: the hint, from the error's facts -----------------------------------------------------------
def _resume(error: SttError) -> str:
    lead = "fetch it later" if error.facts.get("later") else "resume with"
    return f"{lead}: {fetch_command(error.facts['job_id'])}"


def _instead(error: SttError) -> str:
    instead = error.facts.get("instead")
    return f"give the words with {option_flag(instead)} instead; " if instead else ""


def _takers(error: SttError) -> str:
    takers = error.facts.get("takers")
    return f"models that take it: {', '.join(takers)} (see stt models)" if takers else "no model takes it"


def _timed_families() -> str:
    """The model families whose results carry word timings, as the catalogue says."""
    from stt_cli.api.catalogue import families  # lazy for start-up: read only when a format needs timings

    return ", ".join(family.name for family in families() if family.word_timings)


def _kept(error: SttError, lead: str = "") -> str:
    """Where a rendering failed, the job's result is kept: the command that prints it in a format that works."""
    job_id = error.facts.get("job_id")
    if job_id is None:
        return ""
    shown = fetch_command(job_id, ("format", ["-f", error.facts.get("format", "text")]), ("output", []))
    return f"{lead}the result is kept: {shown}"


def _login_for(base_url: str) -> str:
    """`stt auth login`, with the base URL when the key is for another host than the service's."""
    from stt_cli.core.credentials import key_host  # lazy for start-up: read only when a key is refused

    if key_host(base_url) == key_host(SERVICE_BASE_URL):
        return "stt auth login"
    return command_line("stt", "auth", "login", "--base-url", base_url)


def _key_refused(error: SttError) -> str:
    origin = error.origin
    source = origin.source if origin is not None else ""
    if source.startswith("$"):
        fix = f"check {source[1:]}, or unset it to use the key stored by `stt auth login`"
    elif source.startswith("key file"):
        fix = f"store the right key with `{_login_for(str(error.facts.get('base_url') or SERVICE_BASE_URL))}`"
    elif source == "flag":
        fix = "check the key given with --api-key"
    else:
        fix = "check the key, or store it with `stt auth login`"
    return f"{fix}; keys are issued at {KEY_PAGE}"


def _base_url(error: SttError) -> str:
    """The base URL with the API's own path, /v1, set where the wrong one came from."""
    from urllib.parse import urlsplit, urlunsplit  # lazy for start-up: stt --help

    base = str(error.facts.get("base_url", ""))
    parts = urlsplit(base)
    fixed = urlunsplit((parts.scheme, parts.netloc, "/v1", "", "")) if parts.netloc else ""
    if not fixed or base.rstrip("/") == fixed:
        return f"check the base URL (--base-url or AIML_API_BASE); the service's is {SERVICE_BASE_URL}"
    source = error.origin.source if error.origin is not None else "flag"
    if source.startswith("$"):
        how = f"export {source[1:]}={fixed}"
    elif source.startswith("config file"):
        how = f"stt config set base_url {fixed}"
    else:
        how = f"--base-url {fixed}"
    return f"the API's base URL ends in /v1: {how}"


def _setting(error: SttError) -> str:
    """How to set a setting right: where its bad value came from says what to change."""
    key = error.facts.get("key", "")
    example = error.facts.get("example") or "VALUE"
    where = str(error.facts.get("where") or "")
    if where.startswith("$"):
        return f"set {where[1:]} to a value like {example}, or unset it"
    if "config file" in where:
        return f"fix it with `stt config set {key} {example}`, or `stt config unset {key}`"
    return f"e.g. stt config set {key} {example}"


# The next step of each fix: text with the error's facts in {braces}, or a function of the error.
Wording = str | Callable[[SttError], str]
HINTS: dict[Fix, Wording] = {
    Fix.RESUME: _resume,
    Fix.FETCH_AGAIN: lambda e: fetch_command(e.facts["job_id"]),
    Fix.KEPT_AS: lambda e: _kept(e),
    Fix.WRITE_ELSEWHERE: lambda e: (
        "pass --force to replace it, or write elsewhere: "
        + fetch_command(e.facts["job_id"], ("output", ["-o", path_word(f"{e.facts['path']}.new")]))
    ),
    Fix.WRITE_AGAIN: lambda e: fetch_command(e.facts["job_id"], ("output", ["-o", path_word(e.facts["path"])])),
    Fix.FORCE: "pass --force to overwrite it, or pick another name",
    Fix.NAME_A_FILE: "name a file, or use --output-dir",
    Fix.SHORTER_NAME: "pick a shorter name with -o, or rename the source",
    Fix.OUTPUT_BOTH: "pick one",
    Fix.OUTPUT_ENDS_IN_SLASH: "use --output-dir DIR, or name a file",
    Fix.OTHER_OUTPUT_DIR: "pick another --output-dir, or move it aside",
    Fix.STEM_IS_DIRECTORY: "use --output-dir DIR",
    Fix.STEM_IS_STREAM: "use -o STEM or --output-dir",
    Fix.STEM_IS_FOLDER: lambda e: f"use --output-dir {path_word(e.facts['output'])}, or name a stem inside it",
    Fix.OUTPUT_DIR: lambda e: (
        "use --output-dir DIR for several"
        if e.facts.get("stdout") and not e.facts.get("jobs")
        else "use --output-dir DIR instead"
    ),
    Fix.STEM_OR_DIR: "add -o STEM (it writes STEM.srt, STEM.vtt, ...) or --output-dir DIR",
    Fix.FILES_FOR_RECORDS: "add -o PATH or --output-dir DIR",
    Fix.CHANNEL: lambda e: "pick one of those, or leave --channel out" + _kept(e, "; "),
    Fix.TEXT_FORMAT: lambda e: (
        f"use -f text or -f json, or a model with timestamps ({_timed_families()})" + _kept(e, "; ")
    ),
    Fix.RECURSIVE: "pass --recursive to transcribe the media in it",
    Fix.MAX_SIZE: "raise --max-size, or leave it out",
    Fix.PIPE_AUDIO: "pipe the audio in: cat talk.wav | stt run -",
    Fix.PIPE_IDS: "pipe them in one a line: stt jobs --json | jq -r .generation_id",
    Fix.PICK_ONE: "pick one",
    Fix.SOURCES: "pass files, directories (--recursive) or URLs, or --from-file LIST",
    Fix.RENAME_SOURCE: "rename it (convmv can convert a whole folder), or pipe the audio in: stt run - < FILE",
    Fix.JOB_ID: "copy the id printed by `stt submit` or `stt jobs`",
    Fix.JOB_PREFIX: lambda e: (
        f"type at least {e.facts['short']} characters of the id, as `stt jobs` shows it"
        if "short" in e.facts
        else "type more characters of the id; `stt jobs --wide` shows whole ids"
    ),
    Fix.JOB_GONE: "results are kept for one hour only; check the id with `stt jobs`",
    Fix.NO_JOB_YET: "pass a job id, or submit one first",
    Fix.FORGET_JOB: lambda e: "forget it: " + id_command("stt jobs rm", str(e.facts["job_id"])),
    Fix.NETWORK: "check the network and the base URL (--base-url / AIML_API_BASE), then try again",
    Fix.NOT_THE_SERVICE: "check the base URL (--base-url / AIML_API_BASE): this does not answer like the service",
    Fix.BASE_URL: _base_url,
    Fix.KEY_MISSING: "set AIML_API_KEY, pass --api-key, or run `stt auth login` (keys are issued at "
    + KEY_PAGE
    + "); to try stt without an account, see `stt emulator --help`",
    Fix.KEY_OTHER_HOST: lambda e: (
        "export AIML_API_KEY=KEY or pass --api-key KEY for it, or store a key for it: "
        f"{_login_for(e.facts['base_url'])}"
    ),
    Fix.KEY_REFUSED: _key_refused,
    Fix.EMPTY_KEY: "pass the key, or leave the flag out",
    Fix.KEY_ELSEWHERE: "pass the key with --api-key or AIML_API_KEY",
    Fix.KEY_DENIED: "check your account's credits and the key's permissions",
    Fix.KEY_FILE: "run `stt auth logout`, then `stt auth login`",
    Fix.KEY_PROMPT: 'type it at the prompt, or pipe it: printf %s "$KEY" | stt auth login',
    Fix.KEY_LOGIN: f"copy the key again (keys are issued at {KEY_PAGE}); --no-check stores it unchecked",
    Fix.KEY_OFFLINE: "check the network and the base URL, or store the key without asking: stt auth login --no-check",
    Fix.REJECTED: _rejected,
    Fix.OPTION_OF_OTHERS: lambda e: _instead(e) + _takers(e),
    Fix.MODEL_FIELDS: "see the field with: stt models {model}",
    Fix.UNCHECKED_FIELDS: "send the model's own field instead, as its documents name and type it: "
    "--param FIELD=VALUE, or --param-json FIELD=JSON",
    Fix.BUSY: "wait a minute and try again, or lower the number of jobs in flight",
    Fix.LATER: "try again later; the service may be degraded",
    Fix.SETTING: _setting,
}

# The messages that name a flag, worded here from the facts (the lower layers' own text names none).
MESSAGES: dict[Fix, Wording] = {
    Fix.EMPTY_KEY: "--api-key was given an empty value",
    Fix.OUTPUT_DIR: lambda e: (
        f"{'-o - (stdout)' if e.facts.get('stdout') else '-o'} takes a single job but {e.facts['count']} ids were given"
        if e.facts.get("jobs")
        else "-o - (stdout) takes a single source"
        if e.facts.get("stdout")
        else f"-o names one file but {e.facts['count']} sources were given"
    ),
    Fix.OUTPUT_BOTH: "-o and --output-dir cannot be used together",
    Fix.OUTPUT_ENDS_IN_SLASH: "-o {output} names a directory (it ends in /)",
    Fix.STEM_IS_DIRECTORY: "-o {output} names a directory, not a stem for {count} files",
    Fix.STEM_IS_STREAM: "-o {output} is a device or stream; {count} formats need files",
    Fix.STEM_IS_FOLDER: "-o {output} is a directory",
    Fix.CHANNEL: lambda e: (
        f"--channel {e.facts['channel']}: the result has channel(s) "
        + (", ".join(map(str, e.facts["available"])) or "none")
    ),
    Fix.FILES_FOR_RECORDS: "--json prints a record of each source on stdout, so the results must go to files",
}


def _worded(wording: Wording, error: SttError) -> str | None:
    """The wording with the error's facts in it; None when a fact it needs is missing (the error's own words
    are shown instead: a missing fact is a bug, never a traceback)."""
    try:
        return wording(error) if callable(wording) else wording.format_map(error.facts)
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def explain(error: SttError) -> tuple[str, str | None]:
    """The one line a failure is shown as: its message (with the origin of the setting at fault) and its hint
    (plain advice, then the next step in stt's words)."""
    wording = MESSAGES.get(error.fix) if error.fix is not None else None
    message = (_worded(wording, error) if wording is not None else None) or error.message
    if error.origin is not None and "{origin}" in message:
        message = message.replace("{origin}", source_words(error.origin))
    elif error.origin is not None and error.origin.source != "default":
        message = f"{message} (set by {source_words(error.origin)})"
    step = _worded(HINTS[error.fix], error) if error.fix is not None else None
    option = error.facts.get("option")
    if isinstance(option, str):  # the lower layers name an option by its key: {option} is its spelling
        message = message.replace("{option}", option_flag(option))
        step = step.replace("{option}", option_flag(option)) if step else step
        hint = error.hint.replace("{option}", option_flag(option)) if error.hint else error.hint
    else:
        hint = error.hint
    if hint and step:
        step = f"{hint}: {step}" if error.facts.get("then") else f"{hint}; {step}"
    shown = step or hint
    return spell(message), spell(shown) if shown else None


# --- What the dry run says of a price: where it came from, how old it is, or how to get one -----------------
def price_words(price: Quote, now: float) -> str:
    """The dry run's price line: the price a second and where it came from, or why there is none and the
    command that fetches one. Only the service's own list prices a run: stt has no price of its own."""
    from stt_cli.cli.amounts import ago, dollars  # lazy for start-up: stt --help
    from stt_cli.core.pricelist import NO_LIST, NOT_LISTED  # lazy for start-up: stt --help

    refresh = "stt models --refresh"
    if price.fetched_at is None or price.why_none == NO_LIST:
        return f"no price known for {price.model}: run {refresh} to fetch the service's model list and its prices"
    when = f"the service's model list, fetched {ago(now - price.fetched_at)}"
    stale = f"; it is over a day old: {refresh} fetches the current one" if price.stale else ""
    if price.usd_per_second is not None:
        return f"{dollars(price.usd_per_second)} a second of audio for {price.model}, from {when}{stale}"
    if price.why_none == NOT_LISTED:
        return f"no price known for {price.model}: {when}, does not list it{stale or f' ({refresh} to look again)'}"
    return f"no price a second for {price.model}: {when}, has it {price.why_none}{stale}"


def as_dict(error: SttError) -> dict[str, Any]:
    """A failure as --json prints it: its exit code, message and hint."""
    message, hint = explain(error)
    return {"code": int(error.exit_code), "message": message, "hint": hint}
