"""Regenerate the completion scripts in this directory from the app: python completions/generate.py [--check]."""

from __future__ import annotations

import sys
from pathlib import Path

from stt_cli.completion import FILE_NAMES, render

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for shell, name in FILE_NAMES.items():
        path = HERE / name
        text = render(shell)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not check:
            path.write_text(text, encoding="utf-8")
            print(f"wrote completions/{name}")
    if check and stale:
        print(f"out of date: {', '.join(stale)} (run: python completions/generate.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
