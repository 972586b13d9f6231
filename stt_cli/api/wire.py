"""The service's wire format, free of any HTTP library: status words, both envelopes, error bodies, option encoding."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stt_cli.api.charge import Charge

# The project's API notes: every status value the service is documented to send, matched case-insensitively.
PENDING_QUEUED = frozenset({"queued", "waiting"})
PENDING_RUNNING = frozenset({"generating", "active", "processing"})
DONE = frozenset({"completed"})
FAILED = frozenset({"error", "failed", "cancelled", "canceled", "timeout"})


class Status(StrEnum):
    """The four words `stt status` prints, plus UNKNOWN for a value the notes do not list (kept pending)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def shown(self) -> str:
        """The word printed for users and scripts: an unknown status is still running as far as they know."""
        return Status.PROCESSING.value if self is Status.UNKNOWN else self.value


def normalise_status(raw: object) -> Status:
    word = str(raw or "").strip().lower()
    if word in PENDING_QUEUED:
        return Status.QUEUED
    if word in PENDING_RUNNING:
        return Status.PROCESSING
    if word in DONE:
        return Status.COMPLETED
    if word in FAILED:
        return Status.FAILED
    return Status.UNKNOWN


# --- Ids: data, never code or paths ------------------------------------------------------------------
# UUIDs and the short ids of newer models (RlLz0hRdAs9voL5Qi1Pzr, XY3D-mYpFxC-WIx-Lv3wh) use only these
# characters: nothing a shell, a URL, a file system or an option parser reads as syntax.
MAX_ID_LENGTH = 128
# A short id starts with "-" about one time in 64 (its alphabet has 64 characters): such a job is billed, so
# its id is taken, never dropped. What keeps it from being read as an option (`stt fetch "$id"` with the
# id -ocapture would write ./capture) is the commands' parsing: an argument that is a job id of the ledger
# is an id (cli/dash_ids.py), and every command stt prints puts such an id after "--". Not "-" alone nor
# a few characters: those are what options look like.
_ID = re.compile(rf"[A-Za-z0-9_][A-Za-z0-9_-]{{0,{MAX_ID_LENGTH - 1}}}|-[A-Za-z0-9_-]{{7,{MAX_ID_LENGTH - 1}}}")


# --- The emulator's local engine, named on its poll answers ------------------------------------------------
# The text-only result shape (gpt-4o, MAI) is a closed object in the provider's schemas: no room to say that the
# emulator's local engine made it. So the emulator names the engine on the poll answer's header instead, as
# `NAME VERSION`; a client reads only a plain name, and a value it cannot read is no engine.
EMULATOR_ENGINE_HEADER = "x-stt-emulator-engine"
ENGINE_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,31}")  # server data: a name shown only when it is this plain
_ENGINE_HEADER_VALUE = re.compile(r"(?P<name>[a-z][a-z0-9_.-]{0,31})(?: [A-Za-z0-9_.+-]{1,32})?")


def emulator_engine(value: str | None) -> str | None:
    """The engine's name that an x-stt-emulator-engine header gives, or None (no header, or not NAME VERSION:
    a repeated header, joined with commas, is none)."""
    if value is None or len(value) > 80:
        return None
    found = _ENGINE_HEADER_VALUE.fullmatch(value)
    return found["name"] if found else None


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def shown_id(value: object) -> str:
    """An id stt refused, escaped and cut so that printing it is harmless."""
    text = value if isinstance(value, str) else repr(value)
    return ascii(text[:80] + ("..." if len(text) > 80 else ""))


# --- Text from the server, made safe for a terminal and for files -----------------------------------
# Escape sequences are removed whole (CSI, OSC with its payload, DCS/SOS/PM/APC strings, two-character
# ESC sequences), in their 7-bit and 8-bit forms; then every other C0 control but newline and tab, DEL
# and the C1 controls. Bidi overrides and isolates can make a line read differently from what it holds.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    # A string's payload stops at any introducer: an unterminated one costs one scan, never one per start.
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\x90\x98\x9b\x9d\x9e\x9f]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|\r")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\n|\u2028|\u2029")  # what splitlines() would take for a new line


def clean_text(text: str) -> str:
    """Text for stdout and files: escape sequences and control characters out, newlines and tabs kept."""
    if _UNSAFE.search(text) is None:  # the usual case, at the speed of one C scan
        return text
    return _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\r\n", "\n")))


def sanitize(text: str, limit: int = 500) -> str:
    """Text for stderr: also one line, no bidi controls, and bounded (cut before it is cleaned, too)."""
    text = _BIDI.sub("", clean_text(text[: limit * 4 + 64]))
    text = _LINE_BREAKS.sub(" | ", text).replace("\t", " ").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# json.dumps escapes C0 itself; DEL, C1 and the bidi controls are written as \u escapes too, so `cat` of
# a JSON document is as safe as its text rendering while its value stays exactly the payload.
_JSON_ESCAPED = (0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_JSON_ESCAPES = {code: f"\\u{code:04x}" for code in _JSON_ESCAPED}


_JSON_UNSAFE = re.compile("[" + "".join(chr(code) for code in _JSON_ESCAPED) + "]")


def json_text(value: Any, *, indent: int | None = None) -> str:
    """JSON for stdout: UTF-8 text, and nothing in it that a terminal would act on."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return text.translate(_JSON_ESCAPES) if _JSON_UNSAFE.search(text) else text  # no copy when none is there


# --- Reading an answer: bounded nesting, element counts and numbers ------------------------------------
# A 10-hour, 3-speaker diarized result holds 235,000 objects and arrays and 3.1 million values (bench/
# hostile.py): the bounds are six and two and a half times that, so the memory a body of tiny values can
# take is bounded too (`[{},{},...]` costs 40 times its size in Python objects).
MAX_JSON_DEPTH = 64  # real results nest 10 deep at most (paragraphs in channels in results)
MAX_JSON_CONTAINERS = 1_500_000
MAX_JSON_VALUES = 8_000_000  # counted as the commas and colons of the text
# Where a number may be past the largest double: a 3-digit exponent, or a run of 300 digits.
_BIG_NUMBER = re.compile(rb"[eE]\+?[0-9]{3,}|[0-9]{300,}")
_SURROGATE_ESCAPE = re.compile(rb"\\[uU][dD][89a-fA-F]")


class TooDeep(ValueError):
    """An answer stt will not hold in memory or write back out: too deep, too many parts, numbers JSON lacks."""


def parse_json(body: bytes | bytearray, secret: str | None = None) -> Any:
    """A JSON answer within the bounds; TooDeep when past them, ValueError when it is not JSON.

    Lone surrogates (an escape such as \\ud800 with no pair) become U+FFFD: no UTF-8 file or terminal can
    carry them. NaN, Infinity and numbers past the largest double are refused: JSON cannot write them back.
    `secret` (the API key) is masked in every string, also where escapes spelled it (sk\\u002d...).
    """
    if body.count(b"{") + body.count(b"[") > MAX_JSON_CONTAINERS:
        raise TooDeep(f"the answer holds more than {MAX_JSON_CONTAINERS:,} objects and arrays")
    if body.count(b",") + body.count(b":") > MAX_JSON_VALUES:
        raise TooDeep(f"the answer holds more than {MAX_JSON_VALUES:,} values")
    try:
        if _BIG_NUMBER.search(body) is None:
            data = json.loads(body, parse_constant=_no_constant)
        else:
            data = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise TooDeep(f"the answer nests deeper than {MAX_JSON_DEPTH} levels") from None
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if type(item) is dict else item if type(item) is list else ()
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                if depth >= MAX_JSON_DEPTH:
                    raise TooDeep(f"the answer nests deeper than {MAX_JSON_DEPTH} levels")
                stack.append((child, depth + 1))
    masked = secret if secret and b"\\u" in body else None  # the raw spelling is masked in the bytes already
    if masked is not None or _SURROGATE_ESCAPE.search(body) is not None:
        data = _repair(data, masked)
    return data


def _no_constant(name: str) -> Any:
    raise TooDeep(f"the answer holds {name}, which is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise TooDeep(f"the answer holds a number past the largest a double can hold ({text[:40]})")
    return value


def _repair(value: Any, secret: str | None = None) -> Any:
    """Every string with its lone surrogates replaced by U+FFFD (pairs joined into their character), and
    `secret` masked."""
    if isinstance(value, str):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value.replace(secret, "****") if secret else value
    if isinstance(value, list):
        return [_repair(v, secret) for v in value]
    if isinstance(value, dict):
        return {_repair(k, secret): _repair(v, secret) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class JobState:
    """One poll's answer, whichever envelope carried it."""

    generation_id: str
    status: Status
    raw_status: str
    payload: dict[str, Any] | None = None
    error: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    charge: Charge | None = None  # what the answer's headers said of the job's cost (api/cost.py)
    engine: str | None = None  # the emulator's local engine that transcribed it, as its header named it

    def as_dict(self) -> dict[str, Any]:
        """What `stt status --json` prints: the id, the status word, the service's own word, a failure's error."""
        body: dict[str, Any] = {
            "generation_id": self.generation_id,
            "status": self.status.shown,
            "raw_status": self.raw_status,
        }
        if self.error and self.status is Status.FAILED:
            body["error"] = self.error
        return body


def _error_text(body: dict[str, Any]) -> str | None:
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message") or error.get("name")
        if message:
            return str(message)
    elif isinstance(error, str) and error:
        return error
    message = body.get("message")
    return str(message) if message else None


MAX_STATUS_LENGTH = 40  # the longest status word kept; a longer one is no status the service sends
MAX_ERROR_LENGTH = 2000  # characters of a job's error text kept and shown


def parse_job(body: object, requested_id: str) -> JobState:
    """Read envelope A ({status, result}) or B ({id, status, output, error}); raise ValueError if neither.

    The job is the one asked about: an id in the answer is never trusted in its place.
    """
    if not isinstance(body, dict) or "status" not in body:
        raise ValueError("the poll response has no status field")
    payload = body.get("result")
    if payload is None:
        payload = body.get("output")
    if payload is not None and not isinstance(payload, dict):
        raise ValueError("the poll response's result is not an object")
    raw_status = sanitize(str(body.get("status")), MAX_STATUS_LENGTH)
    error = _error_text(body)
    return JobState(
        generation_id=requested_id,
        status=normalise_status(raw_status),
        raw_status=raw_status,
        payload=payload,
        error=None if error is None else sanitize(error, MAX_ERROR_LENGTH),
        raw=body,
    )


class BadId(ValueError):
    """The server named a job with an id stt will not use (see is_valid_id)."""


def parse_created(body: object) -> str:
    if isinstance(body, dict):
        job_id = body.get("generation_id") or body.get("id")
        if isinstance(job_id, int) and not isinstance(job_id, bool):
            job_id = str(job_id)
        if isinstance(job_id, str) and job_id.strip():
            if not is_valid_id(job_id):
                raise BadId(f"the server named the new job {shown_id(job_id)}, which is not a job id stt accepts")
            return job_id
    raise ValueError("the create response has no generation_id")


def server_message(body: bytes | bytearray, limit: int = 500, secret: str | None = None) -> str:
    """The human part of an error body: `message` (unwrapping an upstream error nested as a JSON string)."""
    try:
        data = parse_json(body, secret)
    except ValueError:
        text = bytes(body[: limit * 4]).decode("utf-8", "replace").strip()
        return sanitize(text, limit) if text else ""
    return sanitize(_message_of(data), limit)


def _message_of(data: object, depth: int = 0) -> str:
    if depth > 3:
        return str(data)
    if isinstance(data, dict):
        error = data.get("error")
        message = data.get("message")
        if isinstance(message, list):
            message = "; ".join(str(m) for m in message)
        if isinstance(message, str) and message.strip().startswith(("{", "[")):
            try:
                return _message_of(parse_json(message.encode("utf-8", "replace")), depth + 1)
            except ValueError:
                pass
        if message:
            return str(message)
        if isinstance(error, dict):
            return _message_of(error, depth + 1)
        if error:
            return str(error)
        return json.dumps(data, ensure_ascii=False)[:2000]
    if isinstance(data, list):
        return "; ".join(_message_of(item, depth + 1) for item in data)
    return str(data)


# Options: typed values as the user gave them, encoded for JSON (URL source) or for a multipart form (upload).
# A field's value is what its schema types it as: a JSON scalar, a list, an object, or null (a nullable field).
OptionValue = str | bool | int | float | list[Any] | dict[str, Any] | None

# Lists in a form: every item in a field named `name[]`, one part each, even for a list of one. That is how the
# provider's Python SDK sends a list in multipart (its client is OpenAI's, whose form encoder writes arrays in the
# "brackets" format), and how the gateway's form reader (multer, whose file object - buffer, mimetype,
# originalname, encoding, fieldname, size - the published schemas show as the `audio` field) reads an array back:
# `tag[]=ci` is the list ["ci"], where a lone `tag=ci` is the string "ci" and fails a field whose schema says array.
# Plain repeated fields (`tag=a&tag=b`) would also read as a list, but not a list of one: so brackets, always.
# An object (or an object in a list: AssemblyAI's custom_spelling) goes as its JSON text; a null, which a form
# cannot carry, is left out (the field's default, which is what null asks for).
LIST_SUFFIX = "[]"


def form_fields(options: dict[str, OptionValue]) -> list[tuple[str, str]]:
    """Booleans as true/false, numbers as decimal strings, lists as `name[]` fields, objects as JSON text."""
    fields: list[tuple[str, str]] = []
    for name, value in options.items():
        if value is None:
            continue
        if isinstance(value, list):
            fields.extend((name + LIST_SUFFIX, _form_scalar(item)) for item in value if item is not None)
        else:
            fields.append((name, _form_scalar(value)))
    return fields


def _form_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def audio_seconds(result: dict[str, Any]) -> float | None:
    """The audio's length as the result gives it (Deepgram metadata.duration, AssemblyAI audio_duration)."""
    metadata = result.get("metadata")
    for value in (
        metadata.get("duration") if isinstance(metadata, dict) else None,
        result.get("audio_duration"),
    ):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e9:
            return float(value)
    return None
