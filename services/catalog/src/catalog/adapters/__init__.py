"""catalog adapters: OpenSearch product search (index, projector, queries)."""
