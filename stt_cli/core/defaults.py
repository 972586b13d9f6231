"""The user-facing defaults in one light module (nothing heavy imported), shared by options, jobs and writers."""

from __future__ import annotations

DEFAULT_CONCURRENCY = 4  # jobs in flight in a batch
DEFAULT_POLL_INTERVAL = 8.0  # s: the longest gap between status polls (jobs.poll_delays)
DEFAULT_TIMEOUT = 3600.0  # s; 0 waits for ever

# --- The subtitle knobs and their broadcast-practice defaults -------------------------------------------
MAX_LINE_WIDTH = 42
MAX_LINES = 2
MAX_CUE_DURATION = 7.0  # s
MIN_CUE_DURATION = 1.0  # s, where the gap to the next cue allows
MAX_CHARS_PER_SECOND = 17.0
PAUSE_SPLIT = 1.5  # s of silence that always starts a new cue
