"""analytics domain: value objects and domain errors.

Imports no I/O library (import-linter)."""
