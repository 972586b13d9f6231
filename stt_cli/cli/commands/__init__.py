"""The thin commands: parse options, call one use case (core/), hand the result to the output layer."""
