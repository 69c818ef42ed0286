"""The catalog service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from shop_runtime.auth import TenantResolver, TokenVerifier
from shop_runtime.health import readiness
from shop_runtime.http import create_app

from catalog.api.deps import CatalogComponents
from catalog.api.routes_admin import router as admin_router
from catalog.api.routes_storefront import router as storefront_router


def create_api(
    components: CatalogComponents,
    *,
    token_verifier: TokenVerifier | None = None,
    tenant_resolver: TenantResolver | None = None,
) -> FastAPI:
    """The app with the runtime's error model, guards, /healthz, /readyz and /metrics.

    ``components`` are opened by the process (bootstrap's ``resources``) or by a test.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if components.postgres_check is not None:
            readiness(app).add("postgres", components.postgres_check)
        yield

    app = create_app(
        components.settings,
        title="Catalog service",
        routers=[admin_router, storefront_router],
        lifespan=lifespan,
        token_verifier=token_verifier,
        tenant_resolver=tenant_resolver,
    )
    app.state.components = components
    return app
