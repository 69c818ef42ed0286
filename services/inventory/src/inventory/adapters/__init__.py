"""inventory adapters: read-model tables, the projector, queries and the expiry sweeper."""
