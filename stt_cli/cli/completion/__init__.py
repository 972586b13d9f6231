"""Shell completion for bash, zsh, fish and PowerShell: a spec read from the app, templates, and the ids.

    spec.py      the command tree, read from the Typer app (commands, options, value kinds, choices)
    scripts.py   each shell's script: its template (templates/*.in) filled with the spec's tables
    ids.py       `stt __complete ids`: the ledger's newest job ids, answered before Typer is imported

The scripts are static (a Tab press never starts Python) except for job ids. `scripts/generate.py` writes
them to `completions/`, `stt completion SHELL` prints them, and a test fails when the committed files
differ from what the app and the templates make.
"""
