"""The payments service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from uuid import UUID

from fastapi import FastAPI
from shop_runtime.auth import TenantResolver, TokenVerifier
from shop_runtime.health import readiness
from shop_runtime.http import create_app

from payments.api import routes_payments, routes_webhooks
from payments.api.deps import PaymentsRuntime
from payments.config import PaymentsSettings

__all__ = ["create_api"]

# Readiness probe under a tenant nobody has: the query reaches Postgres and sees no rows.
_PROBE_TENANT = UUID(int=0)


def create_api(
    settings: PaymentsSettings,
    runtime: Callable[[], PaymentsRuntime],
    *,
    token_verifier: TokenVerifier | None = None,
    tenant_resolver: TenantResolver | None = None,
) -> FastAPI:
    """The app with the runtime's error model, guards, /healthz, /readyz and /metrics.

    ``runtime`` returns the shared application, queries and webhook log; it is called in the
    lifespan, after the process's resources are open (see `payments.bootstrap`).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        deps = runtime()
        app.state.payments = deps

        async def postgres() -> None:
            await deps.queries.list(_PROBE_TENANT, limit=1)

        readiness(app).add("postgres", postgres)
        yield

    return create_app(
        settings,
        title="Payments service",
        routers=[routes_payments.router, routes_webhooks.router],
        lifespan=lifespan,
        token_verifier=token_verifier,
        tenant_resolver=tenant_resolver,
    )
