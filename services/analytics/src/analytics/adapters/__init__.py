"""analytics adapters: ClickHouse (chDB or server) client, schema, events sink, report queries."""
