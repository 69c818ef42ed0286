"""Every subscription of the catalog service, in one place.

* group ``catalog-search`` (`SinkConsumer`, at-least-once into the idempotent search projector):
  ``SEARCH_TOPICS`` = ``catalog.events.v1``, ``inventory.events.v1``, ``tenancy.events.v1`` →
  OpenSearch (the sink: `catalog.adapters.search_sink`).
* group ``catalog.tenant_directory`` (`SqlConsumer`, exactly-once): ``tenancy.events.v1`` → the
  ``tenant_directory`` table that resolves anonymous storefront tenants.
"""

from __future__ import annotations

from shop_contracts.topics import CATALOG_EVENTS, INVENTORY_EVENTS, TENANCY_EVENTS
from shop_runtime.consumer import SqlConsumer
from shop_runtime.settings import ServiceSettings
from shop_runtime.tenant_directory import register_tenant_directory
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["SEARCH_TOPICS", "tenant_directory_consumer"]

SEARCH_TOPICS = (CATALOG_EVENTS, INVENTORY_EVENTS, TENANCY_EVENTS)


def tenant_directory_consumer(
    engine: AsyncEngine, settings: ServiceSettings, *, group_id: str = "catalog.tenant_directory"
) -> SqlConsumer:
    runner = SqlConsumer(engine, group_id=group_id, topics=[TENANCY_EVENTS], settings=settings)
    register_tenant_directory(runner)
    return runner
