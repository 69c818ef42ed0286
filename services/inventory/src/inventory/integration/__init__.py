"""inventory integration: contract events in (inbound) and out (outbound)."""
