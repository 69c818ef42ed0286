"""The inventory service's FastAPI application."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from shop_runtime.auth import TenantResolver, TokenVerifier
from shop_runtime.health import ReadinessCheck
from shop_runtime.http import Lifespan, create_app
from shop_runtime.settings import ServiceSettings

from inventory.api.routes_stock import router as stock_router
from inventory.application.app import InventoryApp
from inventory.application.queries import InventoryQueries


def create_api(
    settings: ServiceSettings,
    *,
    inventory: InventoryApp | None = None,
    queries: InventoryQueries | None = None,
    lifespan: Lifespan | None = None,
    token_verifier: TokenVerifier | None = None,
    tenant_resolver: TenantResolver | None = None,
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
) -> FastAPI:
    """The app with the runtime's error model, guards, /healthz, /readyz and /metrics, and the
    inventory routes. The application and the read-model queries are set on ``app.state``
    (``inventory``, ``queries``) here or, when they are made at process start, by the bootstrap."""
    api = create_app(
        settings,
        title="Inventory service",
        routers=[stock_router],
        lifespan=lifespan,
        token_verifier=token_verifier,
        tenant_resolver=tenant_resolver,
        readiness_checks=readiness_checks,
    )
    api.state.inventory = inventory
    api.state.queries = queries
    return api
