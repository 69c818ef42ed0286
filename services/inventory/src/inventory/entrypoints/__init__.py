"""Processes of the inventory service (api; relay, consumer and projector to come)."""
