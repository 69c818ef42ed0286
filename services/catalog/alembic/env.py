"""Alembic environment of the catalog: read models + runtime tables + the event store."""

from catalog.adapters.read_models import metadata
from catalog.config import CatalogSettings
from shop_runtime.migrations import run_migrations
from shop_runtime.tenant_directory import tenant_directory_metadata

run_migrations(
    metadata, tenant_directory_metadata, settings=CatalogSettings(), event_store_apps=["Catalog"]
)
