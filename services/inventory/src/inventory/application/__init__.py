"""inventory application: commands, queries' ports and policies (reactions to inbound events)."""
