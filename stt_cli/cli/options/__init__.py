"""The flags, declared once, in groups that reach a command as one object each (see cli/build.py):

    sources.py        --max-size, --from-file, --recursive; the batch's --concurrency and friends
    transcription.py  --model and each transcription flag, in each model's own fields (the Request)
    results.py        --format, -o, --output-dir, --force and the subtitle limits (the OutputOptions)
    waiting.py        --poll-interval, --timeout
    connection.py     --base-url, --api-key (the Connector)

Each group sits in its own module so that a command imports only the ones it uses: `stt status` needs
the connection options, not the sixty of `stt run` (start-up time is a feature). What they share sits in
values.py (the format and mode choices, the number checks); the help panels' names in cli/help.py.
"""
