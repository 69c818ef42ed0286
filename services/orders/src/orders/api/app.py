"""The orders service's FastAPI application."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from shop_runtime.http import create_app
from shop_runtime.settings import ServiceSettings

from orders.api import routes_carts, routes_checkout, routes_orders


def create_api(settings: ServiceSettings, **kwargs: Any) -> FastAPI:
    """The app with the runtime's error model, guards, /healthz, /readyz and /metrics, and the
    orders routes. Its clients are wired by `orders.bootstrap` (``app.state.orders_services``,
    ``app.state.idempotency_store``); ``kwargs`` go to `create_app` (lifespan, token verifier,
    tenant resolver)."""
    return create_app(
        settings,
        title="Orders service",
        routers=[routes_carts.router, routes_checkout.router, routes_orders.router],
        **kwargs,
    )
