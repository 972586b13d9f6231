"""The one output sink: data to stdout (text, JSON lines, tables), messages to stderr (errors, warnings, notes).

Every command writes through here; the progress views (cli/views.py) are the only other place rich is used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from stt_cli.api.wire import json_text, sanitize
from stt_cli.cli.spelling import spell
from stt_cli.errors import UsageError

# How much goes to stderr: QUIET leaves results and errors, VERBOSE adds each HTTP request (set by -q / -v).
QUIET, NORMAL, VERBOSE = 0, 1, 2
DATA_CHUNK = 1 << 20  # characters encoded and written at a time
MAX_LINE = 20_000  # characters of one stderr line (a message quoting server text is bounded before this)
_level = NORMAL
_json_errors = False


def set_verbosity(level: int) -> None:
    global _level
    _level = level


def verbosity() -> int:
    return _level


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _env_flag(name: str) -> bool:
    """NO_COLOR / FORCE_COLOR / CI count when set to anything but empty (and FORCE_COLOR=0 means no)."""
    value = os.environ.get(name, "")
    return bool(value) and not (name == "FORCE_COLOR" and value in ("0", "false"))


def color_enabled(stream: TextIO) -> bool:
    """Colour for a person at a terminal: NO_COLOR wins, FORCE_COLOR forces it, CI and pipes turn it off."""
    if _env_flag("NO_COLOR"):
        return False
    if _env_flag("FORCE_COLOR"):
        return True
    return _is_tty(stream) and not _env_flag("CI") and os.environ.get("TERM") != "dumb"


def live_enabled(stream: TextIO) -> bool:
    """Spinners, bars and live tables only for a person watching a terminal: never in CI, a pipe or -q."""
    return _level > QUIET and _is_tty(stream) and not _env_flag("CI") and os.environ.get("TERM") != "dumb"


def _console(stream: TextIO, width: int | None = None) -> Any:
    """A rich console that follows the same rules (rich's own FORCE_COLOR reading would make pipes live)."""
    from rich.console import Console  # rich loads only when it draws

    color = color_enabled(stream)
    return Console(
        file=stream, no_color=not color, color_system="auto" if color else None, force_terminal=True, width=width
    )


def _paint(text: str, code: str, stream: TextIO) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color_enabled(stream) else text


def _safe(message: str) -> str:
    """Whatever a message quotes (server text, file names), the terminal only ever gets text: escape
    sequences, control characters and bidi overrides are removed before stt adds colour of its own. The
    options the lower layers name as {opt:KEY} are spelt as the command line spells them."""

    return sanitize(spell(message), MAX_LINE)


def _emit(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def set_json_errors(on: bool) -> None:
    """--json: every error line on stderr becomes one JSON object, {"error": {"code", "message", "hint"}}."""
    global _json_errors
    _json_errors = on


def json_errors() -> bool:
    return _json_errors


def error(message: str, hint: str | None = None, code: int | None = None) -> None:
    """Always shown, -q or not; `code` is the exit code it stands for (in the JSON form)."""
    if _json_errors:
        body = {"code": code, "message": _safe(message), "hint": _safe(hint) if hint else None}
        _emit(json_text({"error": body}))
        return
    line = f"{_paint('error:', '1;31', sys.stderr)} {_safe(message)}"
    if hint:
        line += f" ({_safe(hint)})"
    _emit(line)


def warn(message: str) -> None:
    if _level == QUIET:
        return
    _emit(f"{_paint('warning:', '33', sys.stderr)} {_safe(message)}")


def info(message: str, *, always: bool = False) -> None:
    """A progress or summary line on stderr; `always` for the ones -q keeps (what failed, and how to resume)."""
    if _level == QUIET and not always:
        return
    _emit(_safe(message))


def debug(message: str) -> None:
    """A -v line: what stt is doing on the wire."""
    if _level >= VERBOSE:
        _emit(_paint(_safe(message), "2", sys.stderr))


def data(text: str) -> None:
    """The result on stdout, as UTF-8 whatever the locale says."""
    if sys.stdout is None:  # started with stdout closed (>&-)
        raise UsageError("stdout is closed, so the result has nowhere to go", "write it to a file with -o PATH")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        for start in range(0, len(text), DATA_CHUNK):  # encoded a piece at a time: no second copy of a result
            buffer.write(text[start : start + DATA_CHUNK].encode("utf-8"))
        buffer.flush()
    else:  # an in-memory stream in tests
        sys.stdout.write(text)
        sys.stdout.flush()


def json_lines(records: Iterable[Any]) -> None:
    """Data as JSON on stdout, one object a line (`--json` on every command that has it)."""

    data("".join(json_text(record) + "\n" for record in records))


MIDDLE, END = "middle", "end"  # where a cell too wide for the terminal is cut (table's `shorten`)
ELLIPSIS = "\u2026"
MIN_SHORTENED = 12  # cells of a shortened column kept at least


def table(
    headers: list[str], rows: list[list[str]], *, shorten: Mapping[str, str] | None = None, wide: bool = False
) -> None:
    """A table of data on stdout, its headers in capitals: rich on a terminal (bold headers), plain aligned
    columns for scripts and pipes.

    On a terminal too narrow for it, the columns named in `shorten` (header: MIDDLE or END), in that order,
    are cut with an ellipsis so that every row stays one line; the other tables fold a long cell. `wide`:
    nothing is cut or folded, a row longer than the terminal is left to the terminal to wrap.
    """
    from rich.cells import cell_len  # rich loads only when it draws

    headers = [h.upper() for h in headers]
    rows = [[sanitize(cell) for cell in row] for row in rows]
    widths = [max(cell_len(h), *(cell_len(r[i]) for r in rows)) for i, h in enumerate(headers)]  # in cells
    if not _is_tty(sys.stdout):
        lines = [
            "  ".join(cell + " " * (w - cell_len(cell)) for cell, w in zip(cells, widths, strict=True)).rstrip()
            for cells in [headers, *rows]
        ]
        data("\n".join(lines) + "\n")
        return
    from rich.table import Table  # rich loads only when it draws
    from rich.text import Text  # rich loads only when it draws

    console = _console(sys.stdout)
    natural = sum(widths) + 2 * (len(widths) - 1)
    cut: dict[int, int] = {}
    if not wide and shorten:
        excess = natural - console.width
        for name in shorten:
            if excess <= 0 or name.upper() not in headers:
                continue
            column = headers.index(name.upper())
            floor = max(cell_len(headers[column]), MIN_SHORTENED)
            taken = min(excess, max(widths[column] - floor, 0))
            if taken:
                cut[column] = widths[column] - taken
                excess -= taken
        if cut:
            sides = {headers.index(name.upper()): side for name, side in shorten.items() if name.upper() in headers}
            rows = [
                [shortened(cell, cut[i], sides[i]) if i in cut else cell for i, cell in enumerate(row)] for row in rows
            ]
    view = Table(box=None, header_style="bold", pad_edge=False)
    for i, header in enumerate(headers):
        if i in cut:
            view.add_column(header, no_wrap=True, overflow="ellipsis")
        else:
            view.add_column(header, overflow="fold", no_wrap=wide)
    for row in rows:
        view.add_row(*(Text(cell) for cell in row))  # Text: a file name is never read as rich markup
    if wide and natural > console.width:
        console = _console(sys.stdout, width=natural)  # rich never prints wider than its console
    console.print(view)


def shortened(text: str, width: int, side: str = END) -> str:
    """`text` cut to `width` terminal cells with an ellipsis: at the END, or in the MIDDLE keeping most of
    the end (a path's file name, whole when it fits, matters more than the folders it sits in)."""
    from rich.cells import cell_len  # rich loads only when it draws

    if cell_len(text) <= width:
        return text
    room = width - 1
    if room <= 0:
        return ELLIPSIS[:width]
    if side == END:
        return _head(text, room) + ELLIPSIS
    slash = text.rstrip("/").rfind("/")
    name = text[slash:] if slash >= 0 else text
    tail_room = cell_len(name) if cell_len(name) <= room - 3 else room - max(room // 4, 1)
    tail = _tail(text, tail_room)
    return _head(text, room - cell_len(tail)) + ELLIPSIS + tail


def _head(text: str, width: int) -> str:
    from rich.cells import cell_len  # rich loads only when it draws

    taken, used = [], 0
    for char in text:
        used += cell_len(char)
        if used > width:
            break
        taken.append(char)
    return "".join(taken)


def _tail(text: str, width: int) -> str:
    return _head(text[::-1], width)[::-1]
