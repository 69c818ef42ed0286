"""Alembic environment of inventory: read models + runtime tables + tenant directory, then the
event store tables of the ``Inventory`` application.

Settings come from the environment (``SERVICE_NAME=inventory`` → database ``shop_inventory``).
Tests pass ``config.attributes["settings"]`` and ``config.attributes["schema"]`` to migrate a
throw-away schema instead.
"""

from __future__ import annotations

from alembic import context
from inventory.adapters.read_models import metadata
from inventory.config import InventorySettings
from shop_runtime.migrations import run_migrations
from shop_runtime.tenant_directory import tenant_directory_metadata

attributes = context.config.attributes
run_migrations(
    metadata,
    tenant_directory_metadata,
    settings=attributes.get("settings") or InventorySettings(),
    event_store_apps=["Inventory"],
    schema=attributes.get("schema"),
)
