"""The tenancy service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from shop_runtime.auth import TokenIssuer, TokenVerifier
from shop_runtime.health import readiness
from shop_runtime.http import create_app

from tenancy.api import routes_auth, routes_platform, routes_users
from tenancy.api.deps import TenancyServices
from tenancy.config import TenancySettings


def create_api(
    settings: TenancySettings,
    *,
    issuer: TokenIssuer,
    services: Callable[[], TenancyServices],
) -> FastAPI:
    """The app with the runtime's error model and guards, plus tenancy's routes.

    ``services`` is called in the lifespan, once the process's resources are open (the bootstrap
    owns them, so the API and the workers share one event store pool and one engine). Tokens are
    verified in-process against ``issuer``'s own keys: tenancy never fetches its own JWKS.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = services()
        app.state.services = started
        app.state.tenant_resolver = started.resolver
        checks = readiness(app)
        for name, check in started.readiness_checks.items():
            checks.add(name, check)
        yield

    verifier = TokenVerifier(
        issuer,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        algorithm=settings.jwt_algorithm,
    )
    app = create_app(
        settings,
        title="Tenancy service",
        routers=[routes_platform.router, routes_auth.router, routes_users.router],
        lifespan=lifespan,
        token_verifier=verifier,
    )
    app.state.token_issuer = issuer
    app.state.platform_admin_token = settings.platform_admin_token
    return app
