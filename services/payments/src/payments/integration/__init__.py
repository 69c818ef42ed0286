"""payments integration: aggregate events → contracts (outbound), contracts → policies (inbound)."""
