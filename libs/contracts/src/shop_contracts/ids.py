"""Typed identifiers used in contract events.

Every id on the wire is a UUID. The ``NewType`` aliases cost nothing at runtime and let mypy catch
an ``OrderId`` passed where a ``SkuId`` is expected; pydantic validates and serialises them as plain
UUIDs.
"""

from __future__ import annotations

import uuid
from typing import NewType
from uuid import UUID

__all__ = [
    "CustomerId",
    "EventId",
    "OrderId",
    "PaymentId",
    "ProductId",
    "RefundId",
    "ReservationId",
    "SessionId",
    "ShipmentId",
    "SkuId",
    "TenantId",
    "UserId",
    "WarehouseId",
    "derived_id",
]

TenantId = NewType("TenantId", UUID)
UserId = NewType("UserId", UUID)
CustomerId = NewType("CustomerId", UUID)
"""A customer is a tenancy user of kind ``customer``; the alias says which role the id plays."""
ProductId = NewType("ProductId", UUID)
SkuId = NewType("SkuId", UUID)
WarehouseId = NewType("WarehouseId", UUID)
OrderId = NewType("OrderId", UUID)
ReservationId = NewType("ReservationId", UUID)
PaymentId = NewType("PaymentId", UUID)
RefundId = NewType("RefundId", UUID)
ShipmentId = NewType("ShipmentId", UUID)
SessionId = NewType("SessionId", UUID)
"""A storefront browsing session (clickstream)."""
EventId = NewType("EventId", UUID)


def derived_id(parent: UUID, purpose: str) -> UUID:
    """Deterministic child id: ``uuid5(parent, purpose)``.

    Used where an id must be idempotent, e.g. the reservation of an order is ``derived_id(order_id,
    "reservation")``, so a redelivered ``orders.order_placed`` cannot create a second reservation.
    The same (parent, purpose) always gives the same id, in every service.
    """
    if not purpose:
        raise ValueError("purpose must be a non-empty string")
    return uuid.uuid5(parent, purpose)
