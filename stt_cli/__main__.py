"""`python -m stt_cli`: the same program as the `stt` console script."""

from stt_cli.cli.main import main

main()
