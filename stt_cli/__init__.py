"""stt-cli: the package version, and nothing else (kept import-free for start-up time)."""

__version__ = "0.1.0"
