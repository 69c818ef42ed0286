"""Processes of the tenancy service (api; relay, consumer and projector to come)."""
