"""Alembic environment of the orders database (runs as the owner role).

`config.attributes` may carry ``settings`` and ``schema`` (the integration tests migrate a
private schema of ``shop_test`` this way); otherwise the settings come from the environment.
"""

from alembic import context
from orders.adapters.read_models import metadata
from orders.application.app import OrdersApp
from orders.config import OrdersSettings
from shop_runtime.idempotency import idempotency_metadata
from shop_runtime.migrations import run_migrations
from shop_runtime.tenant_directory import tenant_directory_metadata

settings = context.config.attributes.get("settings") or OrdersSettings(service_name="orders")
run_migrations(
    metadata,
    idempotency_metadata,
    tenant_directory_metadata,
    settings=settings,
    event_store_apps=[OrdersApp.name],
    schema=context.config.attributes.get("schema"),
)
