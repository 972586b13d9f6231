"""How the command line spells the options the layers below name by their keys: diarize -> --diarize, and the
{opt:KEY} a lower layer's words carry. Tiny on purpose: every stderr line goes through it."""

from __future__ import annotations

import re


def option_flag(key: str) -> str:
    """How the command line spells an option the lower layers name by its key: diarize -> --diarize."""
    return "--" + key.replace("_", "-")


_OPTION_TOKEN = re.compile(r"\{opt:([a-z_]+)\}")


def spell(text: str) -> str:
    """A lower layer's words with each option it names as {opt:KEY} spelt as the command line spells it."""
    return _OPTION_TOKEN.sub(lambda match: option_flag(match.group(1)), text) if "{opt:" in text else text
