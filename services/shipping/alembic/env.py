"""Alembic environment of shipping: read models, runtime tables and the event store tables.

A caller may pass ``settings`` and ``schema`` in ``config.attributes`` (the integration tests
migrate a throw-away schema); otherwise the settings come from the environment
(``SERVICE_NAME=shipping`` → database ``shop_shipping``).
"""

from alembic import context
from shipping.adapters.read_models import metadata
from shipping.application.app import ShippingApp
from shop_runtime.migrations import run_migrations
from shop_runtime.tenant_directory import tenant_directory_metadata

run_migrations(
    metadata,
    tenant_directory_metadata,
    settings=context.config.attributes.get("settings"),
    schema=context.config.attributes.get("schema"),
    event_store_apps=[ShippingApp.name],
)
