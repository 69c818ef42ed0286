"""Settings of the orders service (environment variables, as every `ServiceSettings`)."""

from __future__ import annotations

from pydantic import Field
from shop_runtime.settings import ServiceSettings

__all__ = ["OrdersSettings"]


class OrdersSettings(ServiceSettings):
    """`ServiceSettings` plus the checkout's policy knobs (no secrets of its own)."""

    service_name: str = "orders"

    cart_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    """A cart expires this long after its last change (``CART_TTL_SECONDS``)."""
    cart_max_line_quantity: int = Field(default=10, ge=1)
    cart_max_lines: int = Field(default=50, ge=1)

    payment_timeout_seconds: int = Field(default=15 * 60, ge=1)
    """An order waits this long for the payment's authorization after its stock is reserved."""
    reservation_timeout_seconds: int = Field(default=10 * 60, ge=1)
    """A pending order waits this long for inventory to reserve (or refuse) its stock."""
    sweeper_interval_seconds: float = Field(default=5.0, gt=0)
    """How often the timeout sweeper looks for orders past a checkout deadline."""
