"""Payments against the real Postgres: a private schema of ``shop_test`` with the payments
migrations applied, the event store in it, the API over httpx (no network)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from payments.adapters.projector import PaymentsProjector
from payments.adapters.provider_worker import ProviderWorker
from payments.adapters.read_models import SqlPaymentQueries, SqlWebhookLog
from payments.api.app import create_api
from payments.api.deps import PaymentsRuntime
from payments.application.app import PaymentsApp
from payments.application.provider_calls import ProviderCaller
from payments.config import PaymentsSettings
from payments.domain.sandbox import SandboxPaymentProvider
from pydantic import SecretStr
from shop_runtime.auth import InMemoryTenantResolver, TokenIssuer, TokenVerifier
from shop_runtime.testing.postgres import TestDatabase
from sqlalchemy.ext.asyncio import AsyncEngine

TENANT_A = UUID("00000000-0000-4000-8000-00000000000a")
TENANT_B = UUID("00000000-0000-4000-8000-00000000000b")
SHOP_HOST = "shop-a.example.test"
SECRET = "whsec_integration_test"
ISSUER, AUDIENCE = "shop-tenancy", "shop"
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


@pytest.fixture(scope="session")
def settings() -> PaymentsSettings:
    return PaymentsSettings(
        postgres_db="shop_test",
        payments_webhook_secret=SecretStr(SECRET),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
    )


@pytest.fixture(scope="session")
def database(settings: PaymentsSettings) -> Iterator[TestDatabase]:
    try:
        db = TestDatabase.create(settings, prefix="payments")
    except psycopg.OperationalError as e:
        pytest.fail(f"Postgres unreachable ({e}); start the stack: make infra-up")
    config = Config(str(ALEMBIC_INI))
    config.attributes["settings"] = settings
    config.attributes["schema"] = db.schema
    command.upgrade(config, "head")
    command.upgrade(config, "head")  # idempotent
    try:
        yield db
    finally:
        db.drop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(database: TestDatabase) -> AsyncIterator[AsyncEngine]:
    yield database.engine()
    await database.dispose()


@pytest.fixture(scope="session")
def app(database: TestDatabase) -> Iterator[PaymentsApp]:
    application = database.app(PaymentsApp, name="Payments", create=False)
    yield application
    application.close()


@pytest.fixture(scope="session")
def sandbox() -> SandboxPaymentProvider:
    return SandboxPaymentProvider(SECRET.encode())


@pytest.fixture(scope="session")
def worker(
    app: PaymentsApp, engine: AsyncEngine, sandbox: SandboxPaymentProvider
) -> ProviderWorker:
    caller = ProviderCaller(app, {"sandbox": sandbox}, attempts=2, retry_delay=0)
    return ProviderWorker(app, engine, caller)


@pytest.fixture(scope="session")
def projector(app: PaymentsApp, engine: AsyncEngine) -> PaymentsProjector:
    return PaymentsProjector(app, engine)


@pytest.fixture(scope="session")
def issuer() -> TokenIssuer:
    return TokenIssuer(issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture(scope="session")
def api(
    settings: PaymentsSettings, app: PaymentsApp, engine: AsyncEngine, issuer: TokenIssuer
) -> FastAPI:
    runtime = PaymentsRuntime(
        settings=settings,
        app=app,
        queries=SqlPaymentQueries(engine),
        webhook_log=SqlWebhookLog(engine),
    )
    api = create_api(
        settings,
        lambda: runtime,
        token_verifier=TokenVerifier(issuer, issuer=ISSUER, audience=AUDIENCE),
        tenant_resolver=InMemoryTenantResolver(
            hosts={SHOP_HOST: TENANT_A}, active=[TENANT_A, TENANT_B]
        ),
    )
    api.state.payments = runtime  # httpx's ASGI transport runs no lifespan
    return api


@pytest_asyncio.fixture(loop_scope="session")
async def client(api: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://payments.test") as c:
        yield c
