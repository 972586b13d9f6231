"""Edit top-level keys of a TOML file as text, so the user's comments, order and other tables survive.

The standard library reads TOML (tomllib) but cannot write it; the config file only ever holds flat
`key = value` lines, so a line edit plus a parse to check the result is all `stt config` needs.
"""

from __future__ import annotations

import math
import re

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_value(value: str | int | float) -> str:
    """A TOML literal for a string or a finite number."""
    if isinstance(value, bool):
        raise TypeError("booleans are not settings")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("only finite numbers")
        return repr(value)
    escaped = []
    for ch in value:
        if ch in ('"', "\\"):
            escaped.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append(f"\\u{ord(ch):04X}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def _key_pattern(key: str) -> re.Pattern[str]:
    if not _BARE_KEY.fullmatch(key):
        raise ValueError(f"{key!r} is not a bare TOML key")
    return re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")


def _top_level_end(lines: list[str]) -> int:
    """Index of the first table header: top-level keys live above it."""
    for index, line in enumerate(lines):
        if line.lstrip().startswith("["):
            return index
    return len(lines)


def set_key(text: str, key: str, value: str | int | float) -> str:
    """`text` with `key = value` at the top level: the existing line replaced, or a new line added."""
    lines = text.splitlines()
    pattern = _key_pattern(key)
    end = _top_level_end(lines)
    new_line = f"{key} = {toml_value(value)}"
    for index in range(end):
        if pattern.match(lines[index]):
            lines[index] = new_line + _comment_of(lines[index])  # `format = "srt"  # mine` keeps `  # mine`
            break
    else:
        at = end
        while at > 0 and not lines[at - 1].strip():  # keep the blank lines before a table header below the key
            at -= 1
        lines.insert(at, new_line)
    return "\n".join(lines) + "\n"


def _comment_of(line: str) -> str:
    """The inline comment of a `key = value` line with the spaces before it, or "" (a `#` inside a string
    value is no comment)."""
    start = line.index("=") + 1
    quote = ""
    escaped = False
    for index in range(start, len(line)):
        ch = line[index]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            spaces = len(line[:index]) - len(line[:index].rstrip())
            return " " * max(spaces, 1) + line[index:]
    return ""


def unset_key(text: str, key: str) -> str:
    """`text` without the top-level `key` line."""
    pattern = _key_pattern(key)
    lines = text.splitlines()
    end = _top_level_end(lines)
    kept = [line for index, line in enumerate(lines) if index >= end or not pattern.match(line)]
    return "\n".join(kept) + "\n" if kept else ""
