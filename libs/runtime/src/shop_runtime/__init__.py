"""Shared runtime plumbing for the services."""
