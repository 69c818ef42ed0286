"""Wiring of the tenancy service: the one place that chooses real or fake adapters.

Process resources (opened once by `shop_runtime.entrypoint`, shared by every role it runs):

* ``TenancyApp`` on the service's Postgres event store (psycopg pool), with the Argon2 hasher and
  the Ed25519 token issuer (key from ``JWT_PRIVATE_KEY_PATH``, read at build time so a missing key
  stops the process at once);
* one SQLAlchemy async engine (application role) for the read models.

Workers:

* ``relay`` (role relay): notification log → ``tenancy.events.v1`` (`integration.outbound`);
* ``projector`` (role projector): notification log → ``tenants`` / ``tenant_hosts`` / ``users``.

Tenancy consumes no topic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from shop_contracts.topics import TENANCY_EVENTS
from shop_runtime.db import create_engine
from shop_runtime.entrypoint import ServiceDefinition, Worker
from shop_runtime.relay import Relay
from shop_runtime.settings import ServiceSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tenancy.adapters.passwords import Argon2PasswordHasher
from tenancy.adapters.projector import TenancyProjector
from tenancy.adapters.read_models import SqlTenantNames, SqlUserQueries
from tenancy.adapters.signing import load_token_issuer
from tenancy.adapters.tenant_resolver import TenancyTenantResolver
from tenancy.api.app import create_api
from tenancy.api.deps import TenancyServices
from tenancy.application.app import TenancyApp
from tenancy.config import TenancySettings
from tenancy.integration.outbound import translate

__all__ = ["build", "services_for"]

log = logging.getLogger(__name__)

_BACKOFF_MIN = 0.5
_BACKOFF_MAX = 30.0


@dataclass
class _Opened:
    app: TenancyApp
    engine: AsyncEngine
    services: TenancyServices


def services_for(app: TenancyApp, engine: AsyncEngine) -> TenancyServices:
    """The API's view of an opened application and engine (also used by the tests)."""

    async def postgres() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return TenancyServices(
        app=app,
        names=SqlTenantNames(engine),
        users=SqlUserQueries(engine),
        resolver=TenancyTenantResolver(app, engine),
        readiness_checks={"postgres": postgres},
    )


def build(settings: ServiceSettings) -> ServiceDefinition:
    """The service's API and workers, for `shop_runtime.entrypoint`."""
    config = TenancySettings.from_service_settings(settings)
    access_ttl = timedelta(seconds=config.access_token_ttl_seconds)
    issuer = load_token_issuer(
        config.jwt_private_key_path,
        issuer=config.jwt_issuer,
        audience=config.jwt_audience,
        ttl=access_ttl,
    )
    hasher = Argon2PasswordHasher()
    opened: list[_Opened] = []

    def current() -> _Opened:
        if not opened:
            raise RuntimeError("tenancy resources are not open")
        return opened[0]

    @asynccontextmanager
    async def resources() -> AsyncIterator[None]:
        app = TenancyApp(
            config,
            hasher=hasher,
            tokens=issuer,
            access_token_ttl=access_ttl,
            refresh_token_ttl=timedelta(days=config.refresh_token_ttl_days),
        )
        engine = create_engine(config)
        opened.append(_Opened(app, engine, services_for(app, engine)))
        try:
            yield
        finally:
            opened.clear()
            await engine.dispose()
            app.close()

    async def run_relay() -> None:
        await _supervised(
            "tenancy relay",
            lambda: Relay(current().app, topic=TENANCY_EVENTS, translate=translate),
        )

    async def run_projector() -> None:
        await _supervised(
            "tenancy projector", lambda: TenancyProjector(current().app, current().engine)
        )

    return ServiceDefinition(
        name="tenancy",
        app=create_api(config, issuer=issuer, services=lambda: current().services),
        workers=(
            Worker(name="tenancy-relay", role="relay", run=run_relay),
            Worker(name="tenancy-projector", role="projector", run=run_projector),
        ),
        resources=resources,
    )


async def _supervised(name: str, make: Callable[[], Relay | TenancyProjector]) -> None:
    """Run a relay/projector loop until cancelled (the entrypoint's stop signal).

    The loops retry Kafka failures themselves but let a database error escape; losing Postgres
    for a while must not kill the process (nothing would restart it locally), so a failed loop is
    rebuilt (re-reading its saved position) after a capped exponential backoff.
    """
    backoff = _BACKOFF_MIN
    while True:
        loop = make()
        started = time.monotonic()
        try:
            await loop.run()
            return
        except Exception:
            log.warning("%s failed; restarting in %.1fs", name, backoff, exc_info=True)
        if time.monotonic() - started > 60:
            backoff = _BACKOFF_MIN  # it had been healthy for a while: start again from short waits
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, _BACKOFF_MAX)
