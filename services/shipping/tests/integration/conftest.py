"""Fixtures of the shipping API tests: a throw-away schema of ``shop_test`` migrated with the
service's own Alembic revisions, the event store application on it, and the API with tokens minted
by an in-process issuer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from uuid import UUID, uuid4

import anyio
import httpx
import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from shipping.adapters.projector import ShipmentProjector
from shipping.adapters.read_models import SqlShipmentQueries
from shipping.api.app import create_api
from shipping.api.deps import StaticServices
from shipping.application.app import ShippingApp
from shipping.config import ShippingSettings
from shipping.domain.carrier import ShipmentLine
from shipping.domain.sandbox import SandboxCarrier
from shipping.domain.shipment import Shipment
from shop_runtime.auth import TokenIssuer, TokenVerifier
from shop_runtime.testing.postgres import TestDatabase
from sqlalchemy.ext.asyncio import AsyncEngine

SECRET = "whsec_shipping_integration_test"
NOW = 1_750_000_000
TENANT_A = UUID("aaaaaaaa-0000-4000-8000-00000000000a")
TENANT_B = UUID("bbbbbbbb-0000-4000-8000-00000000000b")
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
ADDRESS = {
    "name": "Asha Rao",
    "line1": "12 MG Road",
    "city": "Bengaluru",
    "postal_code": "560001",
    "country": "IN",
}


@pytest.fixture(scope="session")
def settings() -> ShippingSettings:
    return ShippingSettings(
        service_name="shipping", postgres_db="shop_test", shipping_webhook_secret=SECRET
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database(settings: ShippingSettings) -> AsyncIterator[TestDatabase]:
    db = TestDatabase.create(settings, prefix="shipping")
    config = Config(str(ALEMBIC_INI))
    config.attributes["settings"] = settings
    config.attributes["schema"] = db.schema
    # Alembic's env runs its own event loop: not on the test loop's thread.
    await anyio.to_thread.run_sync(command.upgrade, config, "head")
    try:
        yield db
    finally:
        await db.dispose()
        db.drop()


@pytest.fixture(scope="session")
def shipping_app(database: TestDatabase, settings: ShippingSettings) -> ShippingApp:
    app = ShippingApp(settings, schema=database.schema)
    yield app
    app.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(database: TestDatabase) -> AsyncEngine:
    return database.engine()


@pytest.fixture(scope="session")
def issuer(settings: ShippingSettings) -> TokenIssuer:
    return TokenIssuer.from_settings(settings)


class Clock:
    def __init__(self) -> None:
        self.now: float = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture(loop_scope="session")
async def client(
    settings: ShippingSettings,
    shipping_app: ShippingApp,
    engine: AsyncEngine,
    issuer: TokenIssuer,
    clock: Clock,
) -> AsyncIterator[httpx.AsyncClient]:
    verifier = TokenVerifier(issuer, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    api = create_api(
        settings,
        StaticServices(app=shipping_app, queries=SqlShipmentQueries(engine)),
        token_verifier=verifier,
        clock=clock,
    )
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://shipping.test") as c:
        yield c


@pytest.fixture
def staff(issuer: TokenIssuer) -> Callable[..., dict[str, str]]:
    """Authorization headers of a staff user of ``tenant`` with ``permissions``."""

    def headers(
        tenant: UUID = TENANT_A, permissions: tuple[str, ...] = ("shipping.view",)
    ) -> dict[str, str]:
        token = issuer.issue(subject=str(uuid4()), tenant_id=tenant, permissions=permissions)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def labelled_shipment(shipping_app: ShippingApp) -> Callable[..., Shipment]:
    """A confirmed order's shipment with its sandbox label, saved."""

    def make(tenant: UUID = TENANT_A) -> Shipment:
        shipment = shipping_app.shipment_for_confirmed_order(
            tenant_id=tenant,
            order_id=uuid4(),
            lines=[ShipmentLine(sku_id=uuid4(), quantity=2)],
            address=ADDRESS,
        )
        assert shipment is not None
        shipping_app.save(shipment)
        shipping_app.create_pending_labels(SandboxCarrier(), limit=1000)
        return shipping_app.shipment(shipment.id, tenant)

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def project(shipping_app: ShippingApp, engine: AsyncEngine) -> Callable[[], object]:
    projector = ShipmentProjector(shipping_app, engine)

    async def run() -> None:
        while await projector.run_once():
            pass

    return run
