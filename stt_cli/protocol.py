"""The service's wire format, free of any HTTP library: status words, both envelopes, error bodies, option encoding."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# api-notes.md: every status value the service is documented to send, matched case-insensitively.
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
    def is_terminal(self) -> bool:
        return self in (Status.COMPLETED, Status.FAILED)

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


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def sanitize(text: str, limit: int = 500) -> str:
    """Server text made safe for a terminal: control and bidi characters removed, one line, bounded."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\n", " | ").replace("\t", " ")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class JobState:
    """One poll's answer, whichever envelope carried it."""

    generation_id: str
    status: Status
    raw_status: str
    payload: dict[str, Any] | None = None
    error: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


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


def parse_job(body: object, requested_id: str) -> JobState:
    """Read envelope A ({status, result}) or B ({id, status, output, error}); raise ValueError if neither."""
    if not isinstance(body, dict) or "status" not in body:
        raise ValueError("the poll response has no status field")
    payload = body.get("result")
    if payload is None:
        payload = body.get("output")
    if payload is not None and not isinstance(payload, dict):
        raise ValueError("the poll response's result is not an object")
    job_id = body.get("generation_id") or body.get("id") or requested_id
    raw_status = str(body.get("status"))
    return JobState(
        generation_id=str(job_id),
        status=normalise_status(raw_status),
        raw_status=raw_status,
        payload=payload,
        error=_error_text(body),
        raw=body,
    )


def parse_created(body: object) -> str:
    if isinstance(body, dict):
        job_id = body.get("generation_id") or body.get("id")
        if isinstance(job_id, (str, int)) and str(job_id).strip():
            return str(job_id).strip()
    raise ValueError("the create response has no generation_id")


def server_message(body: bytes, limit: int = 500) -> str:
    """The human part of an error body: `message` (unwrapping an upstream error nested as a JSON string)."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
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
                return _message_of(json.loads(message), depth + 1)
            except ValueError:
                pass
        if message:
            return str(message)
        if isinstance(error, dict):
            return _message_of(error, depth + 1)
        if error:
            return str(error)
        return json.dumps(data, ensure_ascii=False)
    if isinstance(data, list):
        return "; ".join(_message_of(item, depth + 1) for item in data)
    return str(data)


# Options: typed values as the user gave them, encoded for JSON (URL source) or for a multipart form (upload).
OptionValue = str | bool | int | float | list[str]


def form_fields(options: dict[str, OptionValue]) -> list[tuple[str, str]]:
    """Booleans as true/false, numbers as decimal strings, lists as repeated fields (api-notes.md)."""
    fields: list[tuple[str, str]] = []
    for name, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            fields.append((name, _form_scalar(item)))
    return fields


def _form_scalar(value: str | bool | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)
