"""How analytics listens to the bus: every public topic into the ClickHouse store."""
