"""Processes of the analytics service (api; relay, consumer and projector to come)."""
