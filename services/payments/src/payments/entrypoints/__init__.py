"""Processes of the payments service (api; relay, consumer and projector to come)."""
