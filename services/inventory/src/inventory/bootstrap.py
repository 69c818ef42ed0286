"""Wiring of the inventory service: the one place that chooses real or fake adapters.

Roles (``python -m shop_runtime.entrypoint --service inventory --roles ...``):

* ``inventory.relay`` (relay): notification log → ``inventory.events.v1`` (`InventoryRelay`);
* ``inventory.orders_consumer`` (consumer): group ``inventory`` on ``orders.events.v1``, reserve /
  commit / release;
* ``inventory.tenant_directory`` (consumer): group ``inventory.tenant_directory`` on
  ``tenancy.events.v1`` (the tenant directory behind the API's tenant resolver);
* ``inventory.expiry_sweeper`` (consumer): releases expired reservations (reason ``expired``);
* ``inventory.projector`` (projector): read models ``warehouses``, ``stock_levels``,
  ``reservations``.

The database engine and the event-store application are made once per process when it starts
(`ServiceDefinition.resources`) and shared by the API and the workers. Every worker is restarted in
place (with a growing pause) if it fails, e.g. while Postgres is unreachable, so a short outage
does not stop the process; cancellation stops it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from shop_contracts.topics import TENANCY_EVENTS
from shop_runtime.consumer import SqlConsumer
from shop_runtime.db import create_engine
from shop_runtime.entrypoint import ServiceDefinition, Worker
from shop_runtime.health import readiness
from shop_runtime.settings import ServiceSettings
from shop_runtime.tenant_directory import SqlTenantResolver, register_tenant_directory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory.adapters.projector import InventoryProjector
from inventory.adapters.read_models import SqlInventoryQueries
from inventory.adapters.sweeper import ExpirySweeper
from inventory.api.app import create_api
from inventory.application.app import InventoryApp
from inventory.config import InventorySettings
from inventory.integration.inbound import build_consumer
from inventory.integration.outbound import InventoryRelay

log = logging.getLogger(__name__)


@dataclass
class _Process:
    """What one process shares between its API and its workers, set when it starts."""

    engine: AsyncEngine | None = None
    app: InventoryApp | None = None

    def require(self) -> tuple[InventoryApp, AsyncEngine]:
        if self.app is None or self.engine is None:
            raise RuntimeError("inventory resources are not started")
        return self.app, self.engine


async def run_forever(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Run a worker loop; if it fails, log and start it again after a growing pause."""
    pause = 0.5
    while True:
        try:
            await run()
            log.warning("%s returned; restarting", name)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; restarting in %.1fs", name, pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, 30.0)


def build(settings: ServiceSettings) -> ServiceDefinition:
    """The service's API and background workers, for `shop_runtime.entrypoint`."""
    inventory_settings = InventorySettings.from_settings(settings)
    process = _Process()
    api = create_api(inventory_settings)

    @asynccontextmanager
    async def resources() -> AsyncIterator[None]:
        engine = create_engine(inventory_settings)
        app = InventoryApp(inventory_settings)
        process.engine, process.app = engine, app
        api.state.inventory = app
        api.state.queries = SqlInventoryQueries(engine)
        api.state.tenant_resolver = SqlTenantResolver(engine)

        async def postgres() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        readiness(api).add("postgres", postgres)
        try:
            yield
        finally:
            app.close()
            await engine.dispose()

    async def relay() -> None:
        app, _ = process.require()
        await run_forever("inventory.relay", InventoryRelay(app).run)

    async def orders_consumer() -> None:
        app, _ = process.require()
        await run_forever("inventory.orders_consumer", build_consumer(app).run)

    async def tenant_directory() -> None:
        _, engine = process.require()
        runner = SqlConsumer(
            engine,
            group_id="inventory.tenant_directory",
            topics=[TENANCY_EVENTS],
            settings=inventory_settings,
        )
        register_tenant_directory(runner)
        await run_forever("inventory.tenant_directory", runner.run)

    async def projector() -> None:
        app, engine = process.require()
        await run_forever("inventory.projector", InventoryProjector(app, engine).run)

    async def sweeper() -> None:
        app, engine = process.require()
        sweep = ExpirySweeper(app, SqlInventoryQueries(engine))
        await run_forever("inventory.expiry_sweeper", sweep.run)

    return ServiceDefinition(
        name="inventory",
        app=api,
        workers=(
            Worker(name="inventory.relay", role="relay", run=relay),
            Worker(name="inventory.orders_consumer", role="consumer", run=orders_consumer),
            Worker(name="inventory.tenant_directory", role="consumer", run=tenant_directory),
            Worker(name="inventory.expiry_sweeper", role="consumer", run=sweeper),
            Worker(name="inventory.projector", role="projector", run=projector),
        ),
        resources=resources,
    )
