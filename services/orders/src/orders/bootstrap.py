"""Wiring of the orders service: the one place that chooses real or fake adapters.

Roles and workers (`python -m shop_runtime.entrypoint --service orders [--roles ...]`):

* api: carts, checkout, orders (port ``ORDERS_PORT``);
* relay ``orders-relay``: the event log → ``orders.events.v1``;
* consumer ``orders-saga`` (group ``orders-saga``: inventory, payments, shipping events → the
  orders), ``orders-catalog`` (group ``orders-catalog``: catalog events → ``sku_prices``),
  ``orders-tenant-directory`` (group ``orders.tenant_directory``: tenancy events →
  ``tenant_directory``) and ``orders-sweeper`` (checkout timeouts);
* projector ``orders-projector``: the event log → ``orders``, ``order_status_history``,
  ``checkout_deadlines``.

Clients (SQLAlchemy engine, Redis, the event store application) are created once per process in
`ServiceDefinition.resources`, shared by the API and the workers, and closed after they stop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import anyio
from fastapi import FastAPI
from redis.asyncio import Redis
from shop_contracts.topics import CATALOG_EVENTS, ORDERS_EVENTS, TENANCY_EVENTS
from shop_runtime.consumer import SqlConsumer
from shop_runtime.db import create_engine
from shop_runtime.entrypoint import ServiceDefinition, Worker
from shop_runtime.health import readiness
from shop_runtime.idempotency import IdempotencyStore
from shop_runtime.relay import Relay
from shop_runtime.settings import ServiceSettings
from shop_runtime.tenant_directory import SqlTenantResolver, register_tenant_directory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orders.adapters.cart_store import RedisCartStore
from orders.adapters.catalog_prices import CATALOG_GROUP, register_catalog_handlers
from orders.adapters.projector import OrderProjector
from orders.adapters.read_models import SqlOrderNumbers, SqlOrderQueries, SqlPriceBook
from orders.adapters.sweeper import TimeoutSweeper
from orders.api.app import create_api
from orders.application.app import OrdersApp
from orders.application.shopping import Carts, Checkout, OrdersServices
from orders.config import OrdersSettings
from orders.integration import outbound
from orders.integration.inbound import saga_consumer

__all__ = ["build", "install", "wire_services"]

log = logging.getLogger(__name__)

TENANT_DIRECTORY_GROUP = "orders.tenant_directory"


def wire_services(
    settings: OrdersSettings, app: OrdersApp, engine: AsyncEngine, redis: Redis[bytes]
) -> OrdersServices:
    """The API's use cases over real adapters (also used by the integration tests)."""
    prices = SqlPriceBook(engine)
    carts = Carts(
        RedisCartStore(
            redis,
            ttl_seconds=settings.cart_ttl_seconds,
            max_line_quantity=settings.cart_max_line_quantity,
            max_lines=settings.cart_max_lines,
        ),
        prices,
    )
    return OrdersServices(
        app=app,
        carts=carts,
        checkout=Checkout(app, carts, prices, SqlOrderNumbers(engine)),
        queries=SqlOrderQueries(engine),
    )


def install(
    api: FastAPI, services: OrdersServices, engine: AsyncEngine, redis: Redis[bytes]
) -> None:
    """Put the wired services on the FastAPI app, with the idempotency store and readiness."""
    api.state.orders_services = services
    api.state.idempotency_store = IdempotencyStore(engine, redis)
    # Anonymous calls name their tenant by X-Tenant-Id / Host (every orders route takes a token,
    # whose tenant wins; the resolver still answers for the runtime's tenant dependency).
    api.state.tenant_resolver = SqlTenantResolver(engine)

    async def postgres() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def redis_ping() -> None:
        await redis.ping()

    checks = readiness(api)
    checks.add("postgres", postgres)
    checks.add("redis", redis_ping)


async def _resilient(name: str, make: Callable[[], Awaitable[None]]) -> None:
    """Run a worker loop and start it again after a failure (Kafka or Postgres unreachable at
    start, a projector batch that cannot reach the database, ...), with a capped backoff. The
    loops keep their positions in the database, so a restart resumes where the last committed
    step ended. Cancellation (the process stopping) ends it."""
    backoff = 0.5
    while True:
        started = time.monotonic()
        try:
            await make()
            log.error("%s returned on its own; starting it again", name)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("%s failed; restarting in %.1fs", name, backoff, exc_info=True)
        if time.monotonic() - started > 60:
            backoff = 0.5  # it ran fine for a while: a fresh failure starts the backoff over
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 30.0)


@dataclass
class _Clients:
    app: OrdersApp | None = None
    engine: AsyncEngine | None = None

    def get(self) -> tuple[OrdersApp, AsyncEngine]:
        if self.app is None or self.engine is None:
            raise RuntimeError("orders resources are not entered")
        return self.app, self.engine


def build(settings: ServiceSettings) -> ServiceDefinition:
    """The service's API and background workers, for `shop_runtime.entrypoint`."""
    config = (
        settings
        if isinstance(settings, OrdersSettings)
        else OrdersSettings(**settings.model_dump())
    )
    api = create_api(config)
    clients = _Clients()

    @asynccontextmanager
    async def resources() -> AsyncIterator[None]:
        engine = create_engine(config)
        redis = Redis.from_url(config.redis_url)
        # The event store opens its pool lazily-ish; build it in a thread (it may block on I/O).
        app = await anyio.to_thread.run_sync(OrdersApp, config)
        clients.app, clients.engine = app, engine
        install(api, wire_services(config, app, engine, redis), engine, redis)
        try:
            yield
        finally:
            await redis.aclose()  # type: ignore[attr-defined]  # stubs predate aclose
            await engine.dispose()
            await anyio.to_thread.run_sync(app.close)

    def worker(name: str, role: str, make: Callable[[], Awaitable[None]]) -> Worker:
        async def run() -> None:
            await _resilient(name, make)

        return Worker(name=name, role=role, run=run)

    def relay() -> Awaitable[None]:
        app, _ = clients.get()
        return Relay(app, topic=ORDERS_EVENTS, translate=outbound.translate).run()

    def saga() -> Awaitable[None]:
        app, _ = clients.get()
        return saga_consumer(app).run()

    def catalog() -> Awaitable[None]:
        _, engine = clients.get()
        consumer = SqlConsumer(
            engine, group_id=CATALOG_GROUP, topics=[CATALOG_EVENTS], settings=config
        )
        return register_catalog_handlers(consumer).run()

    def tenants() -> Awaitable[None]:
        _, engine = clients.get()
        consumer = SqlConsumer(
            engine, group_id=TENANT_DIRECTORY_GROUP, topics=[TENANCY_EVENTS], settings=config
        )
        register_tenant_directory(consumer)
        return consumer.run()

    def projector() -> Awaitable[None]:
        app, engine = clients.get()
        return OrderProjector(
            app, engine, reservation_timeout=timedelta(seconds=config.reservation_timeout_seconds)
        ).run()

    def sweeper() -> Awaitable[None]:
        app, engine = clients.get()
        return TimeoutSweeper(app, engine, interval=config.sweeper_interval_seconds).run()

    return ServiceDefinition(
        name="orders",
        app=api,
        workers=(
            worker("orders-relay", "relay", relay),
            worker("orders-saga", "consumer", saga),
            worker("orders-catalog", "consumer", catalog),
            worker("orders-sweeper", "consumer", sweeper),
            worker("orders-tenant-directory", "consumer", tenants),
            worker("orders-projector", "projector", projector),
        ),
        resources=resources,
    )
