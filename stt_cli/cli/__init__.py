"""The terminal layer: the Typer app, its options and commands, and what is shown on stdout and stderr."""
