"""shipping integration: the public language in (orders events) and out (shipping events)."""
