"""Audio preparation: a local source looked at (first bytes, then ffprobe) and only its speech sent, made by ffmpeg.

    sniff.py    what a file's first bytes say it is (pure)
    policy.py   what is sent of a source under each --audio-prep, and why (pure: the tables and the decision)
    probe.py    ffprobe run on a source, its answer read into Media
    ffmpeg.py   the tools as processes (found, bounded, registered, stopped) and the Conversion they make
    upload.py   the decision steps, shared by a run and --dry-run, and what the upload sends

Import the module you need: this file re-exports nothing.
"""
