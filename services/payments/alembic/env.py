"""Alembic environment of payments: read models + runtime tables, then the event store tables.

The schema (for tests) comes from ``-x schema=<name>``; settings are the payments service's (its
own database, ``shop_payments``), whatever ``SERVICE_NAME`` says.
"""

from __future__ import annotations

from alembic import context
from payments.adapters.read_models import metadata
from shop_runtime.migrations import run_migrations
from shop_runtime.settings import ServiceSettings

_x = context.get_x_argument(as_dictionary=True)
_settings = context.config.attributes.get("settings") or ServiceSettings(service_name="payments")

run_migrations(
    metadata,
    settings=_settings,
    event_store_apps=["Payments"],
    schema=_x.get("schema") or context.config.attributes.get("schema"),
)
