"""The service's side of the wire: the HTTP client, the wire format, the model catalogue and dialects."""
