"""The use cases and local state, free of any terminal: sources, jobs, the ledger, config and credentials."""
