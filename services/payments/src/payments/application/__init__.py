"""payments application layer: commands, queries, policies, the provider-call step."""
