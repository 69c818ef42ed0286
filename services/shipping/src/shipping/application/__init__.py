"""shipping application layer: commands, queries and policies over the domain."""
