"""The control plane's own rules (/_emulator/*), on top of guard.py's: who may script the emulator, and what
a script may say.

A request to a control endpoint is refused, before its body is read, when its Host is not localhost or a
loopback address (even when --host listens beyond loopback: the API may be shared, the controls are the
user's), when a POST's Content-Type is not application/json (a page can send text/plain, a form or
multipart without asking; application/json it cannot send without a preflight, which guard.py refuses), and,
when the emulator was started with --api-key, when the request does not carry that key the way the API
takes it (Authorization: Bearer KEY). /_emulator/prove is the one endpoint open without the key: it is how
a client learns that the port holds its own user's emulator before it sends the key there (proof.py).

The port in Host is not compared with the listening port: a browser always names the port it connects to,
so the name is what tells a rebinding page apart, and a port forward (ssh -L, a container's published
port) rightly names another.

The bodies: each endpoint's JSON is checked for its shape (an object, known fields, values of their types,
bounded numbers) and refused with a 400 naming the problem, so no script can fail later in the middle of
a request it was meant to disturb.
"""

from __future__ import annotations

import math
import re
import secrets
from email.message import Message
from typing import Any

from stt_cli.emulator.guard import HOST, Refusal, is_loopback

PREFIX = "/_emulator/"
OPEN_WITHOUT_KEY = {"/_emulator/prove"}
ACTIONS = {"close", "truncate", "malformed", "redirect", "stall", "reset", "pass"}
FAULT_FIELDS = {"status", "headers", "body", "delay", "action", "after_bytes"}
NEXT_JOB_FIELDS = {"fail", "processing_time", "charge_on"}
MAX_FAULTS = 1000  # queued per endpoint
MAX_DELAY = 3600.0  # s
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")
HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]{0,8192}")


class Invalid(Exception):
    """A control body of the wrong shape: its message says what is wrong (a 400)."""


def is_control(path: str) -> bool:
    return path.split("?", 1)[0].startswith(PREFIX)


def refusal(method: str, path: str, headers: Message, api_key: str | None) -> Refusal | None:
    """Why a request to a control endpoint is refused (see above), or None."""
    host = headers.get("Host", "")
    match = HOST.fullmatch(host.strip())
    name = (match.group("v6") or match.group("name") or "") if match else ""
    if not is_loopback(name):
        return Refusal(421, "Misdirected Request: the emulator's controls answer only to localhost or a loopback IP")
    if method == "POST":
        kind = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if kind != "application/json":
            return Refusal(415, "Unsupported Media Type: the emulator's controls take only application/json bodies")
    if api_key is not None and path.split("?", 1)[0] not in OPEN_WITHOUT_KEY and not has_key(headers, api_key):
        return Refusal(401, "Unauthorized: the emulator's controls need its key (Authorization: Bearer <key>)")
    return None


def has_key(headers: Message, api_key: str) -> bool:
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(token.strip().encode(), api_key.encode())


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Invalid(f"{name} must be a number")
    if not low <= value <= high:
        raise Invalid(f"{name} must be from {low:g} to {high:g}")
    return float(value)


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid(f"the body must be a JSON object ({what})")
    return data


def fault_responses(data: Any, queued: int) -> list[dict[str, Any]]:
    """The responses of a POST /_emulator/faults body, checked; `queued`: how many wait already."""
    responses = _object(data, '{"endpoint": "create" or "poll", "responses": [...]}').get("responses", [])
    if not isinstance(responses, list):
        raise Invalid("responses must be a list of objects")
    if queued + len(responses) > MAX_FAULTS:
        raise Invalid(f"at most {MAX_FAULTS} faults may wait on an endpoint")
    return [fault(response, f"responses[{index}]") for index, response in enumerate(responses)]


def fault(response: Any, where: str) -> dict[str, Any]:
    """One scripted response, checked: known fields, each of its type (see server.py's docstring)."""
    if not isinstance(response, dict):
        raise Invalid(f"{where} must be an object")
    unknown = sorted(set(response) - FAULT_FIELDS)
    if unknown:
        raise Invalid(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(FAULT_FIELDS))})")
    action = response.get("action")
    if action is not None and action not in ACTIONS:
        raise Invalid(f"{where}.action must be one of {', '.join(sorted(ACTIONS))}")
    if "status" in response:
        status = response["status"]
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise Invalid(f"{where}.status must be an HTTP status, 100 to 599")
    if "delay" in response:
        _number(response["delay"], f"{where}.delay", 0, MAX_DELAY)
    if "after_bytes" in response:
        after = response["after_bytes"]
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise Invalid(f"{where}.after_bytes must be a whole number of bytes")
    headers = response.get("headers", {})
    if not isinstance(headers, dict):
        raise Invalid(f"{where}.headers must be an object")
    for name, value in headers.items():
        if not HEADER_NAME.fullmatch(name):
            raise Invalid(f"{where}.headers: {name[:40]!r} is not a header name")
        if not isinstance(value, (str, int, float)) or not HEADER_VALUE.fullmatch(str(value)):
            raise Invalid(f"{where}.headers[{name!r}] must be one line of text")
    return response


def next_job(data: Any) -> dict[str, Any]:
    """A POST /_emulator/next-job body, checked: {"fail": text, "processing_time": seconds, "charge_on": which
    answers carry its cost}, each optional (charge_on's values are the server's to check: pricing.CHARGE_ON)."""
    settings = _object(data, '{"fail": "...", "processing_time": 2.0}')
    unknown = sorted(set(settings) - NEXT_JOB_FIELDS)
    if unknown:
        raise Invalid(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(NEXT_JOB_FIELDS))})")
    fail = settings.get("fail")
    if fail is not None and not isinstance(fail, str):
        raise Invalid("fail must be a text (the job's error message)")
    if "processing_time" in settings:
        _number(settings["processing_time"], "processing_time", 0, 1e9)
    return dict(settings)


def generation_id(data: Any) -> str:
    """A POST /_emulator/expire body's job id."""
    job = _object(data, '{"generation_id": "..."}').get("generation_id")
    if not isinstance(job, str):
        raise Invalid("generation_id must be a text")
    return job


def seconds(data: Any) -> float:
    """A POST /_emulator/advance body's seconds."""
    value = _object(data, '{"seconds": 30}').get("seconds")
    try:
        return _number(value, "seconds", 0, 1e9)
    except Invalid:
        raise Invalid("seconds must be a number >= 0") from None
