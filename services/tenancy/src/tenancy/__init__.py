"""The tenancy service."""
