"""Processes of the shipping service (api; relay, consumer and projector to come)."""
