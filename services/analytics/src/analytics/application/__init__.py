"""analytics application layer: the projector feeding the store, reports, clickstream ingestion."""
