"""The use cases, one module each, free of any terminal: what the thin commands of stt_cli/cli/commands call."""
