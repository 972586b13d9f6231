"""Hints at the edge: the layers below the terminal name no command and no flag, and the one table of
stt_cli/cli/hints.py words every next step they point at (renaming a command or a flag touches cli/ only)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from stt_cli.cli.app import COMMANDS as ROOT_COMMANDS
from stt_cli.cli.hints import HINTS, MESSAGES, explain
from stt_cli.cli.spelling import option_flag, spell
from stt_cli.errors import Fix, Origin, StillPending, UsageError

PACKAGE = Path(__file__).resolve().parents[3] / "stt_cli"
LOWER = sorted(p for layer in ("api", "core", "formats") for p in (PACKAGE / layer).rglob("*.py"))
COMMANDS = re.compile(rf"\bstt ({'|'.join(ROOT_COMMANDS)})\b")  # every command of the root table
LONG_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
SHORT_FLAG_IN_PROSE = re.compile(r"(?:^|\s)-[a-zA-Z](?=\s|$)")  # `-o FILE` in a sentence; ["-i", path] argv is not
ALLOWED = {
    # The emulator's placeholder label names the emulator, not a command to run.
    ("formats/placeholder.py", "[stt emulator placeholder: not a transcript of your audio]"),
}


def _named(text: str) -> re.Match[str] | None:
    """A command or a flag a piece of text names: a short flag only in prose (an argv item like "-i" is not)."""
    prose = " " in text.strip()
    return COMMANDS.search(text) or LONG_FLAG.search(text) or (SHORT_FLAG_IN_PROSE.search(text) if prose else None)


def _literals(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module, its docstrings aside (they may name what they serve)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@pytest.mark.parametrize("path", LOWER, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_lower_layers_name_no_command_and_no_flag(path: Path) -> None:
    where = str(path.relative_to(PACKAGE))
    for line, text in _literals(path):
        if (where, text) in ALLOWED:
            continue
        named = _named(text)
        assert named is None, f"{where}:{line} names {named.group(0)!r}: point at a Fix or write {{opt:KEY}}"


def test_the_check_finds_what_it_looks_for() -> None:
    for text in ("see stt jobs", "pass --force", "use -o FILE", "-f srt: no timings"):
        assert _named(text) is not None, text
    for text in ("-i", "a--b", "file:-x", "16-bit PCM", "the {opt:force} flag", "Idempotency-Key"):
        assert _named(text) is None, text
    assert len(LOWER) > 40


def test_every_fix_has_its_words() -> None:
    assert set(HINTS) == set(Fix), f"no words for {set(Fix) - set(HINTS)}"
    assert set(MESSAGES) <= set(Fix)


def test_explain_words_the_fix_the_origin_and_the_options() -> None:
    pending = StillPending("job j-1 is still queued", fix=Fix.RESUME, job_id="j-1", later=True)
    assert explain(pending) == ("job j-1 is still queued", "fetch it later: stt fetch j-1")
    typed = UsageError("the {opt:max_size} is 10", "raise {opt:max_size}")
    assert explain(typed) == ("the --max-size is 10", "raise --max-size")
    option = UsageError("{option} is not an option of m", fix=Fix.MODEL_FIELDS, option="keyterm", model="m")
    assert explain(option) == ("--keyterm is not an option of m", "see the field with: stt models m")
    blamed = UsageError("the base URL is bad", "use https", origin=Origin("base_url", "$AIML_API_BASE"))
    assert explain(blamed) == ("the base URL is bad (set by $AIML_API_BASE)", "use https")
    assert spell("{opt:audio_prep} off") == "--audio-prep off" == f"{option_flag('audio_prep')} off"


def test_a_missing_fact_shows_the_lower_layer_s_own_words_not_a_traceback() -> None:
    broken = UsageError("the output exists", fix=Fix.STEM_IS_FOLDER)  # its message names the output it lacks
    message, hint = explain(broken)
    assert message == "the output exists" and hint is None
