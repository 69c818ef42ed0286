"""Wiring of the payments service: the one place that chooses real or fake adapters.

Workers (role → what):

* relay (``relay``): notification log → ``payments.events.v1``
* consumer (``consumer``): ``orders.events.v1`` in group ``payments`` → policies
* provider worker (``consumer``): the log's *Requested events → the provider → record_result
* projector (``projector``): the log → ``payments`` / ``payment_transactions`` read model

The event store application and the SQLAlchemy engine are opened once per process (the
``resources`` context) and shared by the API and every worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from shop_contracts.topics import PAYMENTS_EVENTS
from shop_runtime.consumer import EventStoreConsumer
from shop_runtime.db import create_engine
from shop_runtime.entrypoint import ServiceDefinition, Worker
from shop_runtime.relay import Relay
from shop_runtime.settings import ServiceSettings
from sqlalchemy.ext.asyncio import AsyncEngine

from payments.adapters.projector import PaymentsProjector
from payments.adapters.provider_worker import ProviderWorker
from payments.adapters.read_models import SqlPaymentQueries, SqlWebhookLog
from payments.api.app import create_api
from payments.api.deps import PaymentsRuntime
from payments.application.app import PaymentsApp
from payments.application.provider_calls import ProviderCaller
from payments.config import PaymentsSettings
from payments.domain.provider import PaymentProvider
from payments.domain.sandbox import SandboxPaymentProvider
from payments.integration import inbound, outbound

__all__ = ["build", "providers_for"]


def providers_for(settings: PaymentsSettings) -> dict[str, PaymentProvider]:
    """The provider adapters by name. Only the sandbox exists (no real latency, deterministic)."""
    sandbox = SandboxPaymentProvider(settings.payments_webhook_secret.get_secret_value().encode())
    return {sandbox.name: sandbox}


class _Process:
    """The clients of one process, opened by `resources` and shared by the API and workers."""

    def __init__(self, settings: PaymentsSettings) -> None:
        self.settings = settings
        self._app: PaymentsApp | None = None
        self._engine: AsyncEngine | None = None

    @property
    def app(self) -> PaymentsApp:
        if self._app is None:
            raise RuntimeError("payments resources are not open")
        return self._app

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("payments resources are not open")
        return self._engine

    @asynccontextmanager
    async def resources(self) -> AsyncIterator[None]:
        self._engine = create_engine(self.settings)
        self._app = PaymentsApp(
            self.settings, default_provider=self.settings.payments_default_provider
        )
        try:
            yield
        finally:
            self._app.close()
            await self._engine.dispose()
            self._app = self._engine = None

    def runtime(self) -> PaymentsRuntime:
        return PaymentsRuntime(
            settings=self.settings,
            app=self.app,
            queries=SqlPaymentQueries(self.engine),
            webhook_log=SqlWebhookLog(self.engine),
        )


def _until_cancelled(start: Callable[[], Any]) -> Callable[[], Coroutine[Any, Any, None]]:
    """A worker body: build the loop object once resources are open, run it, stop it when
    cancelled."""

    async def run() -> None:
        loop = start()
        try:
            await loop.run()
        finally:
            loop.stop()

    return run


def build(settings: ServiceSettings) -> ServiceDefinition:
    """The service's API and background workers, for `shop_runtime.entrypoint`."""
    config = PaymentsSettings.from_base(settings)
    process = _Process(config)

    def relay() -> Relay:
        return Relay(process.app, topic=PAYMENTS_EVENTS, translate=outbound.translate)

    def consumer() -> EventStoreConsumer:
        runner = EventStoreConsumer(
            process.app, group_id=inbound.CONSUMER_GROUP, topics=list(inbound.TOPICS)
        )
        inbound.register(runner, process.app)
        return runner

    def provider_worker() -> ProviderWorker:
        caller = ProviderCaller(
            process.app,
            providers_for(config),
            attempts=config.payments_provider_attempts,
            retry_delay=config.payments_provider_retry_delay,
        )
        return ProviderWorker(process.app, process.engine, caller)

    def projector() -> PaymentsProjector:
        return PaymentsProjector(process.app, process.engine)

    return ServiceDefinition(
        name="payments",
        app=create_api(config, process.runtime),
        workers=(
            Worker(name="payments-relay", role="relay", run=_until_cancelled(relay)),
            Worker(name="payments-consumer", role="consumer", run=_until_cancelled(consumer)),
            Worker(
                name="payments-provider", role="consumer", run=_until_cancelled(provider_worker)
            ),
            Worker(name="payments-projector", role="projector", run=_until_cancelled(projector)),
        ),
        resources=process.resources,
    )
