"""Processes of the orders service (api; relay, consumer and projector to come)."""
