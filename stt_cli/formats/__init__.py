"""Pure renderers: a normalised Transcript (or the raw payload, for json) in, a string out."""
