"""Inventory against the real Postgres of the local stack: a throw-away schema in ``shop_test``,
migrated with inventory's own Alembic revisions (read models, RLS, event store tables), the
application as the app role, and the API with tokens from an in-process issuer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from inventory.adapters.projector import InventoryProjector
from inventory.adapters.read_models import SqlInventoryQueries
from inventory.api.app import create_api
from inventory.application.app import InventoryApp
from inventory.config import InventorySettings
from shop_runtime.auth import JwksClient, TokenIssuer, TokenVerifier
from shop_runtime.testing.postgres import TestDatabase, shop_test_settings
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
ISSUER, AUDIENCE = "shop-tenancy", "shop"
JWKS_URL = "http://tenancy.test/.well-known/jwks.json"


@pytest.fixture(scope="session")
def db() -> Iterator[TestDatabase]:
    settings = shop_test_settings(service_name="inventory")
    try:
        database = TestDatabase.create(settings, prefix="inv")
    except psycopg.OperationalError as e:
        pytest.fail(f"Postgres unreachable ({e}); start the local stack: make infra-up")
    config = Config(str(ALEMBIC_INI))
    config.attributes["settings"] = settings
    config.attributes["schema"] = database.schema
    command.upgrade(config, "head")
    command.upgrade(config, "head")  # idempotent
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="session")
def settings(db: TestDatabase) -> InventorySettings:
    return InventorySettings.from_settings(db.settings)


@pytest.fixture(scope="session")
def inventory(db: TestDatabase, settings: InventorySettings) -> Iterator[InventoryApp]:
    app = InventoryApp(settings, name="Inventory", schema=db.schema)
    try:
        yield app
    finally:
        app.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(db: TestDatabase) -> AsyncIterator[AsyncEngine]:
    yield db.engine(pool_size=5)
    await db.dispose()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def owner_engine(db: TestDatabase) -> AsyncEngine:
    return db.engine(owner=True, pool_size=2)


@pytest.fixture(scope="session")
def project(inventory: InventoryApp, engine: AsyncEngine) -> Any:
    """``await project()``: bring the read models up to date with the event store."""
    projector = InventoryProjector(inventory, engine)

    async def run() -> None:
        while await projector.run_once():
            pass

    return run


@pytest.fixture(scope="session")
def issuer() -> TokenIssuer:
    return TokenIssuer(issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture(scope="session")
def api(
    settings: InventorySettings, inventory: InventoryApp, engine: AsyncEngine, issuer: TokenIssuer
) -> FastAPI:
    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(issuer.jwks())

    jwks_server = Starlette(routes=[Route("/.well-known/jwks.json", jwks)])
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=jwks_server), base_url="http://tenancy.test"
    )
    verifier = TokenVerifier(
        JwksClient(JWKS_URL, http_client=http), issuer=ISSUER, audience=AUDIENCE
    )
    return create_api(
        settings,
        inventory=inventory,
        queries=SqlInventoryQueries(engine),
        token_verifier=verifier,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def client(api: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://inventory.test") as c:
        yield c


@pytest.fixture(scope="session")
def token(issuer: TokenIssuer) -> Any:
    """``token(tenant_id, *permissions)``: headers of a staff user of that tenant."""

    def make(tenant_id: UUID, *permissions: str) -> dict[str, str]:
        jwt = issuer.issue(
            subject="6a1a0f5e-0000-4000-8000-000000000001",
            tenant_id=tenant_id,
            kind="staff",
            permissions=permissions,
        )
        return {"Authorization": f"Bearer {jwt}"}

    return make
