"""Alembic environment of tenancy: read models + runtime tables, then the event store tables."""

from shop_runtime.migrations import run_migrations
from tenancy.adapters.read_models import metadata
from tenancy.application.app import TenancyApp

run_migrations(metadata, event_store_apps=[TenancyApp.name])
