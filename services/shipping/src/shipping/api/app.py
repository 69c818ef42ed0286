"""The shipping service's FastAPI application."""

from __future__ import annotations

import time
from collections.abc import Mapping

from fastapi import FastAPI
from shop_runtime.auth import TenantResolver, TokenVerifier
from shop_runtime.health import ReadinessCheck
from shop_runtime.http import create_app

from shipping.api import routes_shipments, routes_webhooks
from shipping.api.deps import Clock, ShippingServices, WebhookConfig
from shipping.config import ShippingSettings

__all__ = ["create_api"]


def create_api(
    settings: ShippingSettings,
    services: ShippingServices,
    *,
    token_verifier: TokenVerifier | None = None,
    tenant_resolver: TenantResolver | None = None,
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    clock: Clock = time.time,
) -> FastAPI:
    """The app with the runtime's error model, guards, /healthz, /readyz and /metrics.

    ``services`` gives the application and the read model; in a process they exist only once the
    bootstrap's resources are entered, so routes look them up per request.
    """
    app = create_app(
        settings,
        title="Shipping service",
        routers=[routes_shipments.router, routes_webhooks.router],
        token_verifier=token_verifier,
        tenant_resolver=tenant_resolver,
        readiness_checks=readiness_checks,
    )
    app.state.shipping_services = services
    app.state.webhook_config = WebhookConfig.from_settings(settings, clock)
    return app
