"""What the routes need, as FastAPI dependencies (`Annotated` aliases)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request

from shipping.application.app import ShippingApp
from shipping.application.views import ShipmentQueries
from shipping.config import ShippingSettings

__all__ = ["Clock", "Services", "ShippingServices", "StaticServices", "WebhookConfig"]

Clock = Callable[[], float]


class ShippingServices(Protocol):
    """The application and the read model; set up by the process (bootstrap) or a test."""

    @property
    def app(self) -> ShippingApp: ...

    @property
    def queries(self) -> ShipmentQueries: ...


@dataclass(frozen=True)
class StaticServices:
    """`ShippingServices` over objects that already exist (tests)."""

    app: ShippingApp
    queries: ShipmentQueries


@dataclass(frozen=True)
class WebhookConfig:
    secret: bytes
    tolerance_seconds: int
    clock: Clock

    @classmethod
    def from_settings(cls, settings: ShippingSettings, clock: Clock) -> WebhookConfig:
        return cls(
            secret=settings.shipping_webhook_secret.get_secret_value().encode(),
            tolerance_seconds=settings.shipping_webhook_tolerance_seconds,
            clock=clock,
        )


def _services(request: Request) -> ShippingServices:
    services: ShippingServices = request.app.state.shipping_services
    return services


def _webhook_config(request: Request) -> WebhookConfig:
    config: WebhookConfig = request.app.state.webhook_config
    return config


Services = Annotated[ShippingServices, Depends(_services)]
Webhooks = Annotated[WebhookConfig, Depends(_webhook_config)]
