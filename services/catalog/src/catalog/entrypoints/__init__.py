"""Processes of the catalog service (api; relay, consumer and projector to come)."""
