"""The thin commands: parse options, call one use case from jobs.py, hand the result to the output layer."""
