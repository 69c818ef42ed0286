"""Wiring of the catalog service: the one place that chooses real or fake adapters.

Workers (role → worker):

* relay      ``catalog-relay``: notification log → ``catalog.events.v1``
* projector  ``catalog-read-models``: notification log → products/categories/brands tables, then
             deletes the cached product details of the products it changed
* consumer   ``catalog-search`` (group ``catalog-search``): catalog, inventory and tenancy events
             → OpenSearch; ``catalog-tenant-directory`` (group ``catalog.tenant_directory``):
             tenancy events → ``tenant_directory`` (resolves anonymous storefront tenants)

Each worker is supervised: if its loop fails (Kafka, Postgres or OpenSearch unreachable for
longer than the runtime's own retries), it is restarted after a capped backoff instead of
stopping the process; cancellation still stops it at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from opensearchpy import AsyncOpenSearch
from redis.asyncio import Redis
from shop_contracts.topics import CATALOG_EVENTS
from shop_runtime.db import create_engine
from shop_runtime.entrypoint import ServiceDefinition, Worker
from shop_runtime.relay import Relay
from shop_runtime.settings import ServiceSettings
from shop_runtime.tenant_directory import SqlTenantResolver
from sqlalchemy import text

from catalog.adapters.product_cache import ProductCache
from catalog.adapters.projector import CatalogProjector
from catalog.adapters.search_index import SearchIndex
from catalog.adapters.search_projector import SearchProjector
from catalog.adapters.search_sink import search_consumer
from catalog.adapters.storefront import Storefront
from catalog.adapters.unique_keys import PostgresUniqueKeys
from catalog.api.app import create_api
from catalog.api.deps import CatalogComponents
from catalog.application.app import CatalogApp
from catalog.config import CatalogSettings
from catalog.integration import outbound
from catalog.integration.inbound import tenant_directory_consumer

log = logging.getLogger(__name__)


async def supervised(
    name: str,
    run: Callable[[], Awaitable[None]],
    *,
    backoff_base: float = 0.5,
    backoff_max: float = 30.0,
) -> None:
    """Run ``run`` until cancelled, restarting it (with backoff) whenever it fails or returns."""
    attempt = 0
    while True:
        try:
            await run()
            attempt = 0
            log.warning("%s returned; restarting", name)
        except asyncio.CancelledError:
            raise
        except Exception:
            attempt += 1
            log.exception("%s failed (attempt %d); restarting", name, attempt)
        delay = min(backoff_max, backoff_base * 2 ** min(attempt, 10))
        await asyncio.sleep(delay * random.uniform(0.8, 1.2))


async def ensure_search_index(index: SearchIndex, *, attempts: int | None = None) -> bool:
    """Create the search indices if missing, retrying while OpenSearch is down."""
    attempt = 0
    while True:
        attempt += 1
        try:
            await index.ensure_index()
            return True
        except Exception as e:
            if attempts is not None and attempt >= attempts:
                log.warning("search index not ensured yet: %r", e)
                return False
            await asyncio.sleep(min(30.0, 0.5 * 2 ** min(attempt, 6)))


def build(settings: ServiceSettings) -> ServiceDefinition:
    """The API and the workers, sharing one engine, event store, Redis and OpenSearch client."""
    catalog_settings = CatalogSettings.from_service_settings(settings)
    # Engines connect lazily: nothing touches the network before `resources` runs.
    engine = create_engine(catalog_settings)
    components = CatalogComponents(settings=catalog_settings)
    shared: dict[str, Any] = {}

    async def postgres_check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    components.postgres_check = postgres_check
    resolver = SqlTenantResolver(engine)

    @asynccontextmanager
    async def resources() -> AsyncIterator[None]:
        unique_keys = PostgresUniqueKeys(catalog_settings.libpq_dsn())
        unique_keys.open()
        redis = Redis.from_url(catalog_settings.redis_url)
        client = AsyncOpenSearch(catalog_settings.opensearch_url, timeout=30)
        try:
            components.app = await anyio.to_thread.run_sync(
                lambda: CatalogApp(catalog_settings, unique_keys=unique_keys)
            )
            cache = ProductCache(redis, ttl_seconds=catalog_settings.product_cache_ttl_seconds)
            index = SearchIndex(client, prefix=catalog_settings.search_index_prefix)
            shared.update(cache=cache, index=index)
            components.queries = Storefront(engine, cache=cache, search_index=index)
            # Best effort here (the API answers 503 for search until it exists); the search
            # worker insists.
            await ensure_search_index(index, attempts=1)
            yield
        finally:
            await client.close()
            await redis.aclose()  # type: ignore[attr-defined]
            if components.app is not None:
                await anyio.to_thread.run_sync(components.app.close)
            await anyio.to_thread.run_sync(unique_keys.close)
            await engine.dispose()

    async def run_relay() -> None:
        relay = Relay(components.require_app(), topic=CATALOG_EVENTS, translate=outbound.translate)
        try:
            await relay.run()
        finally:
            relay.stop()

    async def run_projector() -> None:
        projector = CatalogProjector(components.require_app(), engine, cache=shared["cache"])
        try:
            await projector.run()
        finally:
            projector.stop()

    async def run_search() -> None:
        index: SearchIndex = shared["index"]
        await ensure_search_index(index)
        consumer = search_consumer(
            SearchProjector(index),
            catalog_settings,
            group_id=catalog_settings.search_group_id,
        )
        try:
            await consumer.run()
        finally:
            consumer.stop()

    async def run_tenant_directory() -> None:
        consumer = tenant_directory_consumer(engine, catalog_settings)
        try:
            await consumer.run()
        finally:
            consumer.stop()

    def worker(name: str, role: str, run: Callable[[], Awaitable[None]]) -> Worker:
        return Worker(name=name, role=role, run=lambda: supervised(name, run))

    return ServiceDefinition(
        name="catalog",
        app=create_api(components, tenant_resolver=resolver),
        workers=(
            worker("catalog-relay", "relay", run_relay),
            worker("catalog-read-models", "projector", run_projector),
            worker("catalog-search", "consumer", run_search),
            worker("catalog-tenant-directory", "consumer", run_tenant_directory),
        ),
        resources=resources,
    )
