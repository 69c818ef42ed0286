"""Wiring of the shipping service: the one place that chooses real or fake adapters.

Process layout (``python -m shop_runtime.entrypoint --service shipping [--roles ...]``):

| worker | role | what |
|---|---|---|
| ``shipping-relay`` | relay | notification log → ``shipping.events.v1`` |
| ``shipping-consumer`` | consumer | group ``shipping`` on ``orders.events.v1`` → shipments |
| ``shipping-tenant-directory`` | consumer | ``shipping.tenant_directory`` on tenancy.events.v1 |
| ``shipping-label-worker`` | projector | log (Shipment.Created) → carrier → LabelCreated |
| ``shipping-projector`` | projector | notification log → read model (shipments, tracking, NDR) |

The event store application is created when the process enters the definition's ``resources``
(never at import or build time; the read-side engine is created at build time but connects only on
first use) and shared by the API and the workers. Anonymous calls (the carrier webhook) name their
tenant by ``X-Tenant-Id``/``Host``, resolved against the ``tenant_directory`` replica.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from shop_contracts.topics import SHIPPING_EVENTS, TENANCY_EVENTS
from shop_runtime.consumer import SqlConsumer
from shop_runtime.db import create_engine
from shop_runtime.entrypoint import ServiceDefinition, Worker
from shop_runtime.relay import Relay
from shop_runtime.settings import ServiceSettings
from shop_runtime.tenant_directory import SqlTenantResolver, register_tenant_directory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shipping.adapters.label_worker import LabelWorker
from shipping.adapters.projector import ShipmentProjector
from shipping.adapters.read_models import SqlShipmentQueries
from shipping.api.app import create_api
from shipping.application.app import ShippingApp
from shipping.application.views import ShipmentQueries
from shipping.config import ShippingSettings
from shipping.domain.carrier import CarrierAdapter
from shipping.domain.sandbox import SandboxCarrier
from shipping.integration import inbound, outbound

__all__ = ["ProcessServices", "build"]

log = logging.getLogger(__name__)

TENANT_DIRECTORY_GROUP = "shipping.tenant_directory"


class ProcessServices:
    """The process's shared clients; exist between entering and leaving `resources`."""

    def __init__(self, settings: ShippingSettings) -> None:
        self.settings = settings
        # An engine connects on first use only: creating it here opens nothing.
        self.engine: AsyncEngine = create_engine(settings)
        self._app: ShippingApp | None = None
        self._queries = SqlShipmentQueries(self.engine)

    @property
    def app(self) -> ShippingApp:
        if self._app is None:
            raise RuntimeError("shipping resources are not started")
        return self._app

    @property
    def queries(self) -> ShipmentQueries:
        return self._queries

    @asynccontextmanager
    async def resources(self) -> AsyncIterator[None]:
        self._app = ShippingApp(self.settings)
        try:
            yield
        finally:
            app, self._app = self._app, None
            app.close()
            await self.engine.dispose()


async def _keep_running(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Run a worker loop; if it fails (Kafka or Postgres away), log and start it again with
    backoff, so a passing outage does not take the process down. Cancellation stops it."""
    backoff = 1.0
    while True:
        try:
            await run()
            backoff = 1.0
        except Exception:
            log.exception("%s failed; restarting in %.1fs", name, backoff)
        await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
        backoff = min(backoff * 2, 30.0)


def _workers(services: ProcessServices, carrier: CarrierAdapter) -> list[Worker]:
    async def relay() -> None:
        await Relay(services.app, topic=SHIPPING_EVENTS, translate=outbound.translate).run()

    async def consumer() -> None:
        runner = inbound.build_consumer(services.app)
        try:
            await runner.run()
        finally:
            runner.stop()

    async def tenant_directory() -> None:
        runner = SqlConsumer(
            services.engine, group_id=TENANT_DIRECTORY_GROUP, topics=[TENANCY_EVENTS]
        )
        register_tenant_directory(runner)
        await runner.run()

    async def label_worker() -> None:
        await LabelWorker(services.app, carrier).run()

    async def projector() -> None:
        await ShipmentProjector(services.app, services.engine).run()

    return [
        Worker("shipping-relay", "relay", lambda: _keep_running("relay", relay)),
        Worker("shipping-consumer", "consumer", lambda: _keep_running("consumer", consumer)),
        Worker(
            "shipping-tenant-directory",
            "consumer",
            lambda: _keep_running("tenant directory", tenant_directory),
        ),
        Worker(
            "shipping-label-worker",
            "projector",
            lambda: _keep_running("label worker", label_worker),
        ),
        Worker("shipping-projector", "projector", lambda: _keep_running("projector", projector)),
    ]


def build(settings: ServiceSettings) -> ServiceDefinition:
    """The service's API and background workers, for `shop_runtime.entrypoint`."""
    shipping_settings = ShippingSettings.from_service_settings(settings)
    services = ProcessServices(shipping_settings)
    carrier = SandboxCarrier()

    async def postgres() -> None:
        async with services.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    api = create_api(
        shipping_settings,
        services,
        tenant_resolver=SqlTenantResolver(services.engine),
        readiness_checks={"postgres": postgres},
    )
    return ServiceDefinition(
        name="shipping",
        app=api,
        workers=_workers(services, carrier),
        resources=services.resources,
    )
