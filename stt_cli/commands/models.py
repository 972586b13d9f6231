"""`stt models`: the model ids stt knows, their family, and what their results carry."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from stt_cli import output
from stt_cli.cli_kit import command
from stt_cli.models import DEFAULT_MODEL, FAMILIES

MODELS_HELP = """List the model ids stt knows and what their results carry.

"word timings" is needed for srt and vtt; "speakers" for --diarize. Any other
id is passed to the service as it is.

Examples:
  stt models
  stt models --json | jq -r 'select(.word_timings) | .model'
"""


def models(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False) -> None:
    rows = [(model, family) for family in FAMILIES for model in family.models]
    if as_json:
        output.data(
            "".join(
                json.dumps(
                    {
                        "model": model,
                        "family": family.name,
                        "word_timings": family.word_timings,
                        "speakers": family.speakers,
                        "default": model == DEFAULT_MODEL,
                    }
                )
                + "\n"
                for model, family in rows
            )
        )
        return
    output.table(
        ["model", "family", "word timings", "speakers"],
        [
            [
                model + (" (default)" if model == DEFAULT_MODEL else ""),
                family.name,
                "yes" if family.word_timings else "no",
                "yes" if family.speakers else "no",
            ]
            for model, family in rows
        ],
    )


models_app = command("models", models, MODELS_HELP, "List the known model ids and what they give")
