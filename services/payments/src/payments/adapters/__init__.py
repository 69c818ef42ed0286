"""payments adapters: read models, projector, webhook log, provider worker."""
